"""The Hugging Face Hub: search GGUF models, list their files, download them verified.

Everything goes through `huggingface_hub` (its `HfApi`, `get_hf_file_metadata` and
`http_get`, which sends its headers, follows its retries and resumes with a Range request
when the connection drops), and honours `HF_ENDPOINT` as it does. Downloads go to the
library's folder (not the Hugging Face cache) under a temporary name, survive a pause or
a crash (the next call resumes the partial file), are checked against the Hub's sha256, and
only then get their real name.

`hf_hub_download` is not used for the transfer itself: it deletes its partial file when
interrupted, so a paused download would start again from zero.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import glob
import hashlib
import logging
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, Literal, cast
from urllib.parse import quote, urlparse

import httpx2
from huggingface_hub import HfApi, RepoFile, constants, get_hf_file_metadata
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    OfflineModeIsEnabled,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.file_download import http_get
from huggingface_hub.utils import build_hf_headers

from . import secrets
from .errors import TokenscopeError
from .gguf_file import GGUFInfo, info_from_name, quant_from_name, split_info
from .library import DiskFullError, check_free_space, format_size, repo_dir

log = logging.getLogger(__name__)

__all__ = [
    "DiskFullError",
    "DownloadCancelled",
    "DownloadItem",
    "DownloadQueue",
    "DownloadState",
    "HubAuthError",
    "HubError",
    "HubNotFoundError",
    "HubOfflineError",
    "ModelSummary",
    "Progress",
    "RemoteFile",
    "RemoteGGUF",
    "VerificationError",
    "discard_partials",
    "download",
    "list_gguf_files",
    "search_models",
]

# huggingface_hub reads the body in 10 MB chunks; progress and cancellation happen between
# chunks, so use smaller ones (no measurable cost in throughput, see bench/download.py).
constants.DOWNLOAD_CHUNK_SIZE = min(constants.DOWNLOAD_CHUNK_SIZE, 256 * 1024)

GATED = (
    "This repository is gated or private: accept its terms on huggingface.co and add your "
    "Hugging Face token (Models window → Hugging Face token, 'tokenscope models token', "
    "or set HF_TOKEN)."
)
SortKey = Literal["downloads", "likes", "recent"]
_SORTS: dict[str, Literal["downloads", "likes", "last_modified"]] = {
    "downloads": "downloads",
    "likes": "likes",
    "recent": "last_modified",
}


class HubError(TokenscopeError):
    """A Hub operation failed; the message says why and what to do."""


class HubAuthError(HubError):
    """The repository is gated or private, or the token was refused."""


class HubNotFoundError(HubError):
    """No such repository, revision or file."""


class HubOfflineError(HubError):
    """The Hub cannot be reached."""


class VerificationError(HubError):
    """A downloaded file does not match the Hub's checksum (it has been deleted)."""


class DownloadCancelled(HubError):
    """The download was stopped by its cancel event; its partial file is kept for resuming."""


@contextlib.contextmanager
def _hub_errors(what: str) -> Iterator[None]:
    """Turn huggingface_hub / httpx2 errors into ours, with messages for users."""
    try:
        yield
    except GatedRepoError as exc:
        raise HubAuthError(f"{what}: {GATED}") from exc
    except RepositoryNotFoundError as exc:
        if exc.response is not None and exc.response.status_code == 404:
            message = f"{what}: no such repository on the Hub; check the name."
            raise HubNotFoundError(message) from exc
        raise HubAuthError(
            f"{what}: no such repository, or it is gated or private. Check the name; if it is "
            "gated or private, accept its terms on huggingface.co and add your Hugging Face "
            "token (Models window → Hugging Face token, or set HF_TOKEN)."
        ) from exc
    except (RevisionNotFoundError, RemoteEntryNotFoundError) as exc:
        raise HubNotFoundError(f"{what}: not found on the Hub; check the name.") from exc
    except HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else None
        if status in (401, 403):
            raise HubAuthError(f"{what}: {GATED}") from exc
        if status == 429:
            raise HubError("The Hub is limiting requests: wait a minute and try again.") from exc
        raise HubError(f"{what}: the Hub answered HTTP {status}; try again later.") from exc
    except (httpx2.TransportError, OfflineModeIsEnabled) as exc:
        raise HubOfflineError(
            f"Cannot reach the Hugging Face Hub at {constants.ENDPOINT}: check your internet "
            "connection (or proxy / HF_ENDPOINT) and try again."
        ) from exc
    except httpx2.RequestError as exc:
        raise HubError(f"{what}: the request to the Hub failed ({exc}); try again.") from exc


