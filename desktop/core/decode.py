"""The pieces of the engine's own decode loop on llama.cpp's C API: a reusable
``llama_batch`` seen as numpy views, and a helper thread that runs ``llama_decode`` while
the caller goes on (used only when a CPU core is spare)."""

from __future__ import annotations

import logging
import threading
import weakref
from typing import Any

import numpy as np

log = logging.getLogger(__name__)


class _Batch:
    """A reusable ``llama_batch`` for one sequence, its arrays seen as numpy views."""

    def __init__(self, lib: Any, size: int) -> None:
        self.struct = lib.llama_batch_init(size, 0, 1)
        # freed by free(), or when garbage-collected (never twice)
        self._free = weakref.finalize(self, lib.llama_batch_free, self.struct)
        self.size = size
        self.token = np.ctypeslib.as_array(self.struct.token, shape=(size,))
        self.pos = np.ctypeslib.as_array(self.struct.pos, shape=(size,))
        self.logits = np.ctypeslib.as_array(self.struct.logits, shape=(size,))
        np.ctypeslib.as_array(self.struct.n_seq_id, shape=(size,))[:] = 1
        for i in range(size):  # every token belongs to sequence 0, once and for all
            self.struct.seq_id[i][0] = 0

    def free(self) -> None:
        # the views would point into freed memory: replace them by empty arrays
        self.token = self.pos = self.logits = np.empty(0, dtype=np.int32)
        self._free()


class _DecodeThread:
    """A helper thread that runs ``llama_decode`` on the engine's batch when told to.

    ``start`` returns once the thread is inside llama.cpp (the GIL released, so the caller
    runs on at once); ``finish`` waits for llama.cpp's return code. Plain locks used as
    binary semaphores: the cheapest hand-over CPython has.
    """

    def __init__(self, decode: Any, ctx: Any, batch: Any) -> None:
        self._args = decode, ctx, batch
        self._go, self._started, self._done = (threading.Lock() for _ in range(3))
        for lock in (self._go, self._started, self._done):
            lock.acquire()
        self._rc = 0
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="llama-decode", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        decode, ctx, batch = self._args
        while True:
            self._go.acquire()
            if self._stopping:
                return
            self._started.release()
            try:
                self._rc = int(decode(ctx, batch))
            except BaseException:  # reported as a failed decode
                log.exception("llama_decode raised")
                self._rc = -1000
            self._done.release()

    def start(self) -> None:
        self._go.release()
        self._started.acquire()

    def finish(self) -> int:
        self._done.acquire()
        return self._rc

    def stop(self) -> None:
        self._stopping = True
        self._go.release()
        self._thread.join(10)
