"""The Compare view: the loaded model (A) and a second file (B) on the same text."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop.core.compare import CompareResult
from desktop.core.quantize import TYPES
from desktop.ui.lenses.charts import ChartBox
from desktop.ui.lenses.common import Lenses
from desktop.ui.lenses.heat_text import HeatText, kl_colour


class _Progress(QObject):
    """Carries the quantizer's progress from its thread to the progress bar."""

    step = Signal(int, int)


class CompareView(QWidget):
    """Both models' probabilities per token, KL(A‖B) as a heat over the text, top-1
    agreement, rank shift and the totals; a lower-bit copy of A can be made here."""

    def __init__(self, lenses: Lenses, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lenses = lenses
        self.result: CompareResult | None = None
        self._engine_b: Any = None
        self._cancel: threading.Event | None = None
        self._progress = _Progress(self)

        self.model_b = QLineEdit()
        self.model_b.setPlaceholderText(self.tr("model B: a .gguf file with the same vocabulary"))
        self.browse = QPushButton(self.tr("Choose…"))
        self.qtype = QComboBox()
        self.qtype.addItems(list(TYPES))
        self.qtype.setCurrentText("Q3_K_S")
        self.make_copy = QPushButton(self.tr("Make a lower-bit copy of A"))
        self.make_copy.setToolTip(self.tr(
            "Quantize the loaded model's file again with llama.cpp's quantizer (an already "
            "quantized file is requantized) and use the copy as model B."))
        self.progress = QProgressBar()
        self.progress.hide()
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.hide()
        self.source = QComboBox()
        self.source.setToolTip(self.tr("A text of your own, or a reply of the open "
                                       "conversation: both models read its own tokens after "
                                       "its own prompt"))
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText(self.tr("The text both models read…"))
        self.mode = QComboBox()
        self.mode.addItem(self.tr("batched (fast)"), "batched")
        self.mode.addItem(self.tr("exact (token by token)"), "exact")
        self.compare_button = QPushButton(self.tr("Compare"))
        self.save_button = QPushButton(self.tr("Save"))
        self.save_button.setEnabled(False)
        self.summary = QLabel(self.tr(
            "A is the loaded model, the reference; KL(A‖B) in bits says how much B's "
            "next-token distribution departs from A's at each token."))
        self.summary.setWordWrap(True)
        self.heat = HeatText()
        self.kl_chart = ChartBox(self.tr("KL(A‖B) per token (bits)"))
        self.p_chart = ChartBox(self.tr("Probability of the actual token: A minus B"))
        self.token_label = QLabel()
        self.token_label.setWordWrap(True)

        row1 = QHBoxLayout()
        for w in (QLabel(self.tr("B:")), self.model_b, self.browse, self.qtype,
                  self.make_copy, self.progress, self.cancel_button):
            row1.addWidget(w)
        row1.setStretch(1, 1)
        row2 = QHBoxLayout()
        row2.addWidget(QLabel(self.tr("Text:")))
        row2.addWidget(self.source, 1)
        for w in (self.mode, self.compare_button, self.save_button):
            row2.addWidget(w)
        left = QWidget()
        lbox = QVBoxLayout(left)
        lbox.addWidget(self.summary)
        lbox.addWidget(self.heat, 1)
        lbox.addWidget(self.token_label)
        right = QWidget()
        rbox = QVBoxLayout(right)
        rbox.addWidget(self.kl_chart)
        rbox.addWidget(self.p_chart)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(right)
        box = QVBoxLayout(self)
        box.addLayout(row1)
        box.addWidget(self.text, 1)
        box.addLayout(row2)
        box.addWidget(split, 4)

        self.browse.clicked.connect(self._browse)
        self.make_copy.clicked.connect(self.quantize)
        self.cancel_button.clicked.connect(self._cancel_quantize)
        self.compare_button.clicked.connect(self.compare)
        self.save_button.clicked.connect(self.save)
        self.heat.token_clicked.connect(self.select)
        self._progress.step.connect(self._on_progress)
        self.source.activated.connect(self._source_chosen)
        self._filling = False
        self.text.textChanged.connect(self._text_edited)
        self.refresh_sources()

    def refresh_sources(self) -> None:
        """The open conversation's replies, offered as texts to compare on."""
        self.source.clear()
        self.source.addItem(self.tr("Your text (above)"), None)
        for node in self.lenses.state.current.path():
            if node.role == "assistant" and node.traces and node.prompt_tokens:
                snippet = node.content.strip().replace("\n", " ")[:60]
                self.source.addItem(self.tr("Reply: %1").replace("%1", snippet), node.id)

    def _text_edited(self) -> None:
        """Typing makes it your own text (no longer the message's own tokens)."""
        if not self._filling and self.source.currentIndex() > 0:
            self.source.setCurrentIndex(0)

    def _source_chosen(self, i: int) -> None:
        node_id = self.source.itemData(i)
        if node_id is not None:
            self._filling = True
            self.text.setPlainText(self.lenses.state.current.nodes[node_id].content)
            self._filling = False

    # --- model B ------------------------------------------------------------------

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Model B"), "",
                                              self.tr("GGUF models (*.gguf)"))
        if path:
            self.model_b.setText(path)

    def quantize(self, out: Path | None = None) -> None:
        """Write a copy of model A at the chosen type beside it (or at ``out``)."""
        engine = self.lenses.state.engine
        if engine is None:
            self.summary.setText(self.tr("Load a model first."))
            return
        qtype = self.qtype.currentText()
        dst = Path(out) if out else engine.path.with_name(f"{engine.path.stem}.{qtype}.gguf")
        self._cancel = threading.Event()
        cancel, progress = self._cancel, self._progress

        def work(_report: Any) -> Path:
            from desktop.core.quantize import quantize

            return quantize(engine.path, dst, qtype, progress=progress.step.emit,
                            cancel=cancel)

        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.show()
        self.make_copy.setEnabled(False)
        self.summary.setText(self.tr("Quantizing %1 to %2…").replace("%1", engine.path.name)
                             .replace("%2", qtype))
        self.lenses.run(work, self._quantized, self._quantize_failed, uses_model=False)

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setMaximum(total)
        self.progress.setValue(done)

    def _cancel_quantize(self) -> None:
        if self._cancel is not None:
            self._cancel.set()

    def _quantize_over(self) -> None:
        self.progress.hide()
        self.cancel_button.hide()
        self.make_copy.setEnabled(True)

    def _quantized(self, path: object) -> None:
        self._quantize_over()
        self.model_b.setText(str(path))
        self.summary.setText(self.tr("Wrote %1. Compare A with it now.").replace("%1", str(path)))

    def _quantize_failed(self, message: str) -> None:
        self._quantize_over()
        self.summary.setText(message)

    # --- comparing ------------------------------------------------------------------

    def compare(self) -> None:
        why = self.lenses.why_not()
        path, text = self.model_b.text().strip(), self.text.toPlainText()
        if why is None and not path:
            why = self.tr("Choose model B (or make a lower-bit copy of A).")
        if why is None and not text:
            why = self.tr("There is no text to compare.")
        if why:
            self.summary.setText(why)
            return
        a, mode = self.lenses.state.engine, self.mode.currentData()
        old = self._engine_b
        node_id = self.source.currentData()
        reply = self.lenses.state.current.nodes.get(node_id) if node_id is not None else None
        tokens = (list(reply.prompt_tokens), reply.tokens) if reply is not None else None

        def work(report: Any) -> CompareResult:
            from desktop.core.compare import compare_text
            from desktop.core.engine import Engine, LoadOptions

            assert a is not None
            b = old
            if b is None or str(b.path) != str(Path(path)):
                if b is not None:
                    b.close()
                b = Engine(path, LoadOptions(n_ctx=a.n_ctx, n_threads=a.options.n_threads))
                self._engine_b = b
            if tokens is not None:
                from desktop.core.compare import compare_tokens

                return compare_tokens(a, b, tokens[0], tokens[1], mode)
            return compare_text(a, b, text, mode)

        self.summary.setText(self.tr("Comparing…"))
        self.compare_button.setEnabled(False)
        self.lenses.run(work, self._compared, self._failed)

    def _failed(self, message: str) -> None:
        self.compare_button.setEnabled(True)
        self.summary.setText(message)

    def _compared(self, result: object) -> None:
        self.compare_button.setEnabled(True)
        assert isinstance(result, CompareResult)
        self.show_result(result)

    def show_result(self, r: CompareResult) -> None:
        """Show a comparison (just computed, or reopened from the store)."""
        self.result = r
        self.save_button.setEnabled(True)
        self.summary.setText(
            self.tr("A = %1, B = %2 · %3 tokens · mean KL(A‖B) <b>%4</b> bits/token (max "
                    "%5) · top-1 agreement <b>%6%</b> · perplexity A %7, B %8")
            .replace("%1", r.model_a).replace("%2", r.model_b).replace("%3", str(len(r.rows)))
            .replace("%4", f"{r.mean_kl_bits:.4f}").replace("%5", f"{r.max_kl_bits:.3f}")
            .replace("%6", f"{100 * r.top1_agreement:.1f}")
            .replace("%7", f"{r.perplexity('a'):.2f}").replace("%8", f"{r.perplexity('b'):.2f}"))
        labels = [x.text for x in r.rows]
        self.kl_chart.set_series([x.kl_bits for x in r.rows], labels, self.tr("bits"),
                                 self.tr("token"))
        self.p_chart.set_series([x.p_a - x.p_b for x in r.rows], labels, self.tr("A − B"),
                                self.tr("token"), colour="#4a90d9")
        self.select(-1)

    def select(self, i: int) -> None:
        r = self.result
        if r is None:
            return
        n0 = len(r.unscored)
        texts = [u["text"] for u in r.unscored] + [x.text for x in r.rows]
        colours = [None] * n0 + [kl_colour(x.kl_bits) for x in r.rows]
        tips = [""] * n0 + [
            self.tr("KL %1 bits · p %2 → %3").replace("%1", f"{x.kl_bits:.3f}")
            .replace("%2", f"{x.p_a:.3f}").replace("%3", f"{x.p_b:.3f}") for x in r.rows]
        self.heat.set_tokens(texts, colours, tips, i)
        k = i - n0
        if 0 <= k < len(r.rows):
            x = r.rows[k]
            agree = self.tr("they agree") if x.agree else self.tr("they disagree")
            self.token_label.setText(
                self.tr("%1: p under A %2 (rank %3), under B %4 (rank %5); KL %6 bits. "
                        "First choice: A %7, B %8 — %9.")
                .replace("%1", repr(x.text)).replace("%2", f"{x.p_a:.4f}")
                .replace("%3", str(x.rank_a)).replace("%4", f"{x.p_b:.4f}")
                .replace("%5", str(x.rank_b)).replace("%6", f"{x.kl_bits:.3f}")
                .replace("%7", repr(x.top1_a_text)).replace("%8", repr(x.top1_b_text))
                .replace("%9", agree))
        else:
            self.token_label.setText(self.tr("Click a token for both models' view of it."))

    def save(self) -> None:
        if self.result is not None:
            title = "".join(x.text for x in self.result.rows[:12])
            self.lenses.save("compare", self.result.to_json(), title,
                             f"{self.result.model_a} vs {self.result.model_b}")

    def close_model(self) -> None:
        if self._engine_b is not None:
            self._engine_b.close()
            self._engine_b = None
