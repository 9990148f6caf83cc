"""A reply's thinking (``<think>…</think>``) as a collapsible block above its answer, with
its own heat colouring; the answer is shown without it."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtWidgets import QTextBrowser, QToolButton, QVBoxLayout, QWidget

from desktop.core.conversation import Node
from desktop.core.thinking import ANSWER, THINK, split_thinking, token_phases
from desktop.ui import token_spans
from desktop.ui.token_spans import Span


def phases_of(node: Node) -> list[str]:
    """Per trace of ``node``: "think", "marker" or "answer"."""
    return token_phases([t.piece for t in node.traces],
                        starts_inside=bool(node.stats.get("thinking_starts_inside")))


def has_thinking(node: Node) -> bool:
    return node.role == "assistant" and THINK in phases_of(node)


def split_spans(spans: Sequence[Span], phases: Sequence[str]) -> tuple[list[Span], list[Span]]:
    """(thinking spans, answer spans): each span goes by the phase of its first token;
    the markers themselves belong to neither."""
    think, answer = [], []
    for span in spans:
        phase = phases[span.start] if span.start < len(phases) else ANSWER
        if phase == THINK:
            think.append(span)
        elif phase == ANSWER:
            answer.append(span)
    return think, answer


def answer_text(node: Node) -> str:
    return split_thinking(node.content,
                          starts_inside=bool(node.stats.get("thinking_starts_inside")))[1]


class ThinkingBlock(QWidget):
    """A "Thinking (N tokens)" toggle and the thinking itself (collapsed by default)."""

    def __init__(
        self, body_factory: Callable[[QWidget], QTextBrowser], parent: QWidget
    ) -> None:
        super().__init__(parent)
        self.setObjectName("thinkingBlock")
        self.toggle = QToolButton(self)
        self.toggle.setObjectName("thinkingToggle")
        self.toggle.setCheckable(True)
        self.toggle.setAutoRaise(True)
        self.body = body_factory(self)
        self.body.setObjectName("thinkingBody")
        self.body.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 4)
        layout.setSpacing(0)
        layout.addWidget(self.toggle)
        layout.addWidget(self.body)
        self.toggle.toggled.connect(self._toggled)
        self.toggle.setToolTip(self.tr(
            "What the model wrote between <think> and </think> before answering. It takes "
            "room in the context window like any other tokens."))

    def _toggled(self, on: bool) -> None:
        self.body.setHidden(not on)
        self._label(self._count)

    _count = 0

    def show_thinking(self, node: Node, spans: Sequence[Span], metric: str,
                      selected: int | None, heat: bool) -> None:
        self._count = sum(s.size for s in spans)
        self._label(self._count)
        if self.body.isHidden():
            return
        if heat:
            self.body.setHtml(token_spans.heat_html(node.id, spans, metric, selected))
        else:
            text = "".join(s.text for s in spans)
            self.body.setPlainText(text)

    def _label(self, n: int) -> None:
        arrow = "▾" if self.toggle.isChecked() else "▸"
        self.toggle.setText(arrow + " " + self.tr("Thinking (%n tokens)", "", n))
