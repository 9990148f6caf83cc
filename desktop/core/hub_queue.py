"""The download queue: one download at a time on a worker thread; pause, resume, cancel.

The window's Downloads tab is a view of it; each change reaches listeners as an immutable
`DownloadItem` snapshot.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path
from typing import Any

from . import secrets
from .hub_download import download
from .hub_errors import DownloadCancelled, HubError
from .hub_progress import Progress
from .hub_transfer import discard_partials
from .library import DiskFullError, repo_dir

log = logging.getLogger(__name__)


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
