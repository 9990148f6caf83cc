"""Timeline: the chosen token's probability and the entropy across a reply, with the
low-confidence spans (p < LOW_CONFIDENCE) shaded and listed.

It is long (~460 lines): the chart paints and hit-tests its own bars, line and axes."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from ...core.conversation import Node
from ...core.thinking import ANSWER, THINK, token_phases
from ...core.trace import StepTrace, piece_text
from ..heat import LOW_CONFIDENCE, prob_color
from ._common import (
    dim_text,
    is_dark,
    line_height,
    mix,
    percent,
    soft,
    token_label,
    tone,
    visible,
    warning_color,
)


@dataclass
class Span:
    """Consecutive tokens with p_model < LOW_CONFIDENCE (``end`` inclusive); tokens a
    grammar forced (``StepTrace.grammar_forced``) are left out."""

    start: int
    end: int
    min_p: float
    min_index: int  #: the least likely token of the span: where a click takes you


def thinking_range(node: Node) -> tuple[int, int] | None:
    """(first, last) index of the tokens in ``node``'s thinking block, markers included."""
    if not node.traces:
        return None
    phases = token_phases([t.piece for t in node.traces],
                          starts_inside=bool(node.stats.get("thinking_starts_inside")))
    inside = [i for i, ph in enumerate(phases) if ph != ANSWER]
    if THINK not in phases or not inside:
        return None
    return inside[0], inside[-1]


class SpanTracker:
    """Finds low-confidence spans incrementally, so streaming stays O(new tokens)."""

    def __init__(self, threshold: float = LOW_CONFIDENCE) -> None:
        self.threshold = threshold
        self.spans: list[Span] = []
        self.seen = 0
        self.max_entropy = 0.0
        self.sum_p = 0.0

    def feed(self, traces: list[StepTrace]) -> bool:
        """Look at the traces not seen yet; True if the spans changed."""
        changed = False
        for i in range(self.seen, len(traces)):
            t = traces[i]
            self.max_entropy = max(self.max_entropy, t.entropy)
            self.sum_p += t.p_model
            if t.p_model >= self.threshold or t.grammar_forced:  # the grammar's choice
                continue
            changed = True
            last = self.spans[-1] if self.spans else None
            if last is not None and last.end == i - 1:
                last.end = i
                if t.p_model < last.min_p:
                    last.min_p, last.min_index = t.p_model, i
            else:
                self.spans.append(Span(i, i, t.p_model, i))
        self.seen = len(traces)
        return changed


