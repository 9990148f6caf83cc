"""Context: how the n_ctx token window is spent — system prompt, earlier turns, this
input, the reply so far, free — and which turns were dropped to make room."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QHelpEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import (
    QGridLayout,
    QHeaderView,
    QLabel,
    QToolTip,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...core.context import ContextPlan
from ._common import dim_text, line_height, tone, translate, visible, warning_color
from ._remote_texts import RemoteTexts

PARTS = ("system", "earlier", "input", "thinking", "reply", "free")
_HUES = {"system": 275, "earlier": 210, "input": 140, "thinking": 330, "reply": 28}
WARN_AT = 0.85  #: warn when more than this share of n_ctx is used


def part_names() -> dict[str, str]:
    return {
        "system": translate("ContextPanel", "System prompt"),
        "earlier": translate("ContextPanel", "Earlier turns"),
        "input": translate("ContextPanel", "This input"),
        "thinking": translate("ContextPanel", "Thinking"),
        "reply": translate("ContextPanel", "Reply so far"),
        "free": translate("ContextPanel", "Free"),
    }


def context_parts(
    plan: ContextPlan, reply_tokens: int = 0, thinking_tokens: int = 0
) -> dict[str, int]:
    """Tokens by part; they always sum to ``plan.n_ctx``. Tokens outside any message (a
    BOS token) count as earlier turns, as in ``ContextPlan.totals``; ``thinking_tokens`` of
    the reply's tokens are its thinking block (markers included)."""
    n_ctx = plan.n_ctx
    totals = plan.totals()
    used = min(len(plan.tokens), n_ctx)
    system = min(totals["system"], used)
    user_input = min(totals["input"], used - system)
    reply = max(0, min(reply_tokens, n_ctx - used))
    thinking = min(thinking_tokens, reply)
    return {
        "system": system,
        "earlier": used - system - user_input,
        "input": user_input,
        "thinking": thinking,
        "reply": reply - thinking,
        "free": n_ctx - used - reply,
    }


def part_color(palette: QPalette, part: str) -> QColor:
    if part == "free":
        return palette.color(QPalette.ColorRole.Base)
    return tone(palette, _HUES[part], 140)


