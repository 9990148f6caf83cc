"""The generation controller: send, regenerate, edit, branch and stop, each one a session
iterator run by a ``GenerationWorker`` on its own thread.

A token arrives: the worker (which batches, every ``worker.UPDATE_INTERVAL``) →
``_on_progress`` here → ``state.reply_grew`` (the chat follows every batch) and, at most
every ``PANEL_INTERVAL_MS``, ``state.reply_progress`` (the panels). The session saves the
reply to the store as it streams; when it is over, ``_on_done`` settles the books and
``state.reply_done`` tells the list and the title.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop.core.context import ContextPlan
from desktop.core.generation import Event
from desktop.core.session import plan_of
from desktop.core.store import ReplyWriter
from desktop.ui.settings_store import SettingsStore
from desktop.ui.window.conversations import auto_title
from desktop.ui.window.history import History
from desktop.ui.window.state import AppState
from desktop.ui.window.vocab import Vocabularies
from desktop.ui.worker import GenerationWorker, Threads

log = logging.getLogger(__name__)

#: How often the panels follow a streaming reply (the chat itself follows every batch).
PANEL_INTERVAL_MS = 200

StartFn = Callable[[threading.Event], Iterator[Event]]


class Generation(QObject):
    """Starts, follows and stops replies."""

    def __init__(self, state: AppState, history: History, vocab: Vocabularies,
                 settings: SettingsStore, threads: Threads, parent: QWidget) -> None:
        super().__init__(parent)
        self.state = state
        self.history = history
        self.vocab = vocab
        self.settings = settings
        self.threads = threads
        self.parent_widget = parent
        #: the running worker (None: no reply is being written)
        self.worker: GenerationWorker | None = None
        self._reported_writer: ReplyWriter | None = None
        self._panel_node: int | None = None
        self._panel_timer = QTimer(self)
        self._panel_timer.setSingleShot(True)
        self._panel_timer.setInterval(PANEL_INTERVAL_MS)
        self._panel_timer.timeout.connect(self._flush_panels)

    # --- what the user asks for ------------------------------------------------------------

    @Slot(str)
    def send(self, text: str) -> None:
        session = self.state.session
        if session is None or self.state.generating:
            return
        current = self.state.current
        if not current.title:
            current.title = auto_title(text)
            self.state.title_changed.emit()
        self._start(lambda cancel: session.send(text, cancel))
        self.state.message_sent.emit(text)

    @Slot(int)
    def regenerate(self, reply_id: int) -> None:
        session = self.state.session
        if session is not None and not self.state.generating:
            self._start(lambda cancel: session.regenerate(reply_id, cancel))

    @Slot(int, str)
    def edit(self, user_id: int, text: str) -> None:
        session = self.state.session
        if session is not None and not self.state.generating:
            self._start(lambda cancel: session.edit(user_id, text, cancel))

    @Slot(int, int, int)
    def branch(self, node_id: int, index: int, token: int) -> None:
        session = self.state.session
        node = self.state.current.nodes.get(node_id)
        if session is None or self.state.generating or node is None:
            return
        reason = self.state.branch_block(node)
        if reason is not None:
            self.state.say(reason, 6000)
            return
        self._start(lambda cancel: session.branch(node_id, index, token, cancel))

    @Slot()
    def stop(self) -> None:
        if self.worker is not None:
            self.worker.cancel.set()
            self.state.say(self.tr("Stopping…"), 2000)

    def cancel(self) -> None:
        """The window closes: stop without a word."""
        if self.worker is not None:
            self.worker.cancel.set()

    def _start(self, start: StartFn) -> None:
        session = self.state.session
        assert session is not None
        session.settings = self.settings.sampler_settings()
        session.max_tokens = self.settings.max_tokens
        session.store = self.history.writable_store()
        self.history.settle(self.state.current)  # an earlier save failed: try all of it
        worker = GenerationWorker(session, start)
        # bound methods, never lambdas: a lambda would run in the worker's thread
        worker.started.connect(self._on_started)
        worker.prompt_done.connect(self._on_prompt_done)
        worker.progress.connect(self._on_progress)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        worker.done.connect(self._on_done)
        self.worker = worker
        self.state.set_generating(True)
        self.threads.start(worker, "generation")

    # --- what the worker reports -------------------------------------------------------------

    def _on_started(self, node_id: int) -> None:
        self.state.start_reply(self.state.current.nodes[node_id])

    def _on_prompt_done(self, node_id: int, plan: ContextPlan | None) -> None:
        node = self.state.current.nodes.get(node_id)
        if node is not None:
            self.state.reply_prompt.emit(node, plan or plan_of(node))

    def _on_progress(self, node_id: int) -> None:
        """The reply grew: the chat follows at once (the worker already batched), the
        panels at most every PANEL_INTERVAL_MS (their charts cost more to repaint)."""
        node = self.state.current.nodes.get(node_id)
        if node is None:
            return
        self.state.reply_grew.emit(node)
        self._panel_node = node_id
        if not self._panel_timer.isActive():
            self._panel_timer.start()

    def _flush_panels(self) -> None:
        nodes = self.state.current.nodes
        node = nodes.get(self._panel_node) if self._panel_node else None
        if node is not None:
            self.state.reply_progress.emit(node)

    def _on_finished(self, node_id: int, reason: str) -> None:
        node = self.state.current.nodes.get(node_id)
        if node is None:
            return
        log.info("reply finished: %s, %d tokens", reason, len(node.traces))
        self._panel_timer.stop()
        self.state.reply_finished.emit(node, reason)

    def _on_failed(self, message: str) -> None:
        self.state.say(message, 10000)
        if not self.state.closing:
            QMessageBox.warning(self.parent_widget, self.tr("The reply could not be written"),
                                message)

    def _on_done(self) -> None:
        self.worker = None
        conv = self.state.current
        session = self.state.session
        writer = session.last_writer if session is not None else None
        if writer is not None and writer is not self._reported_writer:
            self._reported_writer = writer
            if writer.error is not None:
                self.history.save_failed(writer.conv, writer.error)
            else:
                self.history.remember(writer.conv)
        self.vocab.reread()  # the reply's token texts are in the store now
        if not conv.nodes and conv.id is None:
            conv.title = ""  # the message could not be answered and was taken back out
        self.state.set_generating(False)
        if not self.state.closing:
            self.state.reply_done.emit()
            self.state.compose.emit()