def _ensure_reachable(timeout: float = 5.0) -> None:
    """Fail fast when the Hub cannot be reached at all: huggingface_hub's search retries a
    refused connection with back-off for about 23 s before giving up."""
    from huggingface_hub.utils import get_session

    get_session().head(constants.ENDPOINT, timeout=timeout)


def _api() -> HfApi:
    return HfApi(endpoint=constants.ENDPOINT)


def _token(token: str | None) -> str | None:
    return token if token is not None else secrets.get_token()


# --- search and listing -------------------------------------------------------------------


@dataclass(frozen=True)
class ModelSummary:
    repo_id: str
    downloads: int = 0
    likes: int = 0
    last_modified: datetime | None = None
    gated: bool = False
    pipeline_tag: str | None = None
    tags: tuple[str, ...] = ()
    parameter_count: int | None = None  # from the Hub's GGUF summary, when it has one
    architecture: str | None = None
    context_length: int | None = None


def search_models(
    query: str, sort: SortKey = "downloads", limit: int = 30, *, token: str | None = None
) -> list[ModelSummary]:
    """GGUF model repositories matching `query`, most downloaded / liked / recent first."""
    if sort not in _SORTS:
        raise ValueError(f"sort must be one of {', '.join(_SORTS)}")
    with _hub_errors(f"Searching for {query!r}"):
        _ensure_reachable()
        found = _api().list_models(
            search=query.strip() or None,
            filter="gguf",
            sort=_SORTS[sort],
            limit=limit,
            expand=["downloads", "likes", "lastModified", "gated", "pipeline_tag", "tags", "gguf"],
            token=_token(token),
        )
        results = []
        for m in found:
            gguf = m.gguf if isinstance(m.gguf, dict) else {}
            results.append(
                ModelSummary(
                    repo_id=m.id,
                    downloads=m.downloads or 0,
                    likes=m.likes or 0,
                    last_modified=m.last_modified,
                    gated=bool(m.gated),
                    pipeline_tag=m.pipeline_tag,
                    tags=tuple(m.tags or ()),
                    parameter_count=_opt_int(gguf.get("total")),
                    architecture=gguf.get("architecture"),
                    context_length=_opt_int(gguf.get("context_length")),
                )
            )
    return results


def _opt_int(value: Any) -> int | None:
    return int(value) if isinstance(value, (int, float)) else None


@dataclass(frozen=True)
class RemoteFile:
    path: str  # in the repository
    size: int
    sha256: str | None  # None for files not stored with LFS


@dataclass(frozen=True)
class RemoteGGUF:
    """One model file in a repository; a split model is one entry with several parts."""

    repo_id: str
    name: str  # file name, or for a split model its base name + ".gguf"
    parts: tuple[RemoteFile, ...]
    quant: str | None
    split_count: int = 1

    @property
    def size(self) -> int:
        return sum(p.size for p in self.parts)

    @property
    def filenames(self) -> list[str]:
        return [p.path for p in self.parts]

    @property
    def complete(self) -> bool:
        return len(self.parts) == self.split_count

    def estimate(self) -> GGUFInfo:
        """Metadata guessed from name and size (for a "fits in RAM" verdict before download)."""
        return replace(info_from_name(self.parts[0].path, self.size), file_type=self.quant)


