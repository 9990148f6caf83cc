"""The Score view: how surprising each token of a text is to the loaded model (GLTR)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop.core.scoring import BUCKET_NAMES, ScoreResult
from desktop.ui.lenses.charts import ChartBox
from desktop.ui.lenses.common import CandidateTable, Lenses
from desktop.ui.lenses.heat_text import BUCKET_COLOURS, HeatText


class ScoreView(QWidget):
    """Paste or open a text, or take a message of the conversation (the user's own prompt
    too), and see each token coloured by its GLTR rank bucket, the histogram, the
    surprisal per token and the perplexity; click a token for the model's candidates."""

    def __init__(self, lenses: Lenses, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lenses = lenses
        self.result: ScoreResult | None = None
        self._message_tokens: tuple[list[int], list[int]] | None = None

        self.source = QComboBox()
        self.source.setToolTip(self.tr("Score a text of your own, or a message of the "
                                       "open conversation in its place in the chat"))
        self.open_button = QPushButton(self.tr("Open file…"))
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText(self.tr("Paste a text here, or open a file…"))
        self.context = QComboBox()
        self.context.addItem(self.tr("as raw text"), "raw")
        self.context.addItem(self.tr("as the assistant's reply to the prompt"), "assistant")
        self.context.addItem(self.tr("as the user's message"), "user")
        self.prompt = QLineEdit()
        self.prompt.setPlaceholderText(self.tr("the prompt it answers (for a reply)"))
        self.mode = QComboBox()
        self.mode.addItem(self.tr("batched (fast)"), "batched")
        self.mode.addItem(self.tr("exact (token by token)"), "exact")
        self.mode.setToolTip(self.tr(
            "Batched runs the whole text through the model at once; exact decodes it one "
            "token at a time, as generation does. On quantized weights the two give slightly "
            "different numbers; only exact reproduces a reply's own probabilities."))
        self.score_button = QPushButton(self.tr("Score"))
        self.save_button = QPushButton(self.tr("Save"))
        self.save_button.setEnabled(False)

        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.heat = HeatText()
        self.histogram = ChartBox(self.tr("Tokens per rank bucket (GLTR)"))
        self.surprisal = ChartBox(self.tr("Surprisal per token (bits)"))
        self.candidates = CandidateTable()
        self.token_label = QLabel()
        self.caveat = QLabel(self.tr(
            "What it can tell: how predictable this text is for <i>this</i> model — many "
            "green (top-10) tokens and a low perplexity mean the model would likely have "
            "written it. What it cannot tell: who wrote it. Formulaic human text scores the "
            "same, text sampled at a high temperature looks human, and another model judges "
            "differently."))
        self.caveat.setWordWrap(True)

        row1 = QHBoxLayout()
        row1.addWidget(QLabel(self.tr("Text:")))
        row1.addWidget(self.source, 1)
        row1.addWidget(self.open_button)
        row2 = QHBoxLayout()
        for w in (self.context, self.prompt, self.mode, self.score_button, self.save_button):
            row2.addWidget(w)
        left = QWidget()
        lbox = QVBoxLayout(left)
        lbox.addWidget(self.summary)
        lbox.addWidget(self.heat, 2)
        lbox.addWidget(self.caveat)
        right = QWidget()
        rbox = QVBoxLayout(right)
        rbox.addWidget(self.histogram, 1)
        rbox.addWidget(self.surprisal, 1)
        rbox.addWidget(self.token_label)
        rbox.addWidget(self.candidates, 1)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(right)
        box = QVBoxLayout(self)
        box.addLayout(row1)
        box.addWidget(self.text, 1)
        box.addLayout(row2)
        box.addWidget(split, 4)

        self.open_button.clicked.connect(self._open)
        self.score_button.clicked.connect(self.score)
        self.save_button.clicked.connect(self.save)
        self.heat.token_clicked.connect(self.select)
        self.source.activated.connect(self._source_chosen)
        self._filling = False
        self.text.textChanged.connect(self._text_edited)
        self.context.currentIndexChanged.connect(
            lambda _i: self.prompt.setEnabled(self.context.currentData() == "assistant"))
        self.refresh_sources()

    # --- the text ---------------------------------------------------------------------

    def refresh_sources(self) -> None:
        """The open conversation's messages, offered as texts to score."""
        self.source.clear()
        self.source.addItem(self.tr("Your text (below)"), None)
        conv = self.lenses.state.current
        for node in conv.path():
            who = self.tr("You") if node.role == "user" else self.tr("Assistant")
            snippet = node.content.strip().replace("\n", " ")[:60]
            self.source.addItem(f"{who}: {snippet}", node.id)

    def use_message(self, node_id: int) -> None:
        """Score message ``node_id`` of the open conversation where it stands."""
        i = self.source.findData(node_id)
        if i >= 0:
            self.source.setCurrentIndex(i)
            self._source_chosen(i)

    def _text_edited(self) -> None:
        """Typing makes it your own text (no longer the message's own tokens)."""
        if not self._filling and self.source.currentIndex() > 0:
            self.source.setCurrentIndex(0)
            self._message_tokens = None

    def _source_chosen(self, i: int) -> None:
        node_id = self.source.itemData(i)
        self._message_tokens = None
        if node_id is None:
            return
        node = self.lenses.state.current.nodes[node_id]
        self._filling = True
        self.text.setPlainText(node.content)
        self._filling = False
        self.context.setCurrentIndex(self.context.findData(
            "assistant" if node.role == "assistant" else "user"))
        if node.role == "assistant" and node.traces and node.prompt_tokens:
            # the reply's own tokens after its own prompt: exactly what the model saw
            self._message_tokens = (list(node.prompt_tokens), node.tokens)

    def _open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Open a text"), "",
                                              self.tr("Text (*.txt *.md);;All files (*)"))
        if path:
            self.text.setPlainText(Path(path).read_text(encoding="utf-8", errors="replace"))
            self.source.setCurrentIndex(0)
            self._message_tokens = None

    # --- scoring ----------------------------------------------------------------------

    def score(self) -> None:
        why = self.lenses.why_not()
        text = self.text.toPlainText()
        if why is None and not text:
            why = self.tr("There is no text to score.")
        if why:
            self.summary.setText(why)
            return
        engine = self.lenses.state.engine
        session = self.lenses.state.session
        mode, role = self.mode.currentData(), self.context.currentData()
        node_id = self.source.currentData()
        tokens = self._message_tokens if node_id is not None else None
        conv = self.lenses.state.current
        before: list[Any] = []
        if node_id is not None:
            parent = conv.nodes[node_id].parent
            before = conv.messages(parent) if parent is not None else (
                conv.messages()[:1] if conv.system else [])
        prompt = self.prompt.text()

        def work(_report: Any) -> ScoreResult:
            from desktop.core.chat import Message
            from desktop.core.scoring import score_text, score_tokens
            from desktop.core.session import template_for

            assert engine is not None
            if tokens is not None:
                return score_tokens(engine, tokens[0], tokens[1], mode, "assistant")
            template = (session.template if session is not None else None) or (
                template_for(engine) if role != "raw" else None)
            msgs = list(before)
            if node_id is None and role == "assistant":
                msgs = [Message("user", prompt)]
            return score_text(engine, text, mode, template=template, messages=msgs,
                              role=role)

        self.summary.setText(self.tr("Scoring…"))
        self.score_button.setEnabled(False)
        self.lenses.run(work, self._scored, self._failed)

    def _failed(self, message: str) -> None:
        self.score_button.setEnabled(True)
        self.summary.setText(message)

    def _scored(self, result: object) -> None:
        self.score_button.setEnabled(True)
        assert isinstance(result, ScoreResult)
        self.show_result(result)

    def show_result(self, result: ScoreResult) -> None:
        """Show a score (just computed, or reopened from the store without the model)."""
        self.result = result
        self.save_button.setEnabled(True)
        b = result.buckets()
        n = max(1, len(result.tokens))
        mode = self.tr("batched") if result.mode == "batched" else self.tr("exact")
        self.summary.setText(
            self.tr("%1 tokens scored by %2 (%3) · perplexity <b>%4</b> · mean surprisal "
                    "%5 bits/token · top-10: %6%")
            .replace("%1", str(len(result.tokens))).replace("%2", result.model)
            .replace("%3", mode).replace("%4", f"{result.perplexity:.2f}")
            .replace("%5", f"{result.mean_surprisal_bits:.2f}")
            .replace("%6", f"{100 * b[0] / n:.0f}"))
        self.histogram.set_bars(list(BUCKET_NAMES), b, list(BUCKET_COLOURS),
                                self.tr("tokens"))
        self.surprisal.set_series([t.surprisal_bits for t in result.tokens],
                                  [t.text for t in result.tokens], self.tr("bits"),
                                  self.tr("token"))
        self.select(-1)

    def select(self, i: int) -> None:
        """Select scored token ``i`` (its candidates are shown); -1: none."""
        r = self.result
        if r is None:
            return
        texts = [u["text"] for u in r.unscored] + [t.text for t in r.tokens]
        colours = [None] * len(r.unscored) + [BUCKET_COLOURS[t.bucket] for t in r.tokens]
        tips = [self.tr("not scored: nothing comes before it")] * len(r.unscored) + [
            self.tr("p = %1 · rank %2 · %3 bits").replace("%1", f"{t.p:.4f}")
            .replace("%2", str(t.rank)).replace("%3", f"{t.surprisal_bits:.2f}")
            for t in r.tokens]
        self.heat.set_tokens(texts, colours, tips, i)
        k = i - len(r.unscored)
        if 0 <= k < len(r.tokens):
            t = r.tokens[k]
            self.token_label.setText(
                self.tr("%1: p = %2, rank %3 of the vocabulary, %4 bits. The model expected:")
                .replace("%1", repr(t.text)).replace("%2", f"{t.p:.4f}")
                .replace("%3", str(t.rank)).replace("%4", f"{t.surprisal_bits:.2f}"))
            self.candidates.show_candidates(t.top, t.token)
        else:
            self.token_label.setText(self.tr("Click a token to see what the model expected."))
            self.candidates.setRowCount(0)

    def save(self) -> None:
        if self.result is not None:
            title = "".join(t.text for t in self.result.tokens[:12])
            self.lenses.save("score", self.result.to_json(), title, self.result.model)
