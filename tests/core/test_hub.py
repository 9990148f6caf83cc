"""Hub search, listing and downloads, for real, against the loopback server in hub_server."""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from desktop.core import hub, hub_progress, library
from desktop.core.hub import (
    DiskFullError,
    DownloadCancelled,
    DownloadItem,
    DownloadQueue,
    DownloadState,
    HubAuthError,
    HubNotFoundError,
    HubOfflineError,
    Progress,
    VerificationError,
)
from tests.hub_server import FakeHub, Repo, isolate, make_gguf, use_hub

REPO = "acme/Tiny-GGUF"
SMALL = "Tiny-Q4_K_M.gguf"
BIG = "Tiny-Q8_0.gguf"  # about 3 MB: several 1 MiB chunks


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
        "Tiny-F16-00001-of-00002.gguf": make_gguf(src / "p1.gguf", split=(1, 2)).read_bytes(),
        "Tiny-F16-00002-of-00002.gguf": make_gguf(src / "p2.gguf", split=(2, 2)).read_bytes(),
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


# --- search and listing -------------------------------------------------------------------


def test_search_finds_gguf_repos_sorted(env: Env) -> None:
    by_downloads = hub.search_models("gguf")
    assert [m.repo_id for m in by_downloads] == [REPO, "acme/Other-GGUF", "corp/Gated-GGUF"]
    assert by_downloads[0].downloads == 100 and by_downloads[0].parameter_count == 4544
    assert by_downloads[0].architecture == "llama"
    assert by_downloads[2].gated
    assert [m.repo_id for m in hub.search_models("tiny", sort="likes")] == [REPO]  # no safetensors
    assert hub.search_models("gguf", sort="likes", limit=1)[0].repo_id == "acme/Other-GGUF"
    assert hub.search_models("nothing like this") == []


def test_list_files_groups_splits_and_reads_quants(env: Env) -> None:
    files = hub.list_gguf_files(REPO)
    assert [f.name for f in files] == [SMALL, "Tiny-F16.gguf", BIG]
    small, split, big = files
    assert small.quant == "Q4_K_M" and big.quant == "Q8_0" and split.quant == "F16"
    assert small.size == len(env.repo.files[SMALL].data)
    assert small.parts[0].sha256 == env.repo.files[SMALL].sha256
    assert split.filenames == ["Tiny-F16-00001-of-00002.gguf", "Tiny-F16-00002-of-00002.gguf"]
    assert split.complete and split.split_count == 2
    assert split.size == sum(len(env.repo.files[n].data) for n in split.filenames)
    estimate = big.estimate()
    assert estimate.estimated and estimate.file_type == "Q8_0" and estimate.file_size == big.size


# --- downloads ----------------------------------------------------------------------------


def test_download_verifies_and_lands_in_the_library(env: Env) -> None:
    seen: list[Progress] = []
    [path] = hub.download(REPO, BIG, progress_callback=seen.append)
    assert path == dest() / BIG
    assert path.read_bytes() == env.repo.files[BIG].data
    assert not list(dest().glob("*.incomplete"))
    assert seen[-1].done == seen[-1].total == len(env.repo.files[BIG].data)
    assert all(p.filename == BIG and p.file_count == 1 for p in seen)
    [entry] = library.list_models()
    assert entry.name == f"{REPO}/Tiny-Q8_0" and entry.source == "downloaded"
    assert entry.info is not None and entry.info.name == "big"
    # already there: nothing is fetched again
    before = len(cdn_gets(env.server))
    hub.download(REPO, BIG)
    assert len(cdn_gets(env.server)) == before


def test_split_model_downloads_as_one(env: Env) -> None:
    names = ["Tiny-F16-00001-of-00002.gguf", "Tiny-F16-00002-of-00002.gguf"]
    seen: list[Progress] = []
    paths = hub.download(REPO, names, progress_callback=seen.append)
    assert [p.name for p in paths] == names
    assert seen[-1].done == seen[-1].total == sum(p.stat().st_size for p in paths)
    assert {p.file_index for p in seen} == {1, 2}
    [entry] = library.list_models()
    assert entry.name == f"{REPO}/Tiny-F16" and len(entry.parts) == 2
    assert entry.info is not None and entry.info.split_count == 2


def test_resumes_when_the_server_drops_the_connection(env: Env) -> None:
    env.server.cut_once[BIG] = 1_500_000
    [path] = hub.download(REPO, BIG)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == env.repo.files[BIG].sha256
    ranges = cdn_gets(env.server)
    assert ranges[0] is None and ranges[1] is not None
    assert int(ranges[1].removeprefix("bytes=").rstrip("-")) > 0  # continued, not restarted


