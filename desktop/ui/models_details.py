"""The Library page's details pane: a model's metadata (file, source, size, quantisation,
architecture, parameters, context, shape, vocabulary, memory needed and whether it fits),
its chat template, and the per-model chat template picker."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QSettings, Qt
from PySide6.QtGui import QFontDatabase, QTextOption
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop.core import gguf_file
from desktop.core.library import LibraryEntry, format_size
from desktop.ui.chat_format_picker import ChatFormatPicker
from desktop.ui.models_common import format_params, verdict_label


def source_label(entry: LibraryEntry) -> str:
    return {
        "downloaded": QCoreApplication.translate("ModelsDialog", "Downloaded"),
        "imported": QCoreApplication.translate("ModelsDialog", "Imported"),
        "linked": QCoreApplication.translate("ModelsDialog", "Linked (left in place)"),
        "hf-cache": QCoreApplication.translate("ModelsDialog", "Hugging Face cache"),
    }.get(entry.source, entry.source)


class ModelDetails(QWidget):
    """The details of the model selected in the library (``show_entry``)."""

    def __init__(self, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        details = self
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 6, 0, 0)
        # the metadata scrolls rather than being clipped when the pane is short
        self.scroll_area = QScrollArea(details)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll_area.setObjectName("detailsScroll")
        info_box = QWidget(self.scroll_area)
        info_box.setObjectName("detailsBox")
        left = QVBoxLayout(info_box)
        left.setContentsMargins(0, 0, 6, 0)
        self.title = QLabel(info_box)
        self.title.setObjectName("detailsTitle")
        self.title.setWordWrap(True)
        left.addWidget(self.title)
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
        self.scroll_area.setWidget(info_box)
        row.addWidget(self.scroll_area, 3)
        right = QVBoxLayout()
        picker_row = QHBoxLayout()
        picker_row.addWidget(QLabel(self.tr("Chat template:"), details))
        self.chat_format = ChatFormatPicker(self)
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

    def show_entry(self, entry: LibraryEntry | None, n_ctx: int, available_ram: int) -> None:
        """Fill the pane for ``entry`` (None: nothing selected)."""
        for value in self.fields.values():
            value.clear()
        self.template.clear()
        if entry is None:
            self.title.setText(self.tr("Select a model to see its details."))
            self._set_row_visible("error", False)
            return
        info = entry.info
        self.title.setText((info.name if info and info.name else None) or entry.stem)
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
        need = gguf_file.estimate_memory(info, n_ctx)
        if available_ram > 0:
            verdict = gguf_file.fit_verdict(need, available_ram)
            f["memory"].setText(
                self.tr("about %1 with %2 tokens of context (%3: %4 available)")
                .replace("%1", format_size(need))
                .replace("%2", f"{n_ctx:,}")
                .replace("%3", verdict_label(verdict))
                .replace("%4", format_size(available_ram))
            )
        else:
            f["memory"].setText(
                self.tr("about %1 with %2 tokens of context")
                .replace("%1", format_size(need))
                .replace("%2", f"{n_ctx:,}")
            )
        self.template.setPlainText(info.chat_template or "")

    def _set_row_visible(self, key: str, visible: bool) -> None:
        self.form.setRowVisible(self.fields[key], visible)
