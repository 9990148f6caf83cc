"""A loopback Hub with a few repositories, for the tests of the hub_* modules."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from desktop.core import library
from tests.hub_server import FakeHub, Repo, isolate, make_gguf, use_hub

REPO = "acme/Tiny-GGUF"
SMALL = "Tiny-Q4_K_M.gguf"
BIG = "Tiny-Q8_0.gguf"  # about 3 MB: several 1 MiB chunks
SPLIT = ["Tiny-F16-00001-of-00002.gguf", "Tiny-F16-00002-of-00002.gguf"]


class Env(NamedTuple):
    server: FakeHub
    repo: Repo
    gated: Repo


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Env]:
    isolate(monkeypatch, tmp_path)
    src = tmp_path / "src"
    files = {
        SMALL: make_gguf(src / SMALL, name="small").read_bytes(),
        BIG: make_gguf(src / BIG, name="big", extra_bytes=3_000_000).read_bytes(),
        SPLIT[0]: make_gguf(src / "p1.gguf", split=(1, 2)).read_bytes(),
        SPLIT[1]: make_gguf(src / "p2.gguf", split=(2, 2)).read_bytes(),
        "README.md": b"# Tiny\n",
    }
    with FakeHub() as server:
        use_hub(monkeypatch, server)
        repo = server.add_repo(
            REPO, files, downloads=100, likes=5, gguf={"total": 4544, "architecture": "llama"}
        )
        other = {"Other-Q2_K.gguf": files[SMALL]}
        server.add_repo("acme/Other-GGUF", other, downloads=50, likes=50)
        server.add_repo("acme/tiny-safetensors", {"model.safetensors": b"x"}, tags=["safetensors"])
        gated = server.add_repo("corp/Gated-GGUF", {SMALL: files[SMALL]}, gated=True)
        yield Env(server, repo, gated)


def dest() -> Path:
    return library.repo_dir(REPO)


def cdn_gets(server: FakeHub) -> list[str | None]:
    """The Range header of every GET of file bytes."""
    return [r.headers.get("range") for r in server.requests_to("/cdn/") if r.method == "GET"]
