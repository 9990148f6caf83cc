"""Export the open conversation (Markdown, or JSON with every token's trace) and import a
JSON export back: it is saved and opened like any other conversation."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from desktop.core import export
from desktop.core.conversation import Conversation
from desktop.core.store import StoreError
from desktop.ui.settings_store import SettingsStore
from desktop.ui.window.conversations import Conversations, auto_title
from desktop.ui.window.history import History
from desktop.ui.window.state import AppState
from desktop.ui.window.vocab import PieceTable, Vocabularies
from desktop.ui.worker import unexpected_error

log = logging.getLogger(__name__)


class Exchange(QObject):
    """File → Export conversation… and File → Import conversation…"""

    def __init__(self, state: AppState, history: History, conversations: Conversations,
                 vocab: Vocabularies, settings: SettingsStore, parent: QWidget) -> None:
        super().__init__(parent)
        self.state = state
        self.history = history
        self.conversations = conversations
        self.vocab = vocab
        self.settings = settings
        self.parent_widget = parent

    def _folder(self) -> Path:
        folder = self.settings.export_dir
        return Path(folder) if folder and Path(folder).is_dir() else Path.home()

    @Slot()
    def _results(self, conv: Conversation) -> list[dict[str, object]]:
        """The conversation's saved lens results (scores, comparisons), for the export."""
        from desktop.core.results import results_of

        store = self.history.store
        try:
            return results_of(store, conv.id) if store is not None else []
        except StoreError:
            return []

    def export_conversation(self) -> Path | None:
        """Save the current conversation as Markdown (what is shown) or JSON (the whole
        tree with every token's trace, for importing). Returns the file written."""
        conv = self.state.current
        if not conv.nodes or self.state.generating:
            return None
        md = self.tr("Markdown (*.md)")
        js = self.tr("JSON with every token’s details (*.json)")
        name = "".join(c if c.isalnum() or c in " -_" else "_"
                       for c in self.conversations.title(conv)).strip() or "conversation"
        path_text, chosen = QFileDialog.getSaveFileName(
            self.parent_widget, self.tr("Export conversation"),
            str(self._folder() / f"{name}.md"), f"{md};;{js}",
        )
        if not path_text:
            return None
        path = Path(path_text)
        as_json = path.suffix.lower() == ".json" or (chosen == js and path.suffix.lower()
                                                     != ".md")
        if not path.suffix:
            path = path.with_suffix(".json" if as_json else ".md")
        try:
            text = (export.dumps(conv, self.vocab.piece_of, results=self._results(conv))
                    if as_json else export.to_markdown(conv))
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            QMessageBox.warning(
                self.parent_widget, self.tr("Could not export the conversation"),
                self.tr("%1 could not be written: %2").replace("%1", str(path))
                .replace("%2", exc.strerror or str(exc)),
            )
            return None
        self.settings.export_dir = str(path.parent)
        self.state.say(self.tr("Exported to %1").replace("%1", str(path)), 6000)
        return path

    @Slot()
    def import_conversation(self) -> Conversation | None:
        """Open a conversation exported as JSON: it is saved and selected."""
        if self.state.generating:
            return None
        path_text, _ = QFileDialog.getOpenFileName(
            self.parent_widget, self.tr("Import conversation"), str(self._folder()),
            self.tr("Tokenscope conversations (*.json);;All files (*)"),
        )
        if not path_text:
            return None
        return self.import_file(Path(path_text))

    def import_file(self, path: Path) -> Conversation | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            conv = export.from_json(data)
            pieces = export.pieces_from_json(data)
        except export.ImportFormatError as exc:
            message = str(exc)
        except (UnicodeDecodeError, json.JSONDecodeError):
            message = self.tr("%1 is not a Tokenscope conversation export (it is not JSON "
                              "text).").replace("%1", path.name)
        except OSError as exc:
            message = self.tr("%1 could not be read: %2").replace("%1", str(path)).replace(
                "%2", exc.strerror or str(exc))
        except Exception as exc:  # a file shaped unlike any export: say so, keep going
            log.exception("import failed")
            message = unexpected_error(exc)
        else:
            return self._add(conv, path, pieces)
        QMessageBox.warning(self.parent_widget, self.tr("Could not import the conversation"),
                            message)
        return None

    def _add(self, conv: Conversation, path: Path,
             pieces: dict[str, PieceTable] | None = None) -> Conversation:
        self.settings.export_dir = str(path.parent)
        if not conv.title:
            first = next((n for n in conv.path() if n.role == "user"), None)
            conv.title = auto_title(first.content) if first is not None else path.stem
        self.vocab.add_imported(conv, pieces)  # token texts carried by the export
        store = self.history.writable_store()
        saved = False
        if store is not None:
            try:
                for model, table in (pieces or {}).items():
                    store.save_pieces(model, table)
                store.save(conv)
                saved = True
            except StoreError as exc:
                conv.id = None
                self.history.save_failed(conv, exc)
        if saved:
            self.history.remember(conv)
        elif not any(c is conv for c in self.history.unsaved):
            self.history.unsaved.insert(0, conv)
        self.conversations.clear_search()
        self.conversations.show(conv)
        self.state.say(
            self.tr("Imported “%1”").replace("%1", self.conversations.title(conv)), 6000)
        return conv
