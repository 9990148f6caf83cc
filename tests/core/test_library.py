"""The local library: downloads, imports, links and the Hugging Face cache, found by name."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from huggingface_hub import hf_hub_download

from desktop.core import library, paths
from desktop.core.gguf_file import InvalidGGUFError
from desktop.core.library import LibraryError, ModelNotFoundError
from desktop.core.tiny_model import write_tiny_llama
from tests.gguf_tools import split_gguf
from tests.hub_server import FakeHub, isolate, make_gguf, use_hub


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate(monkeypatch, tmp_path)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside the library with a few model files."""
    folder = tmp_path / "elsewhere"
    make_gguf(folder / "Alpha-Q4_K_M.gguf", name="alpha")
    make_gguf(folder / "Beta-Q8_0.gguf", name="beta")
    return folder


def downloaded(repo_id: str, filename: str, **kwargs: object) -> Path:
    """A file as hub.download leaves it (its own tests cover how it gets there)."""
    return make_gguf(library.repo_dir(repo_id) / filename, **kwargs)  # type: ignore[arg-type]


def test_empty_library_without_any_hf_cache() -> None:
    assert library.list_models() == []


def test_lists_downloads_with_metadata_and_skips_partials() -> None:
    downloaded("acme/Tiny-GGUF", "Tiny-Q4_K_M.gguf", name="tiny")
    (library.repo_dir("acme/Tiny-GGUF") / "Tiny-Q8_0.gguf.0123456789abcdef.incomplete").write_bytes(
        b"GGUF partial"
    )
    [entry] = library.list_models()
    assert entry.name == "acme/Tiny-GGUF/Tiny-Q4_K_M"
    assert entry.source == "downloaded" and entry.repo_id == "acme/Tiny-GGUF"
    assert entry.info is not None and entry.info.name == "tiny" and entry.error is None
    assert entry.size == entry.path.stat().st_size


def test_split_models_are_listed_once_and_only_when_complete(tmp_path: Path) -> None:
    repo = "acme/Big-GGUF"
    whole = write_tiny_llama(tmp_path / "whole.gguf")
    first, second = split_gguf(whole, tmp_path / "split" / "Big-Q4_0.gguf", max_tensors=11)
    folder = library.repo_dir(repo)
    folder.mkdir(parents=True)
    first.rename(folder / first.name)
    assert library.list_models() == []
    second.rename(folder / second.name)
    [entry] = library.list_models()
    assert entry.name == f"{repo}/Big-Q4_0" and entry.path.name.endswith("00001-of-00002.gguf")
    assert len(entry.parts) == 2 and entry.info is not None and entry.info.split_count == 2


def test_import_copies_after_validating(outside: Path) -> None:
    entry = library.import_file(outside / "Alpha-Q4_K_M.gguf")
    assert entry.source == "imported" and entry.name == "Alpha-Q4_K_M"
    assert entry.path == paths.models_dir() / "Alpha-Q4_K_M.gguf"
    assert entry.info is not None and entry.info.name == "alpha"
    assert (outside / "Alpha-Q4_K_M.gguf").exists()
    with pytest.raises(LibraryError, match="already in the library"):
        library.import_file(outside / "Alpha-Q4_K_M.gguf")

    garbage = outside / "Broken.gguf"
    garbage.write_bytes(b"GGUF" + bytes(10))
    with pytest.raises(InvalidGGUFError, match="truncated"):
        library.import_file(garbage)
    assert not (paths.models_dir() / "Broken.gguf").exists()
    assert not list(paths.models_dir().glob(".*importing"))


def test_import_as_link_and_delete_keeps_the_file(outside: Path) -> None:
    entry = library.import_file(outside / "Beta-Q8_0.gguf", copy=False)
    assert entry.source == "linked" and entry.path == outside / "Beta-Q8_0.gguf"
    assert [e.name for e in library.list_models()] == ["Beta-Q8_0"]
    assert library.delete("Beta-Q8_0") == []
    assert library.list_models() == []
    assert (outside / "Beta-Q8_0.gguf").exists()


def test_delete_removes_files_and_empty_folders() -> None:
    path = downloaded("acme/Tiny-GGUF", "Tiny-Q4_K_M.gguf")
    assert library.delete("Tiny-Q4_K_M") == [path]
    assert not path.exists() and not path.parent.exists()
    assert paths.models_dir().exists()