class TimelineChart(QWidget):
    """The painted chart: one heat-coloured bar per token (its p), the entropy as a line."""

    clicked = Signal(int)  #: token index

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName(self.tr("Probability and entropy per token"))
        self.traces: list[StepTrace] = []
        self.spans: list[Span] = []
        #: the reply's thinking block as (first, last) token index, or None
        self.thinking: tuple[int, int] | None = None
        self.max_bits = 1.0
        self.selected = -1
        self.hover = -1

    # --- geometry ------------------------------------------------------------------

    def _margins(self) -> tuple[int, int, int, int]:
        """left, top, right, bottom (the axes are separate widgets beside the scroll area)"""
        lh = line_height(self)
        return 2, lh // 2 + 2, 2, lh + 4

    def min_step(self) -> int:
        return max(2, self.fontMetrics().averageCharWidth() // 3)

    def plot(self) -> QRectF:
        left, top, right, bottom = self._margins()
        return QRectF(left, top, max(1, self.width() - left - right),
                      max(1, self.height() - top - bottom))

    def step(self) -> float:
        return self.plot().width() / max(1, len(self.traces))

    def x_of(self, index: int) -> float:
        """The x at the middle of token ``index``'s bar."""
        return self.plot().left() + (index + 0.5) * self.step()

    def index_at(self, pos: QPoint | QPointF) -> int:
        plot = self.plot()
        if not self.traces or not plot.left() <= pos.x() <= plot.right():
            return -1
        return min(len(self.traces) - 1, int((pos.x() - plot.left()) / self.step()))

    def wanted_width(self) -> int:
        left, _, right, _ = self._margins()
        return left + right + len(self.traces) * self.min_step()

    def sizeHint(self) -> QSize:
        return QSize(line_height(self) * 22, line_height(self) * 10)

    def minimumSizeHint(self) -> QSize:
        return QSize(line_height(self) * 10, line_height(self) * 6)

    # --- painting ------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        pal = self.palette()
        plot = self.plot()
        text_c = pal.color(QPalette.ColorRole.Text)
        p.fillRect(plot, pal.color(QPalette.ColorRole.Base))
        self._paint_axes(p, plot)
        if not self.traces:
            p.setPen(dim_text(pal))
            p.drawText(plot, Qt.AlignmentFlag.AlignCenter, self.tr("No tokens yet"))
            return
        step = self.step()
        first = max(0, int((event.rect().left() - plot.left()) / step) - 1)
        last = min(len(self.traces), int((event.rect().right() - plot.left()) / step) + 2)
        if self.thinking is not None:  # the thinking block: a tinted band with its name
            a, b = self.thinking
            tint = QColor(pal.color(QPalette.ColorRole.Highlight))
            tint.setAlpha(28)
            area = QRectF(plot.left() + a * step, plot.top(), (b - a + 1) * step, plot.height())
            p.fillRect(area, tint)
            p.setPen(dim_text(pal))
            p.drawText(area.adjusted(3, 2, 0, 0), Qt.AlignmentFlag.AlignLeft
                       | Qt.AlignmentFlag.AlignTop, self.tr("thinking"))
        band = band_color(pal)
        for s in self.spans:
            if s.end >= first and s.start < last:
                x0 = plot.left() + s.start * step
                p.fillRect(QRectF(x0, plot.top(), (s.end - s.start + 1) * step, plot.height()),
                           band)
        gap = 1.0 if step >= 4 else 0.0
        for i in range(first, last):
            t = self.traces[i]
            h = max(1.0, t.p_model * plot.height())
            p.fillRect(QRectF(plot.left() + i * step, plot.bottom() - h, max(1.0, step - gap), h),
                       prob_color(t.p_model).darker(112))
        # the low-confidence threshold
        y = plot.bottom() - LOW_CONFIDENCE * plot.height()
        p.setPen(QPen(warning_color(pal), 1, Qt.PenStyle.DashLine))
        p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
        # entropy line on the right axis
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        path = QPainterPath()
        for i in range(first, last):
            x = plot.left() + (i + 0.5) * step
            pt = QPointF(x, plot.bottom() - self.traces[i].entropy / self.max_bits * plot.height())
            path.moveTo(pt) if i == first else path.lineTo(pt)
        p.setPen(QPen(self.entropy_color(), 1.6))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(path)
        for index, color in ((self.hover, dim_text(pal)),
                             (self.selected, pal.color(QPalette.ColorRole.Highlight))):
            if 0 <= index < len(self.traces):
                p.setPen(QPen(color, 2 if index == self.selected else 1))
                x = self.x_of(index)
                p.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
        if self.hasFocus():
            p.setPen(QPen(text_c, 1, Qt.PenStyle.DotLine))
            p.drawRect(plot.adjusted(0, 0, -1, -1))

    def entropy_color(self) -> QColor:
        pal = self.palette()
        return QColor.fromHsv(220, 130, 255) if is_dark(pal) else tone(pal, 225, 210)

    def _paint_axes(self, p: QPainter, plot: QRectF) -> None:
        pal = self.palette()
        fm = self.fontMetrics()
        p.setPen(QPen(dim_text(pal), 1))
        p.drawRect(plot)
        for frac in (0.5,):
            y = plot.bottom() - frac * plot.height()
            p.setPen(QPen(soft(pal, dim_text(pal), 0.5), 1, Qt.PenStyle.DotLine))
            p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
        p.setPen(QPen(dim_text(pal), 1))
        n = len(self.traces)
        if n:
            every = max(1, 10 ** math.floor(math.log10(max(1, n))) // 2)
            step = self.step()
            while every * step < fm.horizontalAdvance("0000") + 8:
                every *= 2
            for i in range(0, n, every):
                label = str(i + 1)
                x = plot.left() + (i + 0.5) * step
                lx = min(max(0.0, x - fm.horizontalAdvance(label) / 2),
                         self.width() - fm.horizontalAdvance(label))
                p.drawText(QPointF(lx, plot.bottom() + fm.ascent() + 2), label)

    def legend_html(self) -> str:
        pal = self.palette()
        items = (
            (prob_color(0.6).darker(112), self.tr("p of the token")),
            (self.entropy_color(), self.tr("entropy (bits)")),
            (band_color(pal), self.tr("p < {p:.0%}").format(p=LOW_CONFIDENCE)),
        )
        return " &nbsp; ".join(
            f'<span style="color:{c.name()}">■</span>&nbsp;{html.escape(t)}' for c, t in items)


    # --- interaction -----------------------------------------------------------------

    def tooltip_text(self, i: int) -> str:
        t = self.traces[i]
        text = self.tr("#{i} “{token}” (id {id})\np {p} · rank {rank}\nentropy {h:.2f} bits")
        return text.format(
            i=i + 1, token=token_label(t.piece), id=t.token, p=percent(t.p_model), rank=t.rank,
            h=t.entropy)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        i = self.index_at(event.position())
        if i != self.hover:
            self.hover = i
            self.update()
        if i >= 0:
            QToolTip.showText(event.globalPosition().toPoint(), self.tooltip_text(i), self)

    def leaveEvent(self, event: QEvent) -> None:
        self.hover = -1
        self.update()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            assert isinstance(event, QHelpEvent)
            i = self.index_at(event.pos())
            if i >= 0:
                QToolTip.showText(event.globalPos(), self.tooltip_text(i), self)
            return True
        return super().event(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        i = self.index_at(event.position())
        if i >= 0 and event.button() == Qt.MouseButton.LeftButton:
            self.selected = i
            self.update()
            self.clicked.emit(i)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        moves = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1}
        key = Qt.Key(event.key())
        if self.traces and key in moves:
            i = max(0, min(len(self.traces) - 1, self.selected + moves[key]))
            self.selected = i
            self.update()
            self.clicked.emit(i)
        else:
            super().keyPressEvent(event)


def band_color(pal: QPalette) -> QColor:
    """The shade behind low-confidence spans."""
    strength = 0.22 if is_dark(pal) else 0.3
    return mix(pal.color(QPalette.ColorRole.Base), warning_color(pal), strength)


class TimelineAxis(QWidget):
    """A fixed vertical axis beside the scrolling chart: p on the left, bits on the right."""

    def __init__(self, chart: TimelineChart, right: bool) -> None:
        super().__init__()
        self.chart, self.right = chart, right
        fm = self.fontMetrics()
        self.setFixedWidth(fm.horizontalAdvance("88 bits" if right else "100%") + 6)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        fm = self.fontMetrics()
        plot = self.chart.plot()
        p.setPen(dim_text(self.palette()))
        for frac in (0.0, 0.5, 1.0):
            y = plot.bottom() - frac * plot.height() + fm.ascent() / 2 - 1
            if self.right:
                bits = f"{frac * self.chart.max_bits:g}"
                label = self.tr("{n} bits").format(n=bits) if frac == 1.0 else bits
                p.drawText(QPointF(3, y), label)
            else:
                label = f"{round(frac * 100)}%"
                p.drawText(QPointF(self.width() - fm.horizontalAdvance(label) - 3, y), label)


class TimelinePanel(QWidget):
    """Chosen-token probability and entropy across a reply; click a token to inspect it."""

    token_clicked = Signal(int, int)  #: node id, token index

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._node: Node | None = None
        self._tracker = SpanTracker()
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.chart = TimelineChart()
        self.chart.setToolTip(self.tr("Click a token to inspect it; ←/→ step through them."))
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll_area.setWidget(self.chart)
        self.legend = QLabel(self.chart.legend_html())
        self.legend.setWordWrap(True)
        self.axes = (TimelineAxis(self.chart, False), TimelineAxis(self.chart, True))
        plot_row = QHBoxLayout()
        plot_row.setSpacing(0)
        plot_row.addWidget(self.axes[0])
        plot_row.addWidget(self.scroll_area, 1)
        plot_row.addWidget(self.axes[1])
        self.spans_label = QLabel()
        self.spans_label.setWordWrap(True)
        self.spans = QListWidget()
        self.spans.setToolTip(self.tr("Click a span to inspect its least likely token"))
        self.spans.setAccessibleName(self.tr("Low-confidence spans"))
        self.spans.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.spans.setTextElideMode(Qt.TextElideMode.ElideRight)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addWidget(self.legend)
        layout.addLayout(plot_row, 3)
        layout.addWidget(self.spans_label)
        layout.addWidget(self.spans, 2)
        self.chart.clicked.connect(self._chart_clicked)
        self.spans.itemClicked.connect(self._span_clicked)
        self.spans.itemActivated.connect(self._span_clicked)
        self._reset()

    # --- public API ----------------------------------------------------------------

    def set_reply(self, node: Node) -> None:
        """Show reply ``node`` (any number of traces so far)."""
        self._node = node
        self._tracker = SpanTracker()
        self.spans.clear()
        self.chart.selected = -1
        self.update_reply(node)

    def update_reply(self, node: Node) -> None:
        """New traces were appended to ``node`` (streaming): cheap, repaints the chart."""
        if node is not self._node:
            self.set_reply(node)
            return
        bar = self.scroll_area.horizontalScrollBar()
        at_end = bar.value() >= bar.maximum() - 2
        n_spans = len(self._tracker.spans)
        if self._tracker.feed(node.traces):
            self._sync_spans(n_spans)
        self.chart.traces = node.traces
        self.chart.spans = self._tracker.spans
        self.chart.thinking = thinking_range(node)
        self.chart.max_bits = max(1.0, math.ceil(self._tracker.max_entropy))
        self.chart.setMinimumWidth(self.chart.wanted_width())
        self.chart.update()
        self.axes[1].update()
        if at_end:
            bar.setValue(bar.maximum())
        self._update_summary(node)

    def select(self, index: int) -> None:
        """Mark token ``index`` (chosen elsewhere) without emitting token_clicked."""
        self.chart.selected = index
        if self.chart.traces and 0 <= index < len(self.chart.traces):
            x = round(self.chart.x_of(index))
            self.scroll_area.ensureVisible(x, 0, line_height(self) * 2, 0)
        self.chart.update()

    def low_confidence_spans(self) -> list[Span]:
        return list(self._tracker.spans)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.legend.setText(self.chart.legend_html())  # colours follow the theme

    # --- internals -----------------------------------------------------------------

    def _reset(self) -> None:
        self.chart.traces, self.chart.spans = [], []
        self._update_summary(None)

    def _span_text(self, span: Span) -> str:
        assert self._node is not None
        raw = b"".join(t.piece for t in self._node.traces[span.start : span.end + 1])
        text = visible(piece_text(raw), spaces=False)
        if len(text) > 40:
            text = text[:39] + "…"
        tokens = (self.tr("token {a}").format(a=span.start + 1) if span.start == span.end
                  else self.tr("tokens {a}–{b}").format(a=span.start + 1, b=span.end + 1))
        return self.tr("{tokens} · min p {p} · “{text}”").format(
            text=text, p=percent(span.min_p), tokens=tokens)

    def _sync_spans(self, old_count: int) -> None:
        """Refresh the list items of spans that grew or appeared since ``old_count``."""
        spans = self._tracker.spans
        for i in range(max(0, old_count - 1), len(spans)):
            span = spans[i]
            item = self.spans.item(i) if i < self.spans.count() else None
            if item is None:
                item = QListWidgetItem()
                self.spans.addItem(item)
            item.setText(self._span_text(span))
            item.setData(Qt.ItemDataRole.UserRole, span.min_index)
            item.setToolTip(self.tr("Click to inspect token {i}, the least likely of this span")
                            .format(i=span.min_index + 1))

    def _update_summary(self, node: Node | None) -> None:
        n = len(node.traces) if node else 0
        spans = self._tracker.spans
        if not n:
            self.summary.setText(self.tr("Select a reply to see its tokens' probabilities."))
        else:
            mean_p = self._tracker.sum_p / max(1, self._tracker.seen)
            self.summary.setText(self.tr("{n} tokens · mean p {p} · {k} low-confidence spans")
                                 .format(n=n, p=percent(mean_p), k=len(spans)))
        self.spans_label.setText(
            self.tr("Low-confidence spans (p < {p:.0%}), where the model was unsure — check "
                    "these for errors:").format(p=LOW_CONFIDENCE)
            if spans else self.tr("No low-confidence spans: every token had p ≥ {p:.0%}.").format(
                p=LOW_CONFIDENCE))

    def _chart_clicked(self, index: int) -> None:
        if self._node is not None:
            self.token_clicked.emit(self._node.id, index)

    def _span_clicked(self, item: QListWidgetItem) -> None:
        index = item.data(Qt.ItemDataRole.UserRole)
        if self._node is not None and index is not None:
            self.select(int(index))
            self.token_clicked.emit(self._node.id, int(index))
