"""The conversation history: the ``Store``, what is wrong with it, and which conversations
are saved, open in memory, or waiting to be saved again.

Bad ground (a damaged, newer or read-only database, a full disk) never stops the app: the
history is then kept in memory and the user is told once.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop.core.conversation import Conversation
from desktop.core.store import (
    Store,
    StoreCorruptError,
    StoreError,
    StoreNewerError,
    StoreReadOnlyError,
)
from desktop.ui.window.state import AppState
from desktop.ui.worker import unexpected_error

log = logging.getLogger(__name__)

#: Saved conversations kept open in memory besides the current one (reopening is quick).
OPEN_CONVERSATIONS = 8


class History(QObject):
    """Opens the store and keeps the books on what is saved."""

    #: the store was opened anew (moved aside): the list and its notice follow
    reopened = Signal()

    def __init__(self, state: AppState, path: Path, parent: QWidget) -> None:
        super().__init__(parent)
        self.state = state
        self.path = path
        self.parent_widget = parent
        #: the conversation history; None when it could not be opened (memory only)
        self.store: Store | None = None
        #: why the history is not (fully) available: (kind, message), kind one of
        #: "corrupt", "newer", "readonly", "error"
        self.problem: tuple[str, str] | None = None
        #: conversations not in the store (new, or saving failed), newest first
        self.unsaved: list[Conversation] = []
        #: saved conversations open in memory, by id (least recently shown first)
        self.opened: dict[int, Conversation] = {}
        #: conversations with changes the store does not have yet (saving failed)
        self.dirty: list[Conversation] = []
        self._save_error_shown = False

    def open(self) -> None:
        """Open the store; on bad ground, remember why and go on in memory."""
        self.store = None
        self.problem = None
        try:
            store = Store(self.path)
        except StoreCorruptError as exc:
            self.problem = ("corrupt", str(exc))
        except StoreNewerError as exc:
            self.problem = ("newer", str(exc))
        except StoreReadOnlyError as exc:
            self.problem = ("readonly", str(exc))
        except StoreError as exc:
            self.problem = ("error", str(exc))
        except Exception as exc:  # e.g. a data directory that cannot be made
            log.exception("could not open the conversation history")
            self.problem = ("error", unexpected_error(exc))
        else:
            self.store = store
            if store.readonly:
                self.problem = ("readonly", self.tr(
                    "%1 is read-only: your conversations can be read, but new ones and "
                    "changes are not saved. Check the file's permissions."
                ).replace("%1", str(self.path)))
        if self.problem is not None:
            log.warning("conversation history: %s", self.problem[1])

    def writable_store(self) -> Store | None:
        store = self.store
        return store if store is not None and not store.readonly else None

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None

    # --- bad ground ----------------------------------------------------------------------

    @Slot()
    def report_problem(self) -> None:
        """Tell the user what is wrong with the history (once, after the window shows)."""
        problem = self.problem
        if problem is None or self.state.closing:
            return
        kind, message = problem
        parent = self.parent_widget
        if kind == "corrupt" and self.path.exists():
            if self.confirm_move_aside(message):
                self.move_aside()
            return
        if kind == "readonly":
            QMessageBox.information(parent, self.tr("Conversations are read-only"), message)
            return
        QMessageBox.warning(
            parent, self.tr("Conversations are not saved"),
            message + "\n\n" + self.tr("Tokenscope works as usual, but conversations are only "
                                       "kept until it closes."),
        )

    def confirm_move_aside(self, message: str) -> bool:
        """Ask whether to move a damaged history aside and start a new one."""
        box = QMessageBox(self.parent_widget)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("The conversation history cannot be read"))
        box.setText(message)
        box.setInformativeText(self.tr(
            "Tokenscope can move the file aside (it is renamed, not deleted) and start a new, "
            "empty history. Otherwise conversations are only kept until Tokenscope closes."))
        move = box.addButton(self.tr("Move the file aside and start a new history"),
                             QMessageBox.ButtonRole.AcceptRole)
        box.addButton(self.tr("Continue without saving"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(move)
        box.exec()
        return box.clickedButton() is move

    def move_aside(self) -> Path | None:
        """Rename the damaged database to ``<name>.corrupt-<timestamp>`` (never delete it)
        and open a new, empty one. Returns where the old file went."""
        path = self.path
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = path.with_name(f"{path.name}.corrupt-{stamp}")
        try:
            path.rename(target)
            for suffix in ("-wal", "-shm"):  # SQLite's side files go with it
                side = path.with_name(path.name + suffix)
                if side.exists():
                    side.rename(target.with_name(target.name + suffix))
        except OSError as exc:
            QMessageBox.warning(
                self.parent_widget, self.tr("Could not move the file"),
                self.tr("%1 could not be renamed: %2").replace("%1", str(path))
                .replace("%2", exc.strerror or str(exc)),
            )
            return None
        log.warning("moved a damaged conversation history to %s", target)
        self.open()
        if self.state.session is not None:
            self.state.session.store = self.writable_store()
        self.reopened.emit()
        if self.store is not None:
            self.state.say(
                self.tr("The damaged history was kept as %1; a new one is started.")
                .replace("%1", target.name), 10000,
            )
        elif not self.state.closing:
            QTimer.singleShot(0, self.report_problem)
        return target

    # --- saving ----------------------------------------------------------------------------

    def make_conversation(self, system: str) -> Conversation:
        conv = Conversation(title="", system=system)
        self.unsaved.insert(0, conv)
        return conv

    def save_failed(self, conv: Conversation, error: StoreError) -> None:
        """Saving did not work: keep the conversation in memory, say so (one dialog)."""
        if not any(c is conv for c in self.dirty):
            self.dirty.append(conv)
        message = str(error)
        self.state.say(message, 15000)
        if conv.id is None and not any(c is conv for c in self.unsaved):
            self.unsaved.insert(0, conv)
        if not self._save_error_shown and not self.state.closing:
            self._save_error_shown = True
            QMessageBox.warning(
                self.parent_widget, self.tr("The conversation could not be saved"),
                message + "\n\n" + self.tr("It stays open until Tokenscope closes; saving is "
                                           "tried again with the next change."),
            )

    def settle(self, conv: Conversation) -> bool:
        """Save the whole of a conversation an earlier save missed. True if it is saved."""
        store = self.writable_store()
        if store is None or not any(c is conv for c in self.dirty):
            return not any(c is conv for c in self.dirty)
        try:
            store.save(conv)
        except StoreError as exc:
            self.save_failed(conv, exc)
            return False
        self.dirty = [c for c in self.dirty if c is not conv]
        self.remember(conv)
        return True

    def touch(self, conv: Conversation) -> None:
        """Save a conversation's own fields (title, selected branch)."""
        store = self.writable_store()
        if store is None or not conv.nodes:
            return
        if not self.settle(conv):
            return
        try:
            store.touch(conv)
        except StoreError as exc:
            self.save_failed(conv, exc)
            return
        self.remember(conv)

    def remember(self, conv: Conversation) -> None:
        """Keep a saved conversation open in memory (a few of them, the latest shown)."""
        if conv.id is None:
            return
        self.unsaved = [c for c in self.unsaved if c is not conv]
        self.opened.pop(conv.id, None)
        self.opened[conv.id] = conv
        for conv_id, other in list(self.opened.items()):
            if len(self.opened) <= OPEN_CONVERSATIONS:
                break
            if other is not self.state.current and not any(c is other for c in self.dirty):
                del self.opened[conv_id]

    def forget(self, conv: Conversation | None, conv_id: int | None) -> None:
        """A conversation was deleted."""
        if conv_id is not None:
            gone = self.opened.pop(conv_id, None)
            self.dirty = [c for c in self.dirty if c is not gone]
        else:
            self.unsaved = [c for c in self.unsaved if c is not conv]
            self.dirty = [c for c in self.dirty if c is not conv]
