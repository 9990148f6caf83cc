"""The conversations controller: the list on the left, opening, new, rename, delete, and
switching between versions of a reply. It fills the ``ConversationList`` view and opens
conversations through the state; the store's bookkeeping is ``History``'s."""

from __future__ import annotations

import logging
import sqlite3

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtWidgets import QListWidgetItem, QMessageBox, QWidget

from desktop.core.conversation import Conversation
from desktop.core.store import StoreError
from desktop.ui.conversation_list import ConversationList, Entry, when_text
from desktop.ui.settings_store import SettingsStore
from desktop.ui.window.history import History
from desktop.ui.window.state import AppState
from desktop.ui.worker import unexpected_error

log = logging.getLogger(__name__)

#: A conversation's automatic title: its first message, cut at this many characters.
TITLE_LENGTH = 48


def auto_title(text: str) -> str:
    """A conversation's title from its first message: the first line, cut short."""
    stripped = text.strip()
    first_line = stripped.splitlines()[0].strip() if stripped else ""
    if len(first_line) <= TITLE_LENGTH:
        return first_line
    return first_line[:TITLE_LENGTH].rstrip() + "…"


def matches(conv: Conversation, search: str) -> bool:
    needle = search.lower()
    return needle in conv.title.lower() or any(
        needle in n.content.lower() for n in conv.nodes.values()
    )


