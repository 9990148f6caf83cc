"""Work that must not run on the UI thread: generation, model loading, downloads.

Each worker is a QObject moved to its own QThread. Its signals reach the window through
queued connections, so slots run on the UI thread. Errors never escape as tracebacks: a
``TokenscopeError``'s message goes to ``failed`` as is, anything else is logged and
reported with a generic message.

The generation worker batches: the session fills the reply node in place, and the worker
tells the UI that it grew at most every ``interval`` seconds (never per token).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal, Slot

from desktop.core.errors import TokenscopeError
from desktop.core.generation import DoneEvent, Event, PromptEvent
from desktop.core.session import ChatSession

log = logging.getLogger(__name__)

#: How often the UI hears about a growing reply (seconds).
UPDATE_INTERVAL = 0.04


def unexpected_error(exc: BaseException) -> str:
    return QCoreApplication.translate(
        "Worker",
        "Something went wrong: %1. The details are in the log file; "
        "please try again, or report the problem.",
    ).replace("%1", f"{type(exc).__name__}: {exc}")


class GenerationWorker(QObject):
    """Runs one of the session's event iterators (send, regenerate, edit, branch)."""

    started = Signal(int)  #: the reply node's id (the node exists now)
    prompt_done = Signal(int, object)  #: node id, the ContextPlan (None for a branch)
    progress = Signal(int)  #: node id: its content/traces grew since the last signal
    finished = Signal(int, str)  #: node id, finish reason
    failed = Signal(str)  #: a message for the user
    done = Signal()  #: always last

    def __init__(
        self,
        session: ChatSession,
        start: Callable[[threading.Event], Iterator[Event]],
        interval: float = UPDATE_INTERVAL,
    ) -> None:
        super().__init__()
        self.session = session
        self.start = start
        self.interval = interval
        self.cancel = threading.Event()
        self.node_id: int | None = None

    @Slot()
    def run(self) -> None:
        node = None
        try:
            plan_before = self.session.last_plan
            events = self.start(self.cancel)
            conv = self.session.conversation
            assert conv.leaf is not None
            node = conv.nodes[conv.leaf]
            self.node_id = node.id
            self.started.emit(node.id)
            plan = self.session.last_plan
            last = time.monotonic()
            dirty = False
            for event in events:
                if isinstance(event, PromptEvent):
                    self.prompt_done.emit(node.id, plan if plan is not plan_before else None)
                    last = time.monotonic()
                elif isinstance(event, DoneEvent):
                    if dirty:
                        self.progress.emit(node.id)
                    self.finished.emit(node.id, event.reason)
                    dirty = False
                else:
                    dirty = True
                    now = time.monotonic()
                    if now - last >= self.interval:
                        self.progress.emit(node.id)
                        last = now
                        dirty = False
        except TokenscopeError as exc:
            self._fail(node, str(exc))
        except Exception as exc:  # reported to the user, not raised
            log.exception("generation failed")
            self._fail(node, unexpected_error(exc))
        finally:
            self.done.emit()

    def _fail(self, node: Any, message: str) -> None:
        if node is not None and not node.finish_reason:
            node.finish_reason = "interrupted"
            self.finished.emit(node.id, node.finish_reason)
        self.failed.emit(message)


class TaskWorker(QObject):
    """Runs ``fn(report)`` and emits its result; ``report(text)`` shows progress."""

    message = Signal(str)
    succeeded = Signal(object)
    failed = Signal(str)
    done = Signal()

    def __init__(self, fn: Callable[[Callable[[str], None]], object]) -> None:
        super().__init__()
        self.fn = fn

    @Slot()
    def run(self) -> None:
        try:
            result = self.fn(self.message.emit)
        except TokenscopeError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # reported to the user, not raised
            log.exception("background task failed")
            self.failed.emit(unexpected_error(exc))
        else:
            self.succeeded.emit(result)
        finally:
            self.done.emit()


class Threads(QObject):
    """Starts workers on their own threads and keeps them alive until they finish."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._running: list[tuple[QThread, QObject]] = []

    def start(self, worker: QObject, name: str) -> QThread:
        thread = QThread()
        thread.setObjectName(name)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)  # type: ignore[attr-defined]
        # direct: QThread.quit is thread-safe, and the UI thread may be blocked in wait_all
        worker.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)  # type: ignore[attr-defined]
        thread.finished.connect(self._on_finished)
        self._running.append((thread, worker))
        thread.start()
        return thread

    @Slot()
    def _on_finished(self) -> None:
        thread = self.sender()
        for pair in list(self._running):
            if pair[0] is thread:
                pair[0].wait()  # "finished" comes just before the thread really ends
                self._running.remove(pair)  # Python owns both: dropping them deletes them

    def busy(self) -> bool:
        return any(t.isRunning() for t, _ in self._running)

    def wait_all(self, msecs: int = 30_000) -> bool:
        """Block until every thread has ended (window closing). True if all did."""
        ok = True
        for thread, _ in list(self._running):
            ok = thread.wait(msecs) and ok
        return ok


# --- model loading -----------------------------------------------------------------------

_build_checked = False
_build_lock = threading.Lock()


def check_build_once() -> None:
    """Run the llama.cpp crash probe once per process (it is also cached on disk)."""
    global _build_checked
    with _build_lock:
        if _build_checked:
            return
        from desktop.core import backend

        backend.ensure_working_build()
        _build_checked = True


def load_engine(
    path: str | Path, options: Any, report: Callable[[str], None], probe: bool = True
) -> tuple[Any, dict[str, Any]]:
    """Load a model (off the UI thread). Returns the Engine and the backend's build info."""
    from desktop.core import backend
    from desktop.core.engine import Engine

    if probe:
        report(QCoreApplication.translate("Worker", "Checking the llama.cpp build…"))
        check_build_once()
    report(QCoreApplication.translate("Worker", "Loading %1…").replace("%1", Path(path).name))
    engine = Engine(path, options)
    if not engine.chat_template:
        # choosing llama.cpp's built-in format looks at every token: here, not in the UI
        engine.control_token_texts()
    return engine, backend.build_info().to_dict()