def cancel_after_first_chunk(event: threading.Event) -> hub.ProgressCallback:
    def callback(p: Progress) -> None:
        if p.done > 0:
            event.set()

    return callback


def test_pause_keeps_the_partial_file_and_resume_continues(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hub_progress.Tracker, "EVERY_S", 0.0)
    stop = threading.Event()
    with pytest.raises(DownloadCancelled):
        hub.download(REPO, BIG, progress_callback=cancel_after_first_chunk(stop), cancel_event=stop)
    [partial] = dest().glob("*.incomplete")
    assert partial.name == f"{BIG}.{env.repo.files[BIG].sha256[:16]}.incomplete"
    kept = partial.stat().st_size
    assert 0 < kept < len(env.repo.files[BIG].data)
    assert library.list_models() == []  # nothing half-listed

    [path] = hub.download(REPO, BIG)
    assert path.read_bytes() == env.repo.files[BIG].data
    assert cdn_gets(env.server)[-1] == f"bytes={kept}-"
    assert not partial.exists()


def test_resume_when_the_server_ignores_range(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hub_progress.Tracker, "EVERY_S", 0.0)
    stop = threading.Event()
    with pytest.raises(DownloadCancelled):
        hub.download(REPO, BIG, progress_callback=cancel_after_first_chunk(stop), cancel_event=stop)
    env.server.ignore_range = True  # answers 200 with everything: must start over cleanly
    [path] = hub.download(REPO, BIG)
    assert path.read_bytes() == env.repo.files[BIG].data


def test_checksum_mismatch_is_rejected(env: Env) -> None:
    env.server.corrupt.add(SMALL)
    with pytest.raises(VerificationError, match=r"checksum.*Download it again"):
        hub.download(REPO, SMALL)
    assert not (dest() / SMALL).exists()
    assert not list(dest().glob("*.incomplete"))
    assert library.list_models() == []


