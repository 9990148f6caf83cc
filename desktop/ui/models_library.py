"""The Library page: the models on this computer, their metadata, load / import / delete.

Listing reads every file's GGUF header (cached by core.library), and an import may copy
gigabytes: both run off the UI thread.

The details pane (metadata, chat template and its picker) is ``models_details``.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

import desktop.ui.compat  # noqa: F401  (first: a PySide6 bug work-around)
from desktop.core import gguf_file, library, paths
from desktop.core.library import LibraryEntry, format_size
from desktop.ui.models_common import (
    Background,
    count_text,
    error_text,
    format_params,
    verdict_color,
)
from desktop.ui.models_details import ModelDetails, source_label

log = logging.getLogger(__name__)

COLUMNS = ("name", "size", "quant", "architecture", "parameters", "context", "source")


class LibraryPage(QWidget):
    load_requested = Signal(str)  #: the .gguf file to load
    changed = Signal()  #: the list was read again

    def __init__(
        self,
        background: Background,
        settings: QSettings,
        n_ctx: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.background = background
        self.settings = settings
        self.n_ctx = n_ctx
        self.entries: list[LibraryEntry] = []
        self._refresh_job: int | None = None
        self._refresh_again = False
        self._select_after: Path | None = None
        self.importing = False
        self._available_ram = gguf_file.available_ram()

        layout = QVBoxLayout(self)
        self.folder = QLabel(self)
        self.folder.setObjectName("libraryFolder")
        self.folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.folder)

        splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.tree = QTreeWidget(splitter)
        self.tree.setObjectName("libraryTree")
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setHeaderLabels(
            [
                self.tr("Name"),
                self.tr("Size"),
                self.tr("Quant"),
                self.tr("Architecture"),
                self.tr("Parameters"),
                self.tr("Context"),
                self.tr("Source"),
            ]
        )
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        for column in (1, 4, 5):
            self.tree.headerItem().setTextAlignment(
                column, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            )
        self.tree.itemSelectionChanged.connect(self._show_details)
        self.tree.itemActivated.connect(lambda *_: self.load_selected())
        keys = [QKeySequence(QKeySequence.StandardKey.Delete)]
        if sys.platform == "darwin":  # the key labelled "delete" on a Mac is Backspace
            keys.append(QKeySequence(Qt.Key.Key_Backspace))
        self.delete_shortcuts = []
        for sequence in keys:
            shortcut = QShortcut(sequence, self.tree)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(self.delete_selected)
            self.delete_shortcuts.append(shortcut)
        self.empty = QLabel(
            self.tr(
                "No models yet: download one under “Search the Hub”, or import a .gguf "
                "file you already have."
            ),
            self,
        )
        self.empty.setObjectName("modelsEmpty")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.details = ModelDetails(settings, splitter)
        # the pane's parts, as before (the tests and the dialog reach them here)
        self.details_scroll, self.details_title = self.details.scroll_area, self.details.title
        self.form, self.fields = self.details.form, self.details.fields
        self.chat_format, self.template = self.details.chat_format, self.details.template
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([200, 400])
        layout.addWidget(self.empty)
        layout.addWidget(splitter, 1)
        self.splitter = splitter

        buttons = QHBoxLayout()
        self.load_button = QPushButton(self.tr("Load"), self)
        self.import_button = QPushButton(self.tr("Import .gguf…"), self)
        self.copy_box = QCheckBox(self.tr("Copy into the models folder"), self)
        self.copy_box.setToolTip(
            self.tr("Unchecked: the file stays where it is and the library links to it.")
        )
        self.copy_box.setChecked(_bool(settings.value("modelsDialog/copyImports", True)))
        self.copy_box.toggled.connect(
            lambda on: self.settings.setValue("modelsDialog/copyImports", bool(on))
        )
        self.delete_button = QPushButton(self.tr("Delete…"), self)
        self.folder_button = QPushButton(self.tr("Show in folder"), self)
        self.refresh_button = QPushButton(self.tr("Refresh"), self)
        for b in (
            self.load_button,
            self.import_button,
            self.delete_button,
            self.folder_button,
            self.refresh_button,
        ):
            b.setAutoDefault(False)
        self.load_button.setToolTip(self.tr("Load this model for chatting (Enter)"))
        self.delete_button.setToolTip(self.tr("Delete this model from the library (Delete)"))
        buttons.addWidget(self.load_button)
        buttons.addSpacing(12)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.copy_box)
        buttons.addStretch(1)
        buttons.addWidget(self.folder_button)
        buttons.addWidget(self.delete_button)
        buttons.addWidget(self.refresh_button)
        layout.addLayout(buttons)
        self.status = QLabel(self)
        self.status.setObjectName("libraryFolder")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)

        self.load_button.clicked.connect(self.load_selected)
        self.import_button.clicked.connect(self.choose_import)
        self.delete_button.clicked.connect(self.delete_selected)
        self.folder_button.clicked.connect(self.show_in_folder)
        self.refresh_button.clicked.connect(self.refresh)
        self._show_details()

    # --- listing ---------------------------------------------------------------------------

    def refresh(self, select: Path | None = None) -> None:
        """Read the library again (off the UI thread); then select `select` if given."""
        if select is not None:
            self._select_after = select
        if self._refresh_job is not None:
            self._refresh_again = True
            return
        if not self.entries:
            self.folder.setText(self.tr("Reading the library…"))
        self.refresh_button.setEnabled(False)
        self._refresh_job = self.background.run(
            library.list_models, self._listed, self._list_failed
        )

    def busy(self) -> bool:
        return self._refresh_job is not None or self.importing

    def _listed(self, entries: list[LibraryEntry]) -> None:
        self._refresh_job = None
        if self._refresh_again:
            self._refresh_again = False
            self.refresh()
        else:
            self.refresh_button.setEnabled(True)
        self.set_entries(entries)

    def _list_failed(self, exc: Exception) -> None:
        self._refresh_job = None
        self.refresh_button.setEnabled(True)
        self.status.setText(error_text(exc))

    def set_entries(self, entries: list[LibraryEntry]) -> None:
        selected = self.selected()
        keep = self._select_after or (selected.path if selected else None)
        self._select_after = None
        self.entries = list(entries)
        self._available_ram = gguf_file.available_ram()
        self.folder.setText(
            count_text(len(entries), self.tr("1 model in %2"), self.tr("%1 models in %2")).replace(
                "%2", str(paths.models_dir())
            )
        )
        self.tree.clear()
        for entry in self.entries:
            info = entry.info
            texts = [
                entry.name,
                format_size(entry.size),
                (info.file_type if info else None) or "",
                (info.architecture if info else None) or "",
                format_params(info.parameter_count if info else None),
                str(info.context_length) if info and info.context_length else "",
                source_label(entry),
            ]
            item = QTreeWidgetItem(texts)
            item.setToolTip(0, str(entry.path))
            for column in (1, 4, 5):
                item.setTextAlignment(
                    column, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                )
            if entry.error:
                item.setText(0, self.tr("%1 (unusable)").replace("%1", entry.name))
                item.setForeground(0, verdict_color("won't fit", self.palette()))
                item.setToolTip(0, entry.error)
            self.tree.addTopLevelItem(item)
        self.empty.setVisible(not self.entries)
        self.splitter.setVisible(bool(self.entries))
        index = next((i for i, e in enumerate(self.entries) if keep and e.path == keep), None)
        if index is None and self.entries:
            index = 0
        if index is not None:
            self.tree.setCurrentItem(self.tree.topLevelItem(index))  # type: ignore[arg-type]
        self._show_details()
        self.changed.emit()

    def selected(self) -> LibraryEntry | None:
        item = self.tree.currentItem()
        if item is None or not item.isSelected():
            return None
        index = self.tree.indexOfTopLevelItem(item)
        return self.entries[index] if 0 <= index < len(self.entries) else None

    def select_path(self, path: Path) -> bool:
        for index, entry in enumerate(self.entries):
            if entry.path == path or path in entry.parts:
                self.tree.setCurrentItem(self.tree.topLevelItem(index))  # type: ignore[arg-type]
                return True
        return False

    def set_n_ctx(self, n_ctx: int) -> None:
        self.n_ctx = n_ctx
        self._show_details()

    # --- details ---------------------------------------------------------------------------

    def _show_details(self) -> None:
        entry = self.selected()
        usable = entry is not None and entry.error is None
        self.load_button.setEnabled(usable)
        self.delete_button.setEnabled(entry is not None and entry.source != "hf-cache")
        self.delete_button.setToolTip(
            self.tr(
                "Models in the Hugging Face cache are shared with other apps; remove them "
                "with `hf cache rm`."
            )
            if entry is not None and entry.source == "hf-cache"
            else self.tr("Delete this model from the library (Delete)")
        )
        self.folder_button.setEnabled(entry is not None)
        self.details.show_entry(entry, self.n_ctx, self._available_ram)

    # --- actions ---------------------------------------------------------------------------

    def load_selected(self) -> None:
        entry = self.selected()
        if entry is not None and entry.error is None:
            self.load_requested.emit(str(entry.path))

    def choose_import(self) -> None:
        if self.importing:
            return
        start = str(self.settings.value("modelsDialog/importDir", "") or Path.home())
        path, _ = QFileDialog.getOpenFileName(
            self,
            self.tr("Import a GGUF model"),
            start,
            self.tr("GGUF models (*.gguf);;All files (*)"),
        )
        if path:
            self.settings.setValue("modelsDialog/importDir", str(Path(path).parent))
            self.import_file(Path(path), copy=self.copy_box.isChecked())

    def import_file(self, path: Path, copy: bool = True) -> None:
        """Validate and add `path` (off the UI thread); errors are shown in a message box."""
        self.importing = True
        self.import_button.setEnabled(False)
        verb = self.tr("Copying %1 into the library…") if copy else self.tr("Checking %1…")
        self.status.setText(verb.replace("%1", path.name))
        self.background.run(
            lambda: library.import_file(path, copy=copy), self._imported, self._import_failed
        )

    def _imported(self, entry: LibraryEntry) -> None:
        self.importing = False
        self.import_button.setEnabled(True)
        self.status.setText(self.tr("Imported %1.").replace("%1", entry.name))
        self.refresh(select=entry.path)

    def _import_failed(self, exc: Exception) -> None:
        self.importing = False
        self.import_button.setEnabled(True)
        self.status.clear()
        QMessageBox.warning(self, self.tr("Could not import the model"), error_text(exc))

    def delete_selected(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        if entry.source == "hf-cache":
            QMessageBox.information(
                self,
                self.tr("Delete model"),
                self.tr(
                    "%1 is in the Hugging Face cache, shared with other apps. Remove it "
                    "with `hf cache rm model/%2`."
                )
                .replace("%1", entry.name)
                .replace("%2", entry.repo_id or ""),
            )
            return
        if entry.source == "linked":
            question = self.tr("Remove %1 from the library? The file itself stays where it is:\n%2")
        else:
            question = self.tr("Delete %1 from this computer? This removes the file:\n%2")
        question = question.replace("%1", entry.name).replace("%2", str(entry.path))
        if len(entry.parts) > 1:
            question += "\n" + self.tr("(and its other %1 parts)").replace(
                "%1", str(len(entry.parts) - 1)
            )
        answer = QMessageBox.question(
            self,
            self.tr("Delete model"),
            question,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            library.delete(entry.name)
        except Exception as exc:  # shown to the user, not raised
            QMessageBox.warning(self, self.tr("Could not delete the model"), error_text(exc))
            return
        self.status.setText(self.tr("Deleted %1.").replace("%1", entry.name))
        self.refresh()

    def show_in_folder(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        url = QUrl.fromLocalFile(str(entry.path.parent))
        if not QDesktopServices.openUrl(url):
            QMessageBox.information(
                self,
                self.tr("Show in folder"),
                self.tr("Could not open the file manager. The model is in:\n%1").replace(
                    "%1", str(entry.path.parent)
                ),
            )


def _bool(value: object) -> bool:
    return value if isinstance(value, bool) else str(value).lower() in ("true", "1")