def test_resolve_by_name_stem_file_or_path(outside: Path) -> None:
    path = downloaded("acme/Tiny-GGUF", "Tiny-Q4_K_M.gguf")
    assert library.resolve("acme/Tiny-GGUF/Tiny-Q4_K_M") == path
    assert library.resolve("tiny-q4_k_m") == path
    assert library.resolve("Tiny-Q4_K_M.gguf") == path
    assert library.resolve("Tiny-GGUF/Tiny-Q4_K_M") == path
    assert library.resolve(str(outside / "Alpha-Q4_K_M.gguf")) == outside / "Alpha-Q4_K_M.gguf"
    with pytest.raises(ModelNotFoundError, match="Did you mean: acme/Tiny-GGUF/Tiny-Q4_K_M"):
        library.resolve("Tiny-Q4_K")
    with pytest.raises(ModelNotFoundError, match="is a folder"):
        library.resolve(str(outside))


def test_same_file_name_in_two_repos_needs_the_full_name() -> None:
    downloaded("alice/M-GGUF", "M-Q4_K_M.gguf")
    downloaded("bob/M-GGUF", "M-Q4_K_M.gguf")
    with pytest.raises(ModelNotFoundError, match="several models: alice/M-GGUF/M-Q4_K_M, bob/"):
        library.resolve("M-Q4_K_M")
    assert library.resolve("bob/M-GGUF/M-Q4_K_M").parent.name == "bob__M-GGUF"


def test_broken_file_is_listed_with_the_reason() -> None:
    path = downloaded("acme/Tiny-GGUF", "Tiny-Q4_K_M.gguf")
    assert library.list_models()[0].error is None
    path.write_bytes(path.read_bytes()[:-100])  # changed on disk: the cached info is stale
    [entry] = library.list_models()
    assert entry.info is None and entry.error is not None and "truncated" in entry.error


@pytest.fixture
def hf_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """A real Hugging Face cache, filled by hf_hub_download from the loopback Hub."""
    with FakeHub() as server:
        use_hub(monkeypatch, server)
        data = make_gguf(tmp_path / "src" / "Cached-Q4_K_M.gguf", name="cached").read_bytes()
        server.add_repo("acme/Cached-GGUF", {"Cached-Q4_K_M.gguf": data, "README.md": b"hi"})
        yield Path(hf_hub_download("acme/Cached-GGUF", "Cached-Q4_K_M.gguf"))


def test_gguf_files_in_the_hf_cache_are_listed(hf_cache: Path) -> None:
    [entry] = library.list_models()
    assert entry.source == "hf-cache" and entry.name == "acme/Cached-GGUF/Cached-Q4_K_M"
    assert entry.path == hf_cache and entry.info is not None and entry.info.name == "cached"
    assert library.resolve("Cached-Q4_K_M") == hf_cache
    with pytest.raises(LibraryError, match="hf cache rm model/acme/Cached-GGUF"):
        library.delete("Cached-Q4_K_M")


def run_cli(*argv: str) -> int:
    import argparse

    from desktop.cli_models import add_models_parser

    parser = argparse.ArgumentParser(prog="tokenscope")
    add_models_parser(parser.add_subparsers())
    args = parser.parse_args(["models", *argv])
    return int(args.func(args))


def test_cli_import_list_info_rm(outside: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("list") == 0
    assert "library is empty" in capsys.readouterr().err
    assert run_cli("import", str(outside / "Alpha-Q4_K_M.gguf")) == 0
    assert run_cli("import", "--link", str(outside / "Beta-Q8_0.gguf")) == 0
    capsys.readouterr()
    assert run_cli("list") == 0
    out = capsys.readouterr().out
    assert "Alpha-Q4_K_M" in out and "imported" in out and "Beta-Q8_0" in out and "linked" in out
    assert run_cli("info", "alpha-q4_k_m") == 0
    out = capsys.readouterr().out
    assert "architecture:" in out and "llama" in out and "memory at 512 ctx" in out
    assert run_cli("rm", "Alpha-Q4_K_M") == 0
    assert run_cli("info", "Alpha") == 1
    assert "No model named 'Alpha'" in capsys.readouterr().err
    garbage = outside / "junk.gguf"
    garbage.write_bytes(b"<html>nope</html>")
    assert run_cli("import", str(garbage)) == 1
    assert "HTML" in capsys.readouterr().err