def list_gguf_files(
    repo_id: str, token: str | None = None, *, revision: str | None = None
) -> list[RemoteGGUF]:
    """The GGUF files of a repository with sizes and quantisation, smallest first."""
    with _hub_errors(repo_id):
        info = _api().model_info(
            repo_id, revision=revision, files_metadata=True, token=_token(token)
        )
    files = [
        RemoteFile(s.rfilename, s.size or 0, s.lfs.sha256 if s.lfs else None)
        for s in info.siblings or []
        if s.rfilename.lower().endswith(".gguf") and _safe_name(s.rfilename)
    ]
    groups: dict[tuple[str, str, int], list[RemoteFile]] = {}
    singles: list[RemoteGGUF] = []
    for f in files:
        folder, _, filename = f.path.rpartition("/")
        quant = quant_from_name(filename) or (quant_from_name(folder) if folder else None)
        parts = split_info(filename)
        if parts is None:
            singles.append(RemoteGGUF(repo_id, f.path, (f,), quant))
        else:
            groups.setdefault((folder, parts[0], parts[2]), []).append(f)
    for (folder, base, count), members in groups.items():
        members.sort(key=lambda m: m.path)
        name = f"{folder}/{base}.gguf" if folder else f"{base}.gguf"
        quant = quant_from_name(base) or (quant_from_name(folder) if folder else None)
        singles.append(RemoteGGUF(repo_id, name, tuple(members), quant, count))
    return sorted(singles, key=lambda g: (g.size, g.name))


# --- progress -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    filename: str
    file_index: int  # 1-based
    file_count: int
    done: int  # bytes, all files of the download together
    total: int
    speed: float  # bytes per second, over the last few seconds
    eta: float | None  # seconds

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


ProgressCallback = Callable[[Progress], None]


