"""``tokenscope servers …`` and ``tokenscope chat --server …`` against llama-cpp-python's
server on loopback (tiny model), run in-process as a user would."""

from __future__ import annotations

import io
import json
from pathlib import Path

import keyring.core
import pytest

from desktop.cli import main
from desktop.core import paths, servers
from tests.memory_keyring import MemoryKeyring
from tests.remote_server import LoopbackServer, free_port, tiny_server

__all__ = ["tiny_server"]


@pytest.fixture
def ring(monkeypatch: pytest.MonkeyPatch) -> MemoryKeyring:
    backend = MemoryKeyring()
    monkeypatch.setattr(keyring.core, "_keyring_backend", backend)
    monkeypatch.delenv(servers.ENV_KEY, raising=False)
    (paths.config_dir() / "servers.json").unlink(missing_ok=True)
    return backend


def test_add_list_models_rm(ring: MemoryKeyring, tiny_server: LoopbackServer,
                            monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("sk-loop\n"))
    assert main(["servers", "add", "loop", tiny_server.url, "--kind", "llama-cpp-python",
                 "--api-key-stdin", "--template", "chatml"]) == 0
    assert "API key stored in" in capsys.readouterr().out
    assert main(["servers", "list", "--json"]) == 0
    out = capsys.readouterr().out
    rows = json.loads(out)
    assert rows[0]["name"] == "loop" and rows[0]["has_key"] and "sk-loop" not in out
    assert main(["servers", "models", "loop", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["models"] == [tiny_server.model]
    assert main(["servers", "rm", "loop"]) == 0
    assert main(["servers", "list"]) == 0
    assert "No servers" in capsys.readouterr().out


def test_chat_with_a_server_writes_the_trace_schema(
    ring: MemoryKeyring, tiny_server: LoopbackServer, tmp_path: Path, capsys
) -> None:
    trace = tmp_path / "remote.jsonl"
    assert main(["chat", "--server", tiny_server.url, "--temp", "0", "--max-tokens", "6",
                 "--trace", str(trace), "-v", "--save", "Hello there"]) == 0
    cap = capsys.readouterr()
    rows = [json.loads(line) for line in trace.read_text().splitlines()]
    assert len(rows) == 6 and [r["index"] for r in rows] == list(range(6))
    for r in rows:
        assert r["token"] is None and r["entropy_estimate"] is True and r["remote"] is True
        assert r["p_sample"] == 1.0 and r["rank"] == 1  # greedy
        assert r["top"][0]["text"] == r["text"] and r["top"][0]["kept_by"] is None
    assert "".join(r["text"] for r in rows) in cap.out
    assert "tok/s (client-side)" in cap.err and "(estimate)" in cap.err
    conv_id = int(cap.err.split("Saved as conversation ")[1].split()[0])
    assert main(["chats", "show", str(conv_id)]) == 0
    assert "Hello there" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "message"), [
    (["--server", "URL", "-m", "gpt-9"], "no model 'gpt-9'"),
    (["--server", "CLOSED"], "Could not connect"),
    (["--server", "nowhere"], "no server 'nowhere'"),
])
def test_chat_errors_are_one_line(ring: MemoryKeyring, tiny_server: LoopbackServer, capsys,
                                  argv: list[str], message: str) -> None:
    url = {"URL": tiny_server.url, "CLOSED": f"http://127.0.0.1:{free_port()}/v1"}
    argv = [url.get(a, a) for a in argv]
    assert main(["chat", *argv, "Hi"]) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_usage_errors(ring: MemoryKeyring, capsys) -> None:
    assert main(["chat", "Hi"]) == 2
    assert "--model is required (or --server NAME|URL)" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["servers", "add", "x", "http://h:1", "--top-logprobs", "5000"])
    assert info.value.code == 2
