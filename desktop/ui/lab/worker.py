"""Runs one lab experiment off the UI thread, with progress and cancel.

The experiment gets the Lab's own engine (loaded here, in the worker thread, on first use
or when the model or context size changed): the lab never touches the chat's KV cache.
llama.cpp maps the weights from the file, so a second context on the same model costs its
KV cache and buffers, not a second copy of the weights.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from desktop.core.errors import TokenscopeError
from desktop.core.lab.common import CancelFlag, Cancelled, ProgressFn, ProgressInfo
from desktop.ui.worker import unexpected_error

log = logging.getLogger(__name__)

Job = Callable[[Any, ProgressFn, CancelFlag], Any]


class EngineHolder:
    """The Lab's engine, (re)loaded for the model path and n_ctx asked for."""

    def __init__(self) -> None:
        self.engine: Any = None
        self._lock = threading.Lock()

    def get(self, path: Path, n_ctx: int, n_threads: int | None) -> Any:
        from desktop.core.engine import Engine, LoadOptions

        with self._lock:
            e = self.engine
            if e is not None and (e.path != path or e.options.n_ctx != n_ctx
                                  or e.options.n_threads != n_threads):
                e.close()
                self.engine = e = None
            if e is None:
                self.engine = e = Engine(path, LoadOptions(n_ctx=n_ctx, n_threads=n_threads))
            return e

    def close(self) -> None:
        with self._lock:
            if self.engine is not None:
                self.engine.close()
                self.engine = None


class LabWorker(QObject):
    """``job(engine, progress, cancel)``; the engine is None when no model is needed."""

    loading = Signal()  #: the model is being loaded
    progress = Signal(object)  #: a ProgressInfo
    succeeded = Signal(object)  #: the experiment's result
    cancelled = Signal()
    failed = Signal(str)
    done = Signal()  #: always last

    def __init__(self, job: Job, holder: EngineHolder, model: Path | None, n_ctx: int,
                 n_threads: int | None = None) -> None:
        super().__init__()
        self.job = job
        self.holder = holder
        self.model = model
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.cancel = threading.Event()

    def _report(self, info: ProgressInfo) -> None:
        self.progress.emit(info)

    @Slot()
    def run(self) -> None:
        try:
            engine = None
            if self.model is not None:
                self.loading.emit()
                engine = self.holder.get(self.model, self.n_ctx, self.n_threads)
            if self.cancel.is_set():
                raise Cancelled()
            result = self.job(engine, self._report, self.cancel)
        except Cancelled:
            self.cancelled.emit()
        except TokenscopeError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # reported to the user, not raised
            log.exception("lab experiment failed")
            self.failed.emit(unexpected_error(exc))
        else:
            self.succeeded.emit(result)
        finally:
            self.done.emit()
