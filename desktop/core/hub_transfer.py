"""One file from the Hub to disk: resumable, hashed while it arrives, verified, renamed.

The file is written under a temporary name (``<name>.<hash prefix>.incomplete``) that a
later call resumes with a Range request, checked against the Hub's sha256 (or git blob
id) and only then given its real name.

The transfer is a plain streamed GET on huggingface_hub's HTTP session (its headers,
proxy and certificate settings), not its `http_get`: that one retries each stall five
times a second apart, restarts its count whenever a byte arrives (a server that always
cuts at the same place keeps it busy) and loses the chunk it was reading. Here a
connection that drops after bringing new bytes is resumed at once, any number of times;
`MAX_STALLS` attempts in a row that bring nothing end the download with an error that
names the cause ("kept closing the connection", not "cannot reach the Hub").
"""

from __future__ import annotations

import errno
import glob
import hashlib
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import httpx2
from huggingface_hub import get_hf_file_metadata
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status

from . import hub_client
from .hub_client import file_url, origin
from .hub_errors import (
    HubError,
    VerificationError,
    dropped_error,
    http_error,
    hub_errors,
    is_connect_failure,
    offline_error,
)
from .hub_progress import Tracker
from .hub_search import RemoteFile
from .library import DiskFullError, format_size

log = logging.getLogger(__name__)

MAX_STALLS = 3  # attempts in a row that bring no new byte before giving up
RETRY_WAIT_S = (0.0, 0.5, 1.0)  # pause before resuming, by the number of stalls so far


class HashingWriter:
    """The file the transfer writes to; hashes what is written on a second thread.

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
        # truncated when a server ignores the Range header: hash again from scratch
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


def partial_path(final: Path, tag: str) -> Path:
    return final.with_name(f"{final.name}.{tag[:16]}.incomplete")


def partials(final: Path) -> list[Path]:
    return list(final.parent.glob(f"{glob.escape(final.name)}.*.incomplete"))


def discard_partials(dest_dir: str | os.PathLike[str], filenames: Sequence[str]) -> None:
    """Delete the partial files of a cancelled download."""
    for name in filenames:
        for partial in partials(Path(dest_dir) / name):
            partial.unlink(missing_ok=True)


def tag(r: RemoteFile) -> str:
    return (r.sha256 or "").removeprefix("git:") or "nohash"


def _new_hash(r: RemoteFile) -> Callable[[], Any]:
    if r.sha256 and not r.sha256.startswith("git:"):
        return hashlib.sha256

    def git_blob() -> Any:  # files outside LFS are checked with their git blob id
        h = hashlib.sha1(usedforsecurity=False)
        h.update(f"blob {r.size}\0".encode())
        return h

    return git_blob


def fetch_file(
    repo_id: str, r: RemoteFile, dest: Path, commit: str, token: str | None, tracker: Tracker
) -> Path:
    """Download `r` into `dest` (resuming a partial file), verify it, give it its name."""
    final = dest / r.path
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.is_file() and final.stat().st_size == r.size:
        log.info("%s is already downloaded", final.name)
        tracker.set_file_done(r.size)
        return final
    partial = partial_path(final, tag(r))
    for stale in partials(final):
        if stale != partial:  # left by another version of the file: cannot be resumed
            stale.unlink(missing_ok=True)
    if partial.is_file() and partial.stat().st_size > r.size:
        partial.unlink()
    tracker.check()
    what = f"{repo_id}/{r.path}"
    url = file_url(repo_id, r.path, commit)
    with hub_errors(what):
        meta = get_hf_file_metadata(url, token=token, timeout=hub_client.TIMEOUT_S)
    headers = build_hf_headers(token=token)
    if origin(meta.location) != origin(url):  # a CDN: the token stays with the Hub
        headers.pop("authorization", None)
    try:
        with partial.open("ab") as f:
            writer = HashingWriter(f, partial, _new_hash(r))
            try:
                _transfer(meta.location, writer, r.size, headers, tracker, what)
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
    if digest != tag(r):
        partial.unlink(missing_ok=True)
        raise VerificationError(
            f"{final.name} from {repo_id} does not match the Hub's checksum, so it was "
            "deleted (a corrupted transfer?). Download it again."
        )
    os.replace(partial, final)
    log.info("Downloaded and verified %s", final)
    return final


def _transfer(
    url: str,
    writer: HashingWriter,
    size: int,
    headers: dict[str, str],
    tracker: Tracker,
    what: str,
) -> None:
    """GET `url` into `writer`, resuming after every dropped connection that brought
    bytes; give up after `MAX_STALLS` attempts in a row that brought none."""
    stalls = 0
    while True:
        start = writer.tell()
        try:
            _get(url, writer, size, headers, tracker, what)
            return
        except HfHubHTTPError as exc:
            raise http_error(what, exc) from exc
        except httpx2.TransportError as exc:
            stalls = 0 if writer.tell() > start else stalls + 1
            if stalls >= MAX_STALLS:
                if is_connect_failure(exc):
                    raise offline_error(exc) from exc
                raise dropped_error(what, exc, attempts=stalls, resumable=True) from exc
            log.info("%s: connection lost (%s); resuming", what, type(exc).__name__)
            wait = RETRY_WAIT_S[min(stalls, len(RETRY_WAIT_S) - 1)]
            if tracker.cancel is not None:
                tracker.cancel.wait(wait)
            else:
                time.sleep(wait)
            tracker.check()


def _get(
    url: str,
    writer: HashingWriter,
    size: int,
    headers: dict[str, str],
    tracker: Tracker,
    what: str,
) -> None:
    """One GET of the rest of the file (a Range request when part of it is there)."""
    start = writer.tell()
    tracker.set_file_done(start)
    if start >= size:
        return
    if start:
        log.info("Resuming %s at %s", what, format_size(start))
        headers = {**headers, "Range": f"bytes={start}-"}
    with get_session().stream(
        "GET", url, headers=headers, timeout=hub_client.TIMEOUT_S, follow_redirects=True
    ) as response:
        hf_raise_for_status(response)
        if start and response.status_code == 200:  # the server ignored Range: start over
            writer.seek(0)
            writer.truncate(0)
            tracker.set_file_done(0)
        # no chunk_size: a chunk is written as soon as it arrives, none is lost on a drop
        for chunk in response.iter_bytes():
            writer.write(chunk)
            tracker.advance(len(chunk))
    if writer.tell() != size:
        raise HubError(
            f"{what}: the server sent {format_size(writer.tell())} of "
            f"{format_size(size)}. Try again: it resumes where it stopped."
        )
