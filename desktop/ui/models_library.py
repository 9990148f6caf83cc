"""The Library page: the models on this computer, their metadata, load / import / delete.

Listing reads every file's GGUF header (cached by core.library), and an import may copy
gigabytes: both run off the UI thread.

It is long (~530 lines): one page's table, details pane and import / delete flows.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QSettings, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFontDatabase, QKeySequence, QShortcut, QTextOption
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

import desktop.ui.compat  # noqa: F401  (first: a PySide6 bug work-around)
from desktop.core import gguf_file, library, paths
from desktop.core.library import LibraryEntry, format_size
from desktop.ui.chat_format_picker import ChatFormatPicker
from desktop.ui.models_common import (
    Background,
    count_text,
    error_text,
    format_params,
    verdict_color,
    verdict_label,
)

log = logging.getLogger(__name__)

COLUMNS = ("name", "size", "quant", "architecture", "parameters", "context", "source")


def source_label(entry: LibraryEntry) -> str:
    return {
        "downloaded": QCoreApplication.translate("ModelsDialog", "Downloaded"),
        "imported": QCoreApplication.translate("ModelsDialog", "Imported"),
        "linked": QCoreApplication.translate("ModelsDialog", "Linked (left in place)"),
        "hf-cache": QCoreApplication.translate("ModelsDialog", "Hugging Face cache"),
    }.get(entry.source, entry.source)


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

        details = QWidget(splitter)
        row = QHBoxLayout(details)
        row.setContentsMargins(0, 6, 0, 0)
        # the metadata scrolls rather than being clipped when the pane is short
        self.details_scroll = QScrollArea(details)
        self.details_scroll.setWidgetResizable(True)
        self.details_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.details_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.details_scroll.setObjectName("detailsScroll")
        info_box = QWidget(self.details_scroll)
        info_box.setObjectName("detailsBox")
        left = QVBoxLayout(info_box)
        left.setContentsMargins(0, 0, 6, 0)
        self.details_title = QLabel(info_box)
        self.details_title.setObjectName("detailsTitle")
        self.details_title.setWordWrap(True)
        left.addWidget(self.details_title)
        self.form = QFormLayout()
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.fields: dict[str, QLabel] = {}
        for key, label in (
            ("file", self.tr("File:")),
            ("source", self.tr("Source:")),
            ("size", self.tr("Size:")),
            ("quant", self.tr("Quantisation:")),
            ("architecture", self.tr("Architecture:")),
            ("parameters", self.tr("Parameters:")),
            ("context", self.tr("Context length:")),
            ("shape", self.tr("Layers / width / heads / KV heads:")),
            ("vocab", self.tr("Vocabulary:")),
            ("gguf", self.tr("GGUF version / tensors:")),
            ("memory", self.tr("Memory needed:")),
            ("error", self.tr("Problem:")),
        ):
            value = QLabel(info_box)
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setObjectName(f"detail_{key}")
            self.fields[key] = value
            self.form.addRow(label, value)
        left.addLayout(self.form)
        left.addStretch(1)
        self.details_scroll.setWidget(info_box)
        row.addWidget(self.details_scroll, 3)
        right = QVBoxLayout()
        picker_row = QHBoxLayout()
        picker_row.addWidget(QLabel(self.tr("Chat template:"), details))
        self.chat_format = ChatFormatPicker(details)
        picker_row.addWidget(self.chat_format, 1)
        right.addLayout(picker_row)
        self.template = QPlainTextEdit(details)
        self.template.setObjectName("chatTemplate")
        self.template.setReadOnly(True)
        # templates are often one long line: wrap them (anywhere, if need be)
        self.template.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.template.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.template.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.template.setPlaceholderText(self.tr("(none in this file)"))
        right.addWidget(self.template, 1)
        row.addLayout(right, 2)
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
        for value in self.fields.values():
            value.clear()
        self.template.clear()
        if entry is None:
            self.details_title.setText(self.tr("Select a model to see its details."))
            self._set_row_visible("error", False)
            return
        info = entry.info
        self.details_title.setText((info.name if info and info.name else None) or entry.stem)
        f = self.fields
        f["file"].setText(str(entry.path))
        self.chat_format.bind(self.settings, str(entry.path))
        source = source_label(entry)
        if entry.repo_id:
            source += f" · {entry.repo_id}"
        f["source"].setText(source)
        size = format_size(entry.size)
        if len(entry.parts) > 1:
            size += " " + self.tr("in %1 parts").replace("%1", str(len(entry.parts)))
        f["size"].setText(size)
        self._set_row_visible("error", entry.error is not None)
        if entry.error is not None:
            f["error"].setText(entry.error)
        if info is None:
            return
        unknown = self.tr("unknown")

        def show(value: object) -> str:
            return unknown if value is None else str(value)

        f["quant"].setText(info.file_type or unknown)
        f["architecture"].setText(info.architecture or unknown)
        f["parameters"].setText(
            f"{format_params(info.parameter_count)} ({info.parameter_count:,})"
            if info.parameter_count
            else unknown
        )
        f["context"].setText(
            self.tr("%1 tokens").replace("%1", f"{info.context_length:,}")
            if info.context_length
            else unknown
        )
        f["shape"].setText(
            " / ".join(show(v) for v in (info.n_layer, info.n_embd, info.n_head, info.n_head_kv))
        )
        vocab = show(info.vocab_size)
        if info.tokenizer_model:
            vocab = (
                self.tr("%1 tokens (%2)").replace("%1", vocab).replace("%2", info.tokenizer_model)
            )
        f["vocab"].setText(vocab)
        f["gguf"].setText(f"{show(info.gguf_version)} / {show(info.tensor_count)}")
        need = gguf_file.estimate_memory(info, self.n_ctx)
        if self._available_ram > 0:
            verdict = gguf_file.fit_verdict(need, self._available_ram)
            f["memory"].setText(
                self.tr("about %1 with %2 tokens of context (%3: %4 available)")
                .replace("%1", format_size(need))
                .replace("%2", f"{self.n_ctx:,}")
                .replace("%3", verdict_label(verdict))
                .replace("%4", format_size(self._available_ram))
            )
        else:
            f["memory"].setText(
                self.tr("about %1 with %2 tokens of context")
                .replace("%1", format_size(need))
                .replace("%2", f"{self.n_ctx:,}")
            )
        self.template.setPlainText(info.chat_template or "")

    def _set_row_visible(self, key: str, visible: bool) -> None:
        self.form.setRowVisible(self.fields[key], visible)

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
