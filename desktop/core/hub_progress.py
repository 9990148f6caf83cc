"""Download progress: bytes, speed over the last seconds, time left; and cancellation.

`Tracker` counts the bytes of a download (all its files together) for a progress
callback and raises `DownloadCancelled` between chunks once the cancel event is set.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from .hub_errors import DownloadCancelled


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


class Tracker:
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