class ContextBar(QWidget):
    """A stacked horizontal bar over n_ctx, with the reply reserve outlined."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.parts: dict[str, int] = {}
        self.n_ctx = 0
        self.reserve = 0
        self.setAccessibleName(self.tr("Context window usage"))

    def sizeHint(self) -> QSize:
        return QSize(line_height(self) * 20, round(line_height(self) * 1.8))

    def minimumSizeHint(self) -> QSize:
        return QSize(line_height(self) * 6, round(line_height(self) * 1.8))

    def _x(self, tokens: int) -> float:
        return 1 + (self.width() - 2) * tokens / max(1, self.n_ctx)

    def _segments(self) -> list[tuple[str, float, float]]:
        out, start = [], 0
        for part in PARTS:
            n = self.parts.get(part, 0)
            if n:
                out.append((part, self._x(start), self._x(start + n)))
            start += n
        return out

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        pal = self.palette()
        outer = QRectF(0.5, 0.5, self.width() - 1, self.height() - 1)
        p.fillRect(outer, pal.color(QPalette.ColorRole.Base))
        for part, x0, x1 in self._segments():
            p.fillRect(QRectF(x0, 1, max(1.0, x1 - x0), self.height() - 2), part_color(pal, part))
        used = self.n_ctx - self.parts.get("free", 0)
        reply = self.parts.get("reply", 0) + self.parts.get("thinking", 0)
        if self.reserve > reply:  # the room kept for the reply: dashed
            start = used - reply
            end = min(self.n_ctx, start + self.reserve)
            p.setPen(QPen(part_color(pal, "reply"), 1.5, Qt.PenStyle.DashLine))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(QRectF(self._x(used), 2, self._x(end) - self._x(used), self.height() - 4))
        p.setPen(QPen(dim_text(pal), 1))
        p.setBrush(QBrush())
        p.drawRect(outer)
        if self.n_ctx:
            x = self._x(round(self.n_ctx * WARN_AT))
            p.setPen(QPen(warning_color(pal), 1, Qt.PenStyle.DotLine))
            p.drawLine(QPointF(x, 1), QPointF(x, self.height() - 1))

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            assert isinstance(event, QHelpEvent)
            names = part_names()
            for part, x0, x1 in self._segments():
                if x0 <= event.pos().x() <= max(x1, x0 + 2):
                    n = self.parts[part]
                    text = self.tr("{part}: {n} tokens ({pct:.1f}%)").format(
                        part=names[part], n=n, pct=100 * n / max(1, self.n_ctx))
                    QToolTip.showText(event.globalPos(), text, self)
                    return True
            QToolTip.hideText()
            return True
        return super().event(event)


class _Swatch(QWidget):
    def __init__(self, part: str) -> None:
        super().__init__()
        self.part = part
        side = self.fontMetrics().ascent()
        self.setFixedSize(side, side)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), part_color(self.palette(), self.part))
        p.setPen(dim_text(self.palette()))
        p.drawRect(self.rect().adjusted(0, 0, -1, -1))


class ContextPanel(QWidget):
    """Where the context window's tokens go, live while the reply grows."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.remote_texts = RemoteTexts(self)  # the line a server's reply gets
        self._plan: ContextPlan | None = None
        self._reply = 0
        self._texts: list[str] = []
        self.parts: dict[str, int] = {}
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.bar = ContextBar()
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        legend = QGridLayout()
        legend.setColumnStretch(1, 1)
        self._legend_rows: dict[str, tuple[QWidget, QLabel, QLabel]] = {}
        self.legend_numbers: dict[str, QLabel] = {}
        tips = {
            "system": self.tr("The system prompt with its template markers"),
            "earlier": self.tr("Earlier messages still in the context (and the BOS token)"),
            "input": self.tr("Your last message, plus the template's header for the reply"),
            "thinking": self.tr("Tokens the reply spent thinking (<think>…</think>): they "
                                "fill the context window like any others"),
            "reply": self.tr("Tokens generated so far; the dashed box is the room reserved "
                             "for the reply"),
            "free": self.tr("Room left in the context window"),
        }
        for row, (part, name) in enumerate(part_names().items()):
            swatch = _Swatch(part)
            legend.addWidget(swatch, row, 0, Qt.AlignmentFlag.AlignVCenter)
            label = QLabel(name)
            label.setToolTip(tips[part])
            legend.addWidget(label, row, 1)
            number = QLabel()
            number.setToolTip(tips[part])
            number.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            legend.addWidget(number, row, 2)
            self.legend_numbers[part] = number
            self._legend_rows[part] = (swatch, label, number)
        self.messages = QTreeWidget()
        self.messages.setHeaderLabels([self.tr("Role"), self.tr("Message"), self.tr("Tokens")])
        self.messages.setRootIsDecorated(False)
        self.messages.setUniformRowHeights(True)
        self.messages.setAccessibleName(self.tr("Messages in the context"))
        header = self.messages.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.messages.setToolTip(self.tr(
            "Tokens each message takes under the chat template. Dropped turns did not fit: "
            "the model no longer sees them."))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.bar)
        layout.addWidget(self.warning)
        layout.addLayout(legend)
        layout.addWidget(self.messages, 1)
        self.clear()

    # --- public API ----------------------------------------------------------------

    def set_plan(
        self, plan: ContextPlan, reply_tokens: int = 0, texts: Sequence[str] | None = None,
        thinking_tokens: int = 0,
    ) -> None:
        """Show ``plan``; ``texts`` (optional) are the messages' contents, same order as
        ``plan.message_tokens``, for the first words in the list."""
        self._plan = plan
        self._reply = reply_tokens
        self._texts = list(texts or [])
        self._fill_messages(plan)
        self.set_reply_tokens(reply_tokens, thinking_tokens)

    def set_reply_tokens(self, n: int, thinking: int = 0) -> None:
        """The reply has ``n`` tokens so far, ``thinking`` of them in its thinking block
        (call while generating)."""
        plan = self._plan
        if plan is None:
            return
        self._reply = n
        self.parts = context_parts(plan, n, thinking)
        bar = self.bar
        bar.parts, bar.n_ctx, bar.reserve = self.parts, plan.n_ctx, plan.reply_reserve
        self.bar.update()
        for part, label in self.legend_numbers.items():
            label.setText(self.tr("{n} ({pct:.1f}%)").format(
                n=self.parts[part], pct=100 * self.parts[part] / max(1, plan.n_ctx)))
        for widget in self._legend_rows["thinking"]:  # only for replies that think
            widget.setVisible(self.parts["thinking"] > 0)
        used = plan.n_ctx - self.parts["free"]
        share = used / max(1, plan.n_ctx)
        self.title.setText(self.tr("<b>{used}</b> of {n_ctx} tokens used ({pct:.0f}%) · {r} "
                                   "reserved for the reply").format(
            used=used, n_ctx=plan.n_ctx, pct=100 * share, r=plan.reply_reserve))
        if share > WARN_AT:
            self.warning.setText("⚠ " + self.tr(
                "The context is {pct:.0f}% full: the next turns will push the oldest ones out, "
                "and a long reply may be cut off.").format(pct=100 * share))
            self.warning.setStyleSheet(f"color: {warning_color(self.palette()).name()};")
            self.warning.show()
        else:
            self.warning.hide()

    def clear(self) -> None:
        self._plan = None
        self.parts = {}
        self.bar.parts, self.bar.n_ctx = {}, 0
        self.bar.update()
        self.messages.clear()
        self.warning.hide()
        for label in self.legend_numbers.values():
            label.setText("–")
        self.title.setText(self.tr("No context yet: send a message."))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self._plan is not None:
            self.set_plan(self._plan, self._reply, self._texts)  # colours follow the theme

    # --- internals -----------------------------------------------------------------

    def _fill_messages(self, plan: ContextPlan) -> None:
        self.messages.clear()
        roles = {"system": self.tr("system"), "user": self.tr("user"),
                 "assistant": self.tr("assistant")}
        dim = dim_text(self.palette())
        for i, n in enumerate(plan.message_tokens):
            role = plan.roles[i] if i < len(plan.roles) else ""
            text = " ".join(self._texts[i].split()) if i < len(self._texts) else ""
            text = visible(text, spaces=False)
            if len(text) > 60:
                text = text[:59] + "…"
            dropped = i in plan.dropped
            count = self.tr("dropped ({n})").format(n=n) if dropped else str(n)
            item = QTreeWidgetItem([roles.get(role, role), text, count])
            item.setTextAlignment(2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if dropped:
                for col in range(3):
                    font = item.font(col)
                    font.setStrikeOut(True)
                    item.setFont(col, font)
                    item.setForeground(col, dim)
                    item.setToolTip(col, self.tr("Dropped: did not fit in the context window, "
                                                 "so the model does not see it"))
            self.messages.addTopLevelItem(item)

    def dropped_rows(self) -> list[int]:
        """Indices of the list rows shown as dropped."""
        items = (self.messages.topLevelItem(i) for i in range(self.messages.topLevelItemCount()))
        return [i for i, item in enumerate(items) if item is not None and item.font(0).strikeOut()]
