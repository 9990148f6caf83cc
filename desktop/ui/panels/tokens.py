"""Tokens: the exact prompt the model receives (after the chat template) as token chips,
and a box that tokenizes any text live."""

from __future__ import annotations

import bisect
from collections.abc import Callable

from PySide6.QtCore import QEvent, QPoint, QRect, QRectF, QSize, Qt
from PySide6.QtGui import (
    QFont,
    QFontMetrics,
    QHelpEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QPlainTextEdit,
    QScrollArea,
    QSizePolicy,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from ._common import line_height, soft, token_label, tone, warning_color

PieceFn = Callable[[int], bytes]
SpecialFn = Callable[[int], bool]
TokenizeFn = Callable[[str], list[int]]
_HUES = (210, 140, 40, 300, 180)  #: neighbouring chips alternate through these tints


class ChipView(QWidget):
    """All the chips painted by one widget (thousands stay fast), wrapping to its width."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.setAccessibleName(self.tr("Tokens"))
        self.tokens: list[int] = []
        self.labels: list[str] = []
        self.special: list[bool] = []
        self._widths: list[int] = []
        self._rects: list[QRect] = []
        self._tops: list[int] = []  #: y of each chip, for finding the visible ones
        self._laid_for = -1

    def set_chips(self, tokens: list[int], labels: list[str], special: list[bool]) -> None:
        self.tokens, self.labels, self.special = tokens, labels, special
        bold = QFont(self.font())
        bold.setBold(True)
        fm, fm_bold = self.fontMetrics(), QFontMetrics(bold)
        pad = self._pad()
        self._widths = [
            (fm_bold if s else fm).horizontalAdvance(label) + 2 * pad + 2
            for label, s in zip(labels, special, strict=True)
        ]
        self._laid_for = -1
        self._relayout(self.width())
        self.update()

    def is_bytes(self, i: int) -> bool:
        return "<0x" in self.labels[i]

    def _pad(self) -> int:
        return max(2, self.fontMetrics().averageCharWidth() // 2)

    def _chip_h(self) -> int:
        return line_height(self) + 4

    def _layout(self, width: int) -> tuple[list[QRect], int]:
        gap, h = self._pad(), self._chip_h()
        width = max(width, 4 * h)
        rects, x, y = [], gap, gap
        for i, w in enumerate(self._widths):
            w = min(w, width - 2 * gap)
            if x > gap and x + w > width - gap:
                x, y = gap, y + h + gap
            rects.append(QRect(x, y, w, h))
            x += w + gap
            if self.labels[i].endswith("↵"):  # the prompt's own line breaks
                x, y = gap, y + h + gap
        bottom = (rects[-1].bottom() + 1 + gap) if rects else 0
        return rects, bottom

    def _relayout(self, width: int) -> None:
        if width == self._laid_for:
            return
        self._rects, height = self._layout(width)
        self._tops = [r.y() for r in self._rects]
        self._laid_for = width
        self.setMinimumHeight(height)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._layout(width)[1]

    def sizeHint(self) -> QSize:
        w = line_height(self) * 20
        return QSize(w, self.heightForWidth(w))

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._relayout(event.size().width())
        super().resizeEvent(event)

    def chip_rect(self, i: int) -> QRect:
        return self._rects[i]

    def index_at(self, pos: QPoint) -> int:
        lo = bisect.bisect_right(self._tops, pos.y() - self._chip_h())
        hi = bisect.bisect_right(self._tops, pos.y())
        for i in range(lo, hi):
            if self._rects[i].contains(pos):
                return i
        return -1

    def paintEvent(self, event: QPaintEvent) -> None:
        if not self._rects:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        text_c = pal.color(QPalette.ColorRole.Text)
        accent = pal.color(QPalette.ColorRole.Highlight)
        bold = QFont(self.font())
        bold.setBold(True)
        pad = self._pad()
        area = event.rect()
        lo = bisect.bisect_left(self._tops, area.top() - self._chip_h())
        hi = bisect.bisect_right(self._tops, area.bottom())
        for i in range(lo, hi):
            r = self._rects[i]
            if self.special[i]:
                p.setBrush(soft(pal, accent, 0.45))
                p.setPen(QPen(accent, 1.5))
                p.setFont(bold)
            elif self.is_bytes(i):
                p.setBrush(soft(pal, warning_color(pal), 0.15))
                p.setPen(QPen(warning_color(pal), 1, Qt.PenStyle.DashLine))
                p.setFont(self.font())
            else:
                p.setBrush(soft(pal, tone(pal, _HUES[i % len(_HUES)], 120), 0.35))
                p.setPen(Qt.PenStyle.NoPen)
                p.setFont(self.font())
            p.drawRoundedRect(QRectF(r).adjusted(0.5, 0.5, -0.5, -0.5), 3, 3)
            p.setPen(text_c)
            label = p.fontMetrics().elidedText(self.labels[i], Qt.TextElideMode.ElideRight,
                                               r.width() - 2 * pad + 1)
            p.drawText(r, Qt.AlignmentFlag.AlignCenter, label)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            assert isinstance(event, QHelpEvent)
            i = self.index_at(event.pos())
            if i >= 0:
                kind = (self.tr("special token") if self.special[i]
                        else self.tr("byte piece (part of a UTF-8 character)")
                        if self.is_bytes(i) else self.tr("text"))
                QToolTip.showText(event.globalPos(), self.tr(
                    "#{pos}: “{token}”\nid {id} · {kind}").format(
                    pos=i + 1, token=self.labels[i], id=self.tokens[i], kind=kind), self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)


def _scroll(view: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setFrameShape(QFrame.Shape.StyledPanel)
    area.setBackgroundRole(QPalette.ColorRole.Base)
    area.setWidget(view)
    return area


class TokensPanel(QWidget):
    """The prompt as the model sees it, token by token, with a live tokenizer box."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._piece: PieceFn | None = None
        self._special: SpecialFn | None = None
        self._tokenize: TokenizeFn | None = None
        self._prompt: list[int] = []
        self._labels: dict[int, str] = {}

        self.prompt_title = QLabel("<b>" + self.tr("Prompt after the chat template") + "</b>")
        self.prompt_title.setToolTip(self.tr(
            "Exactly the tokens the model receives: your messages wrapped in the model's chat "
            "template. Special tokens are outlined; dashed chips are single bytes of a "
            "character. Hover a chip for its id."))
        self.prompt_counts = QLabel()
        self.prompt_counts.setWordWrap(True)
        self.prompt_view = ChipView()
        self.input_title = QLabel("<b>" + self.tr("Tokenize this text") + "</b>")
        self.input = QPlainTextEdit()
        self.input.setPlaceholderText(self.tr("Type or paste any text to see its tokens…"))
        self.input.setTabChangesFocus(True)
        self.input.setAccessibleName(self.tr("Text to tokenize"))
        self.input.setToolTip(self.tr(
            "Tokenized as a chat message is: markers such as <|im_end|> are plain text here, "
            "never control tokens."))
        self.input.setFixedHeight(line_height(self) * 3 + 12)
        self.input_counts = QLabel()
        self.input_counts.setWordWrap(True)
        self.input_view = ChipView()
        self.input_title.setBuddy(self.input)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.prompt_title)
        layout.addWidget(self.prompt_counts)
        layout.addWidget(_scroll(self.prompt_view), 3)
        layout.addWidget(self.input_title)
        layout.addWidget(self.input)
        layout.addWidget(self.input_counts)
        layout.addWidget(_scroll(self.input_view), 2)
        self.input.textChanged.connect(self._tokenize_input)
        self.set_engine_fns(None, None, None)

    # --- public API ----------------------------------------------------------------

    def set_engine_fns(
        self, piece: PieceFn | None, is_special: SpecialFn | None, tokenize: TokenizeFn | None
    ) -> None:
        """The loaded model's vocabulary: ``piece(id) -> bytes``, ``is_special(id)``, and
        ``tokenize(text)`` (None: the tokenizer box is disabled)."""
        self._piece, self._special, self._tokenize = piece, is_special, tokenize
        self._labels.clear()
        enabled = tokenize is not None
        self.input.setEnabled(enabled)
        self.input.setToolTip(
            self.tr("Tokenized live with the loaded model's vocabulary") if enabled
            else self.tr("Load a model to tokenize text with its vocabulary"))
        self.set_prompt(self._prompt)
        self._tokenize_input()

    def set_prompt(self, tokens: list[int]) -> None:
        """Show ``tokens``: the exact prompt after the chat template."""
        self._prompt = list(tokens)
        self._fill(self.prompt_view, self.prompt_counts, self._prompt)
        if not self._prompt:
            self.prompt_counts.setText(self.tr("No prompt yet: send a message."))

    # --- internals -----------------------------------------------------------------

    def _label(self, token: int) -> str:
        label = self._labels.get(token)
        if label is None:
            label = token_label(self._piece(token)) if self._piece else f"#{token}"
            self._labels[token] = label
        return label

    def _fill(self, view: ChipView, counts: QLabel, tokens: list[int]) -> None:
        special = [bool(self._special and self._special(t)) for t in tokens]
        view.set_chips(tokens, [self._label(t) for t in tokens], special)
        counts.setText(self._counts(tokens, special))

    def _counts(self, tokens: list[int], special: list[bool]) -> str:
        n_special = sum(special)
        text_tokens = [t for t, s in zip(tokens, special, strict=True) if not s]
        chars = 0
        if self._piece:
            chars = len(b"".join(self._piece(t) for t in text_tokens).decode("utf-8", "replace"))
        ratio = chars / len(text_tokens) if text_tokens else 0.0
        return self.tr("{n} tokens ({s} special) · {c} characters · {r:.2f} characters per "
                       "text token").format(n=len(tokens), s=n_special, c=chars, r=ratio)

    def _tokenize_input(self) -> None:
        text = self.input.toPlainText()
        tokens = self._tokenize(text) if self._tokenize and text else []
        self._fill(self.input_view, self.input_counts, tokens)
        if not text:
            self.input_counts.setText("")

