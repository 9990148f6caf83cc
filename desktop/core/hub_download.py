"""Download files of a Hub repository into the library, verified and resumable.

Everything goes through `huggingface_hub` (`get_hf_file_metadata`, `get_paths_info`, its
HTTP session and headers) and honours `HF_ENDPOINT` as it does. Downloads go to the
library's folder (not the Hugging Face cache); see `hub_transfer` for each file's way.

`hf_hub_download` is not used for the transfer itself: it deletes its partial file when
interrupted, so a paused download would start again from zero.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

from huggingface_hub import RepoFile, get_hf_file_metadata

from . import hub_client
from .hub_client import api, file_url, resolve_token, safe_name
from .hub_errors import HubError, HubNotFoundError, hub_errors
from .hub_progress import ProgressCallback, Tracker
from .hub_search import RemoteFile
from .hub_transfer import fetch_file, partial_path, tag
from .library import check_free_space, repo_dir


def download(
    repo_id: str,
    filenames: str | Sequence[str],
    dest_dir: str | os.PathLike[str] | None = None,
    progress_callback: ProgressCallback | None = None,
    cancel_event: threading.Event | None = None,
    *,
    token: str | None = None,
    revision: str | None = None,
) -> list[Path]:
    """Download files of `repo_id` into `dest_dir` (default: the library's folder for it).

    Resumes partial files left by an earlier call, checks free disk space first, verifies
    each file against the Hub's sha256 and renames it into place only then. Setting
    `cancel_event` stops the download with `DownloadCancelled` and keeps the partial file
    (`discard_partials` deletes it). Returns the final paths.

    Fails fast with a `HubError` subclass that names the cause: `HubOfflineError`
    (unreachable), `HubConnectionError` (the connection kept dropping), `HubAuthError`,
    `HubNotFoundError`, `HubServerError`; `DiskFullError` when space runs out.
    """
    names = [filenames] if isinstance(filenames, str) else list(filenames)
    for name in names:
        if not safe_name(name):
            raise HubError(f"Refusing to download {name!r}: not a plain file path in the repo.")
    dest = Path(dest_dir) if dest_dir is not None else repo_dir(repo_id)
    token = resolve_token(token)
    tracker = Tracker(0, len(names), progress_callback, cancel_event)
    tracker.check()
    with hub_errors(f"{repo_id}/{names[0]}" if len(names) == 1 else repo_id):
        url = file_url(repo_id, names[0], revision or "main")
        first = get_hf_file_metadata(url, token=token, timeout=hub_client.TIMEOUT_S)
        commit = first.commit_hash or revision or "main"
        found = api().get_paths_info(repo_id, names, revision=commit, token=token)
    infos = {f.path: f for f in found}
    remote: list[RemoteFile] = []
    for name in names:
        f = infos.get(name)
        if not isinstance(f, RepoFile):
            raise HubNotFoundError(f"{repo_id} has no file {name!r}: check the file name.")
        remote.append(RemoteFile(name, f.size, f.lfs.sha256 if f.lfs else f"git:{f.blob_id}"))
    tracker.total = sum(r.size for r in remote)

    dest.mkdir(parents=True, exist_ok=True)
    missing = 0
    for r in remote:
        final = dest / r.path
        if not (final.is_file() and final.stat().st_size == r.size):
            partial = partial_path(final, tag(r))
            missing += r.size - (partial.stat().st_size if partial.is_file() else 0)
    check_free_space(dest, missing, ", ".join(names))

    results, base = [], 0
    for index, r in enumerate(remote, start=1):
        tracker.begin(index, r.path, base)
        results.append(fetch_file(repo_id, r, dest, commit, token, tracker))
        base += r.size
    tracker.begin(len(remote), remote[-1].path, base)
    tracker.emit(force=True)
    return results
