"""What the lens views share: running a core function off the UI thread, saving a result,
the candidates table of a clicked token."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from desktop.ui.worker import TaskWorker, Threads

if TYPE_CHECKING:
    from desktop.ui.window.history import History
    from desktop.ui.window.state import AppState


class Lenses(QObject):
    """The window's objects a lens needs: the state (the model, the conversation), the
    history (the store) and the worker threads. ``busy`` is True while a lens runs the
    model in the background; ``busy_changed`` says when that changes."""

    busy_changed = Signal(bool)

    def __init__(self, state: AppState, history: History | None, threads: Threads) -> None:
        super().__init__(state)
        self.state = state
        self.history = history
        self.threads = threads
        self.busy = False
        self._holds_model = False

    def why_not(self) -> str | None:
        """Why the model cannot be used now (None: it can)."""
        s = self.state
        if s.engine is None:
            return self.tr("Load a model first.")
        if s.generating or s.loading:
            return self.tr("Wait until the model has finished its current work.")
        if self.busy:
            return self.tr("A lens is still running.")
        return None

    def run(self, fn: Callable[[Callable[[str], None]], object],
            done: Callable[[object], None], failed: Callable[[str], None],
            uses_model: bool = True) -> None:
        """``fn(report)`` on a worker thread; ``done(result)`` or ``failed(text)`` after.
        ``uses_model``: the loaded model is busy meanwhile — the chat cannot send and no
        other model can load (the state says "loading" with this lens's message), so
        nothing else decodes on its context at the same time."""
        worker = TaskWorker(fn)
        worker.succeeded.connect(done)
        worker.failed.connect(failed)
        worker.done.connect(self._done)  # queued: after succeeded/failed, on this thread
        self._holds_model = uses_model
        if uses_model:
            self.state.set_loading(True, self.tr("A lens is running the model…"))
        self._set_busy(True)
        self.threads.start(worker, "lens")

    @Slot()
    def _done(self) -> None:
        if self._holds_model:
            self._holds_model = False
            self.state.set_loading(False)
        self._set_busy(False)

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.busy_changed.emit(busy)
        self.state.set_task(self.tr("A lens is running the model…") if busy else None)

    def save(self, kind: str, data: dict[str, Any], title: str, model: str) -> int | None:
        """Save a result to the store; its id, or None (no store, or it failed: said)."""
        from desktop.core.results import save_result
        from desktop.core.store import StoreError

        store = self.history.writable_store() if self.history is not None else None
        if store is None:
            self.state.say(self.tr("There is no writable history to save to."), 5000)
            return None
        try:
            rid = save_result(store, kind, data, title=title[:80], model=model,
                              conversation_id=self.state.current.id)
        except StoreError as exc:
            self.state.say(str(exc), 8000)
            return None
        self.state.say(self.tr("Saved."), 3000)
        return rid


class CandidateTable(QTableWidget):
    """The tokens the model expected at one position, most likely first."""

    def __init__(self) -> None:
        super().__init__(0, 3)
        self.setHorizontalHeaderLabels([self.tr("Token"), self.tr("Text"), self.tr("p")])
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)

    def show_candidates(self, top: list[dict[str, Any]], actual: int | None = None) -> None:
        self.setRowCount(len(top))
        for i, c in enumerate(top):
            mark = " ✓" if c["token"] == actual else ""
            for j, v in enumerate((str(c["token"]), repr(c["text"]) + mark,
                                   f"{c['p'] * 100:.2f}%")):
                self.setItem(i, j, QTableWidgetItem(v))