class Conversations(QObject):
    """Keeps the list in step with the history and the open conversation."""

    def __init__(self, state: AppState, history: History, view: ConversationList,
                 settings: SettingsStore, parent: QWidget) -> None:
        super().__init__(parent)
        self.state = state
        self.history = history
        self.view = view
        self.settings = settings
        self.parent_widget = parent
        # the list is rebuilt after a rename, not inside the list's own signal
        self._list_timer = QTimer(self)
        self._list_timer.setSingleShot(True)
        self._list_timer.setInterval(0)
        self._list_timer.timeout.connect(self.refresh)
        view.list.currentRowChanged.connect(self._on_row)
        view.list.itemChanged.connect(self._on_renamed)
        view.search_changed.connect(self._on_search)
        view.new_requested.connect(self.new)
        view.rename_requested.connect(self.rename)
        view.delete_requested.connect(self.delete)
        history.reopened.connect(self._on_reopened)
        state.message_sent.connect(self._on_sent)
        state.reply_done.connect(self.refresh)
        state.generating_changed.connect(lambda gen: view.setEnabled(not gen))

    def title(self, conv: Conversation) -> str:
        return conv.title or self.tr("New chat")

    def _messages_text(self, n: int) -> str:
        if n == 1:
            return self.tr("1 message")
        return self.tr("%1 messages").replace("%1", str(n))

    # --- the list ------------------------------------------------------------------------

    def entries(self) -> list[Entry]:
        search = self.view.search_text()
        entries: list[Entry] = []
        for conv in list(self.history.unsaved):
            if conv.id is not None:  # saved since: the store lists it now
                self.history.remember(conv)
                continue
            if search and not matches(conv, search):
                continue
            title = self.title(conv)
            if conv.nodes:
                subtitle = self.tr("%1 · not saved").replace(
                    "%1", self._messages_text(len(conv.nodes)))
                tip = self.tr("%1\nThis conversation is not saved.").replace("%1", title)
            else:
                subtitle, tip = self.tr("no messages yet"), title
            entries.append(Entry(title, subtitle, tip, conv=conv))
        store = self.history.store
        if store is not None:
            try:
                summaries = store.list(search or None)
            except (StoreError, sqlite3.Error) as exc:
                log.warning("could not list the conversations: %s", exc)
                summaries = []
            for summary in summaries:
                loaded = self.history.opened.get(summary.id)
                title = (loaded.title if loaded is not None else summary.title) or self.tr(
                    "Untitled")
                stamp = when_text(summary.updated)
                subtitle = f"{stamp} · {self._messages_text(summary.n_messages)}"
                tip = f"{title}\n{subtitle}"
                if summary.snippet:
                    subtitle = f"…{summary.snippet.strip()}…"
                    tip = f"{title}\n{subtitle}"
                entries.append(Entry(title, subtitle, tip, conv_id=summary.id))
        return entries

    @Slot()
    def refresh(self) -> None:
        lst = self.view
        lst.set_entries(self.entries(), -1)
        lst.list.blockSignals(True)
        lst.list.setCurrentRow(lst.row_of(self.state.current))
        lst.list.blockSignals(False)

    def update_notice(self) -> None:
        problem = self.history.problem
        view = self.view
        if problem is None:
            view.set_notice(None)
            view.set_editable(True)
            return
        if self.history.store is not None:  # read-only
            view.set_notice(self.tr("Read-only: changes are not saved."), problem[1])
            view.set_editable(False, self.tr("The conversation history is read-only"))
        else:
            view.set_notice(self.tr("Conversations are not saved in this session."),
                            problem[1])
            view.set_editable(True)

    def clear_search(self, quiet: bool = False) -> None:
        if not self.view.search_text():
            return
        if quiet:
            self.view.search.blockSignals(True)
        self.view.search.clear()
        if quiet:
            self.view.search.blockSignals(False)

    @Slot(str)
    def _on_search(self, _text: str) -> None:
        self.refresh()

    def _on_reopened(self) -> None:
        self.update_notice()
        self.refresh()

    def _on_sent(self, _text: str) -> None:
        self.refresh()

    # --- opening -------------------------------------------------------------------------

    def conversation_for(self, entry: Entry) -> Conversation | None:
        if entry.conv is not None:
            return entry.conv
        if entry.conv_id is None:
            return None
        conv = self.history.opened.get(entry.conv_id)
        if conv is not None:
            return conv
        store = self.history.store
        if store is None:
            return None
        try:
            conv = store.load(entry.conv_id)
        except StoreError as exc:
            message = str(exc)
        except Exception as exc:  # a damaged row: say so, keep going
            log.exception("could not open conversation %s", entry.conv_id)
            message = unexpected_error(exc)
        else:
            self.history.remember(conv)
            return conv
        QMessageBox.warning(self.parent_widget, self.tr("Could not open the conversation"),
                            message)
        return None

    def open(self, conv_id: int) -> Conversation | None:
        """Show the saved conversation ``conv_id`` (as selecting it in the list does)."""
        row = self.view.row_of(conv_id)
        if row < 0:
            self.view.search.clear()
            self.refresh()
            row = self.view.row_of(conv_id)
        if row < 0:
            return None
        self.view.list.setCurrentRow(row)
        current = self.state.current
        return current if current.id == conv_id else None

    def show(self, conv: Conversation) -> None:
        """Make ``conv`` the open conversation: list, chat and panels follow."""
        self.state.current = conv
        self.refresh()
        self.state.open(conv)

    def _on_row(self, row: int) -> None:
        entries = self.view.entries
        if not 0 <= row < len(entries):
            return
        conv = self.conversation_for(entries[row])
        if conv is None:
            self.refresh()
            return
        if conv is not self.state.current:
            self.state.open(conv)

    def _on_renamed(self, item: QListWidgetItem) -> None:
        row = self.view.list.row(item)
        entries = self.view.entries
        if not 0 <= row < len(entries):
            return
        entry = entries[row]
        title = " ".join(item.text().split())
        # the list is rebuilt after this signal, not inside it (the item is still in use)
        self._list_timer.start()
        if not title or title == entry.title:
            return
        conv = entry.conv or (self.history.opened.get(entry.conv_id)
                              if entry.conv_id else None)
        if conv is not None:
            conv.title = title
        entry.title = title
        if entry.conv_id is not None:
            store = self.history.writable_store()
            if store is None:
                return
            try:
                store.rename(entry.conv_id, title)
            except StoreError as exc:
                if conv is not None:
                    self.history.save_failed(conv, exc)
                else:
                    QMessageBox.warning(self.parent_widget,
                                        self.tr("Could not rename the conversation"), str(exc))
        self.state.title_changed.emit()

    # --- new, rename, delete ---------------------------------------------------------------

    @Slot()
    def new(self) -> None:
        if self.state.generating:
            return
        self.clear_search(quiet=True)
        if not self.state.current.nodes:
            self.refresh()
            self.state.compose.emit()  # the current one is still empty: reuse it
            return
        draft = next((c for c in self.history.unsaved if not c.nodes), None)
        conv = draft or self.history.make_conversation(self.settings.system_prompt)
        self.show(conv)
        self.state.compose.emit()

    @Slot()
    def rename(self) -> None:
        lst = self.view.list
        item = lst.currentItem()
        if item is None or self.state.generating:
            return
        entry = self.view.entries[lst.row(item)]
        if entry.conv_id is not None and self.history.writable_store() is None:
            return
        lst.editItem(item)

    @Slot()
    def delete(self) -> None:
        if self.state.generating:
            return
        lst = self.view
        row = lst.list.currentRow()
        if not 0 <= row < len(lst.entries):
            return
        entry = lst.entries[row]
        conv = entry.conv
        if conv is None and entry.conv_id is not None:
            conv = self.history.opened.get(entry.conv_id)
        if entry.conv_id is not None or (conv is not None and conv.nodes):
            answer = QMessageBox.question(
                self.parent_widget,
                self.tr("Delete conversation"),
                self.tr("Delete “%1”? This cannot be undone.").replace("%1", entry.title),
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        current = self.state.current
        was_current = conv is current or (
            entry.conv_id is not None and current.id == entry.conv_id)
        if entry.conv_id is not None:
            store = self.history.writable_store()
            if store is None:
                return
            try:
                store.delete(entry.conv_id)
            except StoreError as exc:
                QMessageBox.warning(self.parent_widget,
                                    self.tr("Could not delete the conversation"), str(exc))
                return
        self.history.forget(conv, entry.conv_id)
        if not was_current:
            self.refresh()
            return
        entries = self.entries()
        nxt: Conversation | None = None
        while entries and nxt is None:
            candidate = entries.pop(min(row, len(entries) - 1))
            nxt = self.conversation_for(candidate)
        if nxt is None:
            nxt = next((c for c in self.history.unsaved if not c.nodes), None) or \
                self.history.make_conversation(self.settings.system_prompt)
        self.show(nxt)

    # --- versions ------------------------------------------------------------------------

    @Slot(int, int)
    def switch_version(self, node_id: int, step: int) -> None:
        current = self.state.current
        if self.state.generating or node_id not in current.nodes:
            return
        current.switch_sibling(node_id, step)
        self.state.show_path()
        self.history.touch(current)  # the selected branch is remembered