def test_gated_repo_needs_a_token(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(HubAuthError, match=r"accept its terms on huggingface\.co.*HF_TOKEN"):
        hub.download("corp/Gated-GGUF", SMALL)
    monkeypatch.setenv("HF_TOKEN", "hf_wrong")
    with pytest.raises(HubAuthError, match="gated or private"):
        hub.download("corp/Gated-GGUF", SMALL)
    env.server.tokens.add("hf_granted")
    monkeypatch.setenv("HF_TOKEN", "hf_granted")
    [path] = hub.download("corp/Gated-GGUF", SMALL)
    assert path.read_bytes() == env.gated.files[SMALL].data
    resolve = [r for r in env.server.requests if "/resolve/" in r.path]
    assert resolve[-1].headers.get("authorization") == "Bearer hf_granted"
    # the bytes come from another origin (the "CDN"): the token must not go there
    assert all("authorization" not in r.headers for r in env.server.requests_to("/cdn/"))


def test_private_or_missing_repo_and_file(env: Env) -> None:
    with pytest.raises(HubAuthError, match="no such repository, or it is gated or private"):
        hub.list_gguf_files("acme/no-such-repo")
    with pytest.raises(HubNotFoundError, match="check the name"):
        hub.download(REPO, "Tiny-Q9_9.gguf")


def test_file_names_cannot_escape_the_library(env: Env) -> None:
    env.server.add_repo("evil/x", {"../../escape.gguf": env.repo.files[SMALL].data})
    assert hub.list_gguf_files("evil/x") == []
    with pytest.raises(hub.HubError, match="Refusing"):
        hub.download("evil/x", "../../escape.gguf")


def test_offline_is_reported_quickly(env: Env) -> None:
    env.server.stop()
    start = time.monotonic()
    with pytest.raises(HubOfflineError, match="Cannot reach the Hugging Face Hub"):
        hub.search_models("tiny")  # without the reachability check: ~23 s of retries
    with pytest.raises(HubOfflineError, match="Cannot reach the Hugging Face Hub"):
        hub.list_gguf_files(REPO)
    with pytest.raises(HubOfflineError, match="check your internet connection"):
        hub.download(REPO, SMALL)
    assert time.monotonic() - start < 5


def test_not_enough_disk_space_is_checked_first(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    real = shutil.disk_usage

    def tiny_disk(path: str | os.PathLike[str]) -> shutil._ntuple_diskusage:
        usage = real(path)
        return type(usage)(usage.total, usage.total - 1000, 1000)

    monkeypatch.setattr(shutil, "disk_usage", tiny_disk)
    with pytest.raises(DiskFullError, match=r"needs .* but only .* free"):
        hub.download(REPO, BIG)
    assert cdn_gets(env.server) == []


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_disk_filling_up_mid_download(env: Env) -> None:
    # the partial file is a link to /dev/full, where every write fails with ENOSPC
    dest().mkdir(parents=True)
    partial = dest() / f"{SMALL}.{env.repo.files[SMALL].sha256[:16]}.incomplete"
    partial.symlink_to("/dev/full")
    with pytest.raises(DiskFullError, match="disk filled up"):
        hub.download(REPO, SMALL)
    assert not partial.is_symlink() and not (dest() / SMALL).exists()
    assert library.list_models() == []


# --- the queue ----------------------------------------------------------------------------


def test_queue_runs_downloads_one_at_a_time(env: Env) -> None:
    events: list[DownloadItem] = []
    queue = DownloadQueue(events.append)
    first = queue.add(REPO, SMALL)
    second = queue.add(REPO, BIG)
    assert queue.wait(10)
    assert [i.state for i in queue.items()] == [DownloadState.DONE, DownloadState.DONE]
    assert queue.get(second.id).paths == (dest() / BIG,)
    running = [e.id for e in events if e.state == DownloadState.RUNNING and e.progress is None]
    assert running == [first.id, second.id]
    done_first = next(i for i, e in enumerate(events) if e.state == DownloadState.DONE)
    assert all(e.id == first.id for e in events[:done_first] if e.state != DownloadState.QUEUED)
    queue.close()


def test_queue_pause_resume_and_cancel(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hub_progress.Tracker, "EVERY_S", 0.0)
    stop_with: list[DownloadState] = []
    queue: DownloadQueue

    def listener(item: DownloadItem) -> None:
        if stop_with and item.progress is not None and item.progress.done > 0:
            action = stop_with.pop()
            (queue.pause if action == DownloadState.PAUSED else queue.cancel)(item.id)

    queue = DownloadQueue(listener)
    stop_with.append(DownloadState.PAUSED)
    item = queue.add(REPO, BIG)
    assert queue.wait(10)
    assert queue.get(item.id).state == DownloadState.PAUSED
    assert len(list(dest().glob("*.incomplete"))) == 1

    queue.resume(item.id)
    assert queue.wait(10)
    assert queue.get(item.id).state == DownloadState.DONE
    assert cdn_gets(env.server)[-1] not in (None, "bytes=0-")

    (dest() / BIG).unlink()
    stop_with.append(DownloadState.CANCELLED)
    again = queue.add(REPO, BIG)
    assert queue.wait(10)
    assert queue.get(again.id).state == DownloadState.CANCELLED
    assert not list(dest().glob("*.incomplete"))

    failed = queue.add("corp/Gated-GGUF", SMALL)
    assert queue.wait(10)
    state = queue.get(failed.id)
    assert state.state == DownloadState.FAILED and state.error and "HF_TOKEN" in state.error
    queue.close()


# --- the command line ---------------------------------------------------------------------


def run_cli(*argv: str) -> int:
    import argparse

    from desktop.cli_models import add_models_parser

    parser = argparse.ArgumentParser(prog="tokenscope")
    add_models_parser(parser.add_subparsers())
    args = parser.parse_args(["models", *argv])
    return int(args.func(args))


def test_cli_search_files_and_get(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("search", "tiny") == 0
    assert REPO in capsys.readouterr().out
    assert run_cli("files", REPO) == 0
    out = capsys.readouterr().out
    assert "Tiny-F16.gguf (2 parts)" in out and "Q4_K_M" in out and "fits" in out

    assert run_cli("get", REPO) == 1  # several files: the user must choose
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "use --quant" in err and "Tiny-Q8_0.gguf (Q8_0)" in err

    assert run_cli("get", REPO, "--quant", "f16") == 0
    captured = capsys.readouterr()
    assert captured.out.strip().endswith("Tiny-F16-00001-of-00002.gguf")
    assert "100%" in captured.err  # the progress bar, on stderr
    assert [e.name for e in library.list_models()] == [f"{REPO}/Tiny-F16"]


def test_cli_errors_are_one_line(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("get", "corp/Gated-GGUF", SMALL) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("tokenscope: ") and "HF_TOKEN" in err[-1]
    assert "Traceback" not in "\n".join(err)
    env.server.stop()
    assert run_cli("files", REPO) == 1
    assert "Cannot reach the Hugging Face Hub" in capsys.readouterr().err