class _Tracker:
    """Counts bytes for the progress callback and raises when the cancel event is set."""

    WINDOW_S = 5.0
    EVERY_S = 0.1

    def __init__(
        self,
        total: int,
        file_count: int,
        callback: ProgressCallback | None,
        cancel: threading.Event | None,
    ) -> None:
        self.total, self.file_count = total, file_count
        self.callback, self.cancel = callback, cancel
        self.base = 0  # bytes of files already complete
        self.file_done = 0
        self.filename, self.index = "", 0
        self.received = 0  # bytes that came over the network in this call
        self.samples: deque[tuple[float, int]] = deque([(time.monotonic(), 0)])
        self.last_emit = 0.0

    def check(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise DownloadCancelled("The download was paused or cancelled.")

    def begin(self, index: int, filename: str, base: int) -> None:
        self.index, self.filename, self.base, self.file_done = index, filename, base, 0

    def set_file_done(self, n: int) -> None:
        self.file_done = n
        self.emit(force=True)

    def advance(self, n: int) -> None:
        self.check()
        self.file_done += n
        self.received += max(n, 0)
        self.emit()

    def emit(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.callback is None or (not force and now - self.last_emit < self.EVERY_S):
            return
        self.last_emit = now
        self.samples.append((now, self.received))
        while len(self.samples) > 2 and now - self.samples[0][0] > self.WINDOW_S:
            self.samples.popleft()
        t0, r0 = self.samples[0]
        speed = (self.received - r0) / (now - t0) if now > t0 else 0.0
        done = min(self.base + self.file_done, self.total)
        eta = (self.total - done) / speed if speed > 0 else None
        self.callback(
            Progress(self.filename, self.index, self.file_count, done, self.total, speed, eta)
        )


class _Bar:
    """Stands in for tqdm inside `http_get`: forwards byte counts to a `_Tracker`."""

    def __init__(self, tracker: _Tracker, *_: Any, initial: int = 0, **__: Any) -> None:
        self.tracker = tracker
        tracker.set_file_done(initial)

    def update(self, n: int = 1) -> None:
        self.tracker.advance(n)

    def close(self) -> None:
        pass

    def __enter__(self) -> _Bar:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


# --- verified, resumable download ---------------------------------------------------------


class _HashingWriter:
    """The file object `http_get` writes to; hashes what is written on a second thread.

    Hashing there costs no download time where a core is free. The bytes already on disk
    (a resumed download) are hashed first, on that thread too.
    """

    def __init__(self, f: BinaryIO, path: Path, new_hash: Callable[[], Any]) -> None:
        self.f, self.path, self.new_hash = f, path, new_hash
        self._start(f.tell())

    def _start(self, prefix: int) -> None:
        self.hash = self.new_hash()
        self.error: OSError | None = None
        self.queue: queue.Queue[bytes | None] = queue.Queue(maxsize=32)
        self.thread = threading.Thread(target=self._run, args=(prefix,), daemon=True)
        self.thread.start()
        self.running = True

    def _run(self, prefix: int) -> None:
        try:
            _hash_file(self.path, self.hash, prefix)
        except OSError as exc:
            self.error = exc
        while (data := self.queue.get()) is not None:
            if self.error is None:
                self.hash.update(data)

    def write(self, data: bytes) -> int:
        self.queue.put(data)
        return self.f.write(data)

    def tell(self) -> int:
        return self.f.tell()

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self.f.seek(offset, whence)

    def truncate(self, size: int | None = None) -> int:
        # http_get truncates when a server ignores the Range header: hash again from scratch
        self.close()
        result = self.f.truncate(size)
        self.f.flush()
        self._start(os.fstat(self.f.fileno()).st_size)
        return result

    def close(self) -> None:
        """Let the hashing thread finish (idempotent)."""
        if self.running:
            self.running = False
            self.queue.put(None)
            self.thread.join()

    def hexdigest(self) -> str:
        self.close()
        if self.error is not None:
            raise self.error
        return str(self.hash.hexdigest())


def _hash_file(path: Path, hasher: Any, size: int) -> None:
    if size <= 0:
        return
    with path.open("rb") as f:
        while size > 0 and (block := f.read(min(size, 1024 * 1024))):
            hasher.update(block)
            size -= len(block)


def _partial_path(final: Path, tag: str) -> Path:
    return final.with_name(f"{final.name}.{tag[:16]}.incomplete")


def _partials(final: Path) -> list[Path]:
    return list(final.parent.glob(f"{glob.escape(final.name)}.*.incomplete"))


def discard_partials(dest_dir: str | os.PathLike[str], filenames: Sequence[str]) -> None:
    """Delete the partial files of a cancelled download."""
    for name in filenames:
        for partial in _partials(Path(dest_dir) / name):
            partial.unlink(missing_ok=True)


def _safe_name(name: str) -> bool:
    """A relative path inside the repository (a hostile listing must not escape dest_dir)."""
    parts = PurePosixPath(name).parts
    return bool(parts) and not name.startswith("/") and ".." not in parts and "\\" not in name


def _file_url(repo_id: str, filename: str, revision: str) -> str:
    return f"{constants.ENDPOINT}/{repo_id}/resolve/{quote(revision, safe='')}/{quote(filename)}"


def _origin(url: str) -> tuple[str, str]:
    parsed = urlparse(url)
    return parsed.scheme, parsed.netloc.lower()


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
    """
    names = [filenames] if isinstance(filenames, str) else list(filenames)
    for name in names:
        if not _safe_name(name):
            raise HubError(f"Refusing to download {name!r}: not a plain file path in the repo.")
    dest = Path(dest_dir) if dest_dir is not None else repo_dir(repo_id)
    token = _token(token)
    tracker = _Tracker(0, len(names), progress_callback, cancel_event)
    tracker.check()
    with _hub_errors(f"{repo_id}/{names[0]}" if len(names) == 1 else repo_id):
        first = get_hf_file_metadata(_file_url(repo_id, names[0], revision or "main"), token=token)
        commit = first.commit_hash or revision or "main"
        found = _api().get_paths_info(repo_id, names, revision=commit, token=token)
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
            partial = _partial_path(final, _tag(r))
            missing += r.size - (partial.stat().st_size if partial.is_file() else 0)
    check_free_space(dest, missing, ", ".join(names))

    results, base = [], 0
    for index, r in enumerate(remote, start=1):
        tracker.begin(index, r.path, base)
        results.append(_download_one(repo_id, r, dest, commit, token, tracker))
        base += r.size
    tracker.begin(len(remote), remote[-1].path, base)
    tracker.emit(force=True)
    return results


def _tag(r: RemoteFile) -> str:
    return (r.sha256 or "").removeprefix("git:") or "nohash"


def _new_hash(r: RemoteFile) -> Callable[[], Any]:
    if r.sha256 and not r.sha256.startswith("git:"):
        return hashlib.sha256

    def git_blob() -> Any:  # files outside LFS are checked with their git blob id
        h = hashlib.sha1(usedforsecurity=False)
        h.update(f"blob {r.size}\0".encode())
        return h

    return git_blob


def _download_one(
    repo_id: str, r: RemoteFile, dest: Path, commit: str, token: str | None, tracker: _Tracker
) -> Path:
    final = dest / r.path
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.is_file() and final.stat().st_size == r.size:
        log.info("%s is already downloaded", final.name)
        tracker.set_file_done(r.size)
        return final
    partial = _partial_path(final, _tag(r))
    for stale in _partials(final):
        if stale != partial:  # left by another version of the file: cannot be resumed
            stale.unlink(missing_ok=True)
    if partial.is_file() and partial.stat().st_size > r.size:
        partial.unlink()
    tracker.check()
    url = _file_url(repo_id, r.path, commit)
    with _hub_errors(f"{repo_id}/{r.path}"):
        meta = get_hf_file_metadata(url, token=token)
    headers = build_hf_headers(token=token)
    if _origin(meta.location) != _origin(url):  # a CDN: the token stays with the Hub
        headers.pop("authorization", None)
    try:
        with partial.open("ab") as f:
            resume = f.tell()
            if resume:
                log.info("Resuming %s at %s", final.name, format_size(resume))
            writer = _HashingWriter(f, partial, _new_hash(r))
            try:
                with _hub_errors(f"{repo_id}/{r.path}"):
                    http_get(
                        meta.location,
                        cast(BinaryIO, writer),
                        resume_size=resume,
                        headers=headers,
                        expected_size=r.size,
                        tqdm_class=cast(Any, functools.partial(_Bar, tracker)),
                    )
            finally:
                writer.close()
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1), errno.EFBIG):
            partial.unlink(missing_ok=True)
            if exc.errno == errno.EFBIG:
                raise DiskFullError(
                    f"{final.name} is too large for the file system of {dest} (FAT32 holds at "
                    "most 4 GB per file): choose a models folder on another drive."
                ) from exc
            raise DiskFullError(
                f"The disk filled up while downloading {final.name}; the partial file was "
                f"deleted. Free some space ({format_size(r.size)} are needed) and try again."
            ) from exc
        raise HubError(
            f"Downloading {final.name} failed ({exc}). Try again: it resumes where it stopped."
        ) from exc
    try:
        digest = writer.hexdigest()
    except OSError as exc:
        raise HubError(f"Cannot read {partial} back to verify it: {exc.strerror}.") from exc
    if digest != _tag(r):
        partial.unlink(missing_ok=True)
        raise VerificationError(
            f"{final.name} from {repo_id} does not match the Hub's checksum, so it was "
            "deleted (a corrupted transfer?). Download it again."
        )
    os.replace(partial, final)
    log.info("Downloaded and verified %s", final)
    return final


# --- the download queue -------------------------------------------------------------------


class DownloadState(str, Enum):
    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class DownloadItem:
    id: int
    repo_id: str
    filenames: tuple[str, ...]
    dest_dir: Path
    state: DownloadState = DownloadState.QUEUED
    progress: Progress | None = None
    error: str | None = None
    paths: tuple[Path, ...] = ()


DownloadFn = Callable[..., list[Path]]


class DownloadQueue:
    """Runs downloads one at a time on a worker thread; pause, resume and cancel each.

    `on_change(item)` is called (on the worker thread, or the caller's for pause/cancel of
    a waiting item) with a snapshot whenever an item's state or progress changes.
    """

    def __init__(
        self,
        on_change: Callable[[DownloadItem], None] | None = None,
        *,
        token: Callable[[], str | None] = secrets.get_token,
    ) -> None:
        self._on_change = on_change
        self._token = token
        self._items: dict[int, DownloadItem] = {}
        self._order: list[int] = []
        self._stop_reason: dict[int, DownloadState] = {}
        self._events: dict[int, threading.Event] = {}
        self._cond = threading.Condition()
        self._closed = False
        self._worker: threading.Thread | None = None
        self._next_id = 1

    def add(
        self,
        repo_id: str,
        filenames: str | Sequence[str],
        dest_dir: str | os.PathLike[str] | None = None,
    ) -> DownloadItem:
        names = (filenames,) if isinstance(filenames, str) else tuple(filenames)
        dest = Path(dest_dir) if dest_dir is not None else repo_dir(repo_id)
        with self._cond:
            if self._closed:
                raise RuntimeError("The download queue is closed.")
            item = DownloadItem(self._next_id, repo_id, names, dest)
            self._next_id += 1
            self._items[item.id] = item
            self._order.append(item.id)
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, name="downloads", daemon=True)
                self._worker.start()
            self._cond.notify_all()
        self._notify(item)
        return item

    def items(self) -> list[DownloadItem]:
        with self._cond:
            return [self._items[i] for i in self._order]

    def get(self, item_id: int) -> DownloadItem:
        with self._cond:
            return self._items[item_id]

    def pause(self, item_id: int) -> None:
        """Stop a queued or running download, keeping what was downloaded."""
        self._stop(item_id, DownloadState.PAUSED)

    def cancel(self, item_id: int) -> None:
        """Stop a download and delete its partial files."""
        self._stop(item_id, DownloadState.CANCELLED)

    def resume(self, item_id: int) -> None:
        """Queue a paused, failed or cancelled download again (it continues where it was)."""
        with self._cond:
            item = self._items[item_id]
            if item.state not in (
                DownloadState.PAUSED,
                DownloadState.FAILED,
                DownloadState.CANCELLED,
            ):
                return
            item = self._set(item_id, state=DownloadState.QUEUED, error=None)
            self._order.remove(item_id)
            self._order.append(item_id)
            self._cond.notify_all()
        self._notify(item)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until nothing is queued or running; False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._busy():
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def close(self, timeout: float | None = 10.0) -> None:
        """Pause what is running (partial files stay for next time) and stop the worker."""
        with self._cond:
            self._closed = True
            for item_id in self._order:
                if self._items[item_id].state == DownloadState.QUEUED:
                    self._set(item_id, state=DownloadState.PAUSED)
            for item_id, event in self._events.items():
                self._stop_reason[item_id] = DownloadState.PAUSED
                event.set()
            self._cond.notify_all()
            worker = self._worker
        if worker is not None:
            worker.join(timeout)

    # internals

    def _busy(self) -> bool:
        busy = (DownloadState.QUEUED, DownloadState.RUNNING)
        return any(self._items[i].state in busy for i in self._order)

    def _set(self, item_id: int, **changes: Any) -> DownloadItem:
        item = replace(self._items[item_id], **changes)
        self._items[item_id] = item
        return item

    def _notify(self, item: DownloadItem) -> None:
        if self._on_change is not None:
            try:
                self._on_change(item)
            except Exception:
                log.exception("Download listener failed")

    def _stop(self, item_id: int, state: DownloadState) -> None:
        with self._cond:
            item = self._items[item_id]
            if item.state == DownloadState.RUNNING:
                self._stop_reason[item_id] = state
                self._events[item_id].set()
                return  # the worker reports the new state once the transfer has stopped
            if item.state in (DownloadState.DONE, DownloadState.CANCELLED):
                return
            if state == DownloadState.PAUSED and item.state != DownloadState.QUEUED:
                return
            item = self._set(item_id, state=state)
            self._cond.notify_all()
        if state == DownloadState.CANCELLED:
            discard_partials(item.dest_dir, item.filenames)
        self._notify(item)

    def _next(self) -> DownloadItem | None:
        with self._cond:
            while not self._closed:
                for item_id in self._order:
                    if self._items[item_id].state == DownloadState.QUEUED:
                        self._events[item_id] = threading.Event()
                        return self._set(item_id, state=DownloadState.RUNNING)
                self._cond.wait()
            return None

    def _run(self) -> None:
        while (item := self._next()) is not None:
            self._notify(item)
            changes = self._transfer(item)
            with self._cond:
                self._events.pop(item.id, None)
                item = self._set(item.id, **changes)
                self._cond.notify_all()
            self._notify(item)

    def _transfer(self, item: DownloadItem) -> dict[str, Any]:
        def progress(p: Progress) -> None:
            with self._cond:
                snapshot = self._set(item.id, progress=p)
            self._notify(snapshot)

        try:
            done = download(
                item.repo_id,
                item.filenames,
                item.dest_dir,
                progress,
                self._events[item.id],
                token=self._token(),
            )
            return {"state": DownloadState.DONE, "paths": tuple(done)}
        except DownloadCancelled:
            with self._cond:
                reason = self._stop_reason.pop(item.id, DownloadState.PAUSED)
            if reason == DownloadState.CANCELLED:
                discard_partials(item.dest_dir, item.filenames)
            return {"state": reason}
        except (HubError, DiskFullError) as exc:
            return {"state": DownloadState.FAILED, "error": str(exc)}
        except Exception as exc:
            log.exception("Download of %s failed", item.repo_id)
            return {"state": DownloadState.FAILED, "error": f"Unexpected error: {exc}"}
