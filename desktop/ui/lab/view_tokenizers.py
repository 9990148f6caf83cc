"""Tokenizer lab: the model's tokens and a SentencePiece tokenizer's side by side, and
the English/Chinese cost table."""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.core.lab import common
from desktop.core.lab import tokenizers as core
from desktop.ui.lab.base import ExperimentView
from desktop.ui.lab.worker import Job

CHIP_COLOURS = ("#dbeafe", "#fde68a", "#bbf7d0", "#fbcfe8")


def chips_html(pieces: list[str]) -> str:
    """Token chips: alternating backgrounds, spaces shown as ·, newlines as ↵."""
    out = []
    for i, p in enumerate(pieces):
        text = html.escape(p).replace(" ", "·").replace("\n", "↵")
        out.append(f'<span style="background:{CHIP_COLOURS[i % 4]}">{text}</span>')
    return "<p style='line-height:150%'>" + "&#8203;".join(out) + "</p>"


class TokenizersView(ExperimentView):
    kind = core.KIND
    needs_model = False  # the model's side is shown when one is loaded

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sample = QComboBox()
        self.sample.addItem(self.tr("English sample"), "en")
        self.sample.addItem(self.tr("Chinese sample"), "zh")
        self.sample.addItem(self.tr("Code sample"), "code")
        self.sample.addItem(self.tr("My own text"), "")
        self.text = QPlainTextEdit(common.lab_text(core.SAMPLES["en"]))
        self.text.setMaximumHeight(90)
        self.vocab = QSpinBox()
        self.vocab.setRange(300, 64_000)
        self.vocab.setSingleStep(500)
        self.vocab.setValue(4000)
        self.vocab_slider = QSlider(Qt.Orientation.Horizontal)
        self.vocab_slider.setRange(300, 16_000)
        self.vocab_slider.setSingleStep(100)
        self.vocab_slider.setPageStep(1000)
        self.vocab_slider.setValue(4000)
        self.vocab_slider.valueChanged.connect(self.vocab.setValue)
        self.vocab.valueChanged.connect(self.vocab_slider.setValue)
        vocab_row = QHBoxLayout()
        vocab_row.addWidget(self.vocab_slider, 1)
        vocab_row.addWidget(self.vocab)
        self.spm_type = QComboBox()
        self.spm_type.addItem("BPE", "bpe")
        self.spm_type.addItem("Unigram", "unigram")
        self.corpus: str | None = None
        self.corpus_label = QLabel(self.tr("the bundled texts"))
        pick = QPushButton(self.tr("Folder…"))
        bundled = QPushButton(self.tr("Bundled"))
        row = QHBoxLayout()
        row.addWidget(self.corpus_label, 1)
        row.addWidget(pick)
        row.addWidget(bundled)
        self.form.addRow(self.tr("Text:"), self.sample)
        self.form.addRow("", self.text)
        self.form.addRow(self.tr("SentencePiece vocabulary:"), vocab_row)
        self.form.addRow(self.tr("SentencePiece type:"), self.spm_type)
        self.form.addRow(self.tr("Training corpus:"), row)
        self.model_chips = QTextBrowser()
        self.spm_chips = QTextBrowser()
        self.model_label = QLabel()
        self.spm_label = QLabel()
        sides = QHBoxLayout()
        for label, view in ((self.model_label, self.model_chips),
                            (self.spm_label, self.spm_chips)):
            col = QWidget()
            v = QVBoxLayout(col)
            v.setContentsMargins(0, 0, 0, 0)
            v.addWidget(label)
            v.addWidget(view)
            sides.addWidget(col)
        self.body.insertLayout(0, sides, 1)
        self.table = QTableWidget(0, 7)
        self.table.setHorizontalHeaderLabels([
            self.tr("Tokenizer"), self.tr("Text"), self.tr("Language"), self.tr("Characters"),
            self.tr("Tokens"), self.tr("Chars/token"), self.tr("Chinese ÷ English")])
        self.body.addWidget(self.table, 1)
        self.plot.setLabel("left", self.tr("characters per token (sample texts)"))
        self.plot.addLegend(offset=(-10, 10))
        self.plot.setMinimumHeight(160)
        self.sample.currentIndexChanged.connect(self._sample_changed)
        pick.clicked.connect(self._pick_corpus)
        bundled.clicked.connect(self._bundled)

    def title(self) -> str:
        return self.tr("Tokenizer lab")

    def description(self) -> str:
        return self.tr(
            "How the model cuts a text into tokens, beside a SentencePiece tokenizer trained "
            "here; the table shows what the same meaning costs in English and in Chinese.")

    def _sample_changed(self) -> None:
        key = self.sample.currentData()
        if key:
            self.text.setPlainText(common.lab_text(core.SAMPLES[key]))

    def _pick_corpus(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Training corpus folder"))
        if folder:
            self.corpus = folder
            self.corpus_label.setText(folder)

    def _bundled(self) -> None:
        self.corpus = None
        self.corpus_label.setText(self.tr("the bundled texts"))

    def make_job(self) -> Job:
        text, vocab = self.text.toPlainText(), self.vocab.value()
        kind, corpus = self.spm_type.currentData(), self.corpus
        return lambda engine, progress, cancel: core.run_tokenizers(
            engine, text, vocab, kind, corpus, progress, cancel)

    def show_result(self, result: Any) -> None:
        super().show_result(result)
        self.sample.blockSignals(True)
        keys = [k for k, f in core.SAMPLES.items() if common.lab_text(f) == result.text]
        self.sample.setCurrentIndex(self.sample.findData(keys[0] if keys else ""))
        self.sample.blockSignals(False)
        self.text.setPlainText(result.text)
        by = {t.tokenizer: t for t in result.tokenizations}
        for key, label, view, name in (
            ("model", self.model_label, self.model_chips, result.model or self.tr("no model")),
            ("spm", self.spm_label, self.spm_chips,
             f"SentencePiece {result.spm_type} {result.spm_vocab_size_actual}"),
        ):
            t = by.get(key)
            if t is None:
                label.setText(self.tr("{name}: load a model to see its tokens").format(name=name))
                view.clear()
                continue
            label.setText(self.tr("{name}: {n} tokens, {c:.2f} chars/token, {w:.2f} tokens/word")
                          .format(name=name, n=t.tokens, c=t.chars_per_token,
                                  w=t.tokens_per_word))
            view.setHtml(chips_html(t.pieces))
        rows = result.unfairness
        self.table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            cells = [row["tokenizer"], row["pair"] + (" *" if row["in_corpus"] else ""),
                     row["lang"], str(row["chars"]), str(row["tokens"]),
                     f"{row['chars_per_token']:.2f}", f"{row['ratio_zh_en']:.2f}"]
            for j, c in enumerate(cells):
                self.table.setItem(i, j, QTableWidgetItem(c))
        self.table.resizeColumnsToContents()
        self.plot.clear()
        names = list(dict.fromkeys(r["tokenizer"] for r in rows))
        langs = {"en": self.tr("English"), "zh": self.tr("Chinese")}
        for off, lang, colour in ((-0.2, "en", "#1f77b4"), (0.2, "zh", "#d62728")):
            ys = [np.mean([r["chars_per_token"] for r in rows
                           if r["tokenizer"] == n and r["lang"] == lang and r["pair"] == "sample"])
                  for n in names]
            self.plot.addItem(pg.BarGraphItem(x=np.arange(len(names)) + off, height=ys,
                                              width=0.38, brush=colour, name=langs[lang]))
        self.plot.getAxis("bottom").setTicks([[(i, n) for i, n in enumerate(names)]])

    def from_dict(self, data: dict[str, Any]) -> Any:
        return core.TokenizersResult.from_dict(data)
