"""Downloads: verified, resumable, into the library; against the loopback Hub server."""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
from pathlib import Path

import pytest

from desktop.core import hub, hub_progress, library
from desktop.core.hub import (
    DiskFullError,
    DownloadCancelled,
    HubAuthError,
    HubNotFoundError,
    Progress,
    VerificationError,
)
from tests.core.hub_env import BIG, REPO, SMALL, Env, cdn_gets, dest


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
    with pytest.raises(hub.HubError, match="Refusing"):
        hub.download("evil/x", "../../escape.gguf")


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
