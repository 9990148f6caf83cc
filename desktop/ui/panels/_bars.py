"""The inspector's candidate bar chart for one stage (the stage strip is in ``_stages``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QFont,
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import QMenu, QToolTip, QWidget

from ._common import dim_text, line_height, percent, soft, tone, warning_color


@dataclass
class CandidateRow:
    """One candidate as the chart shows it across the stages."""

    token: int
    label: str  #: visible token text
    p_model: float  #: raw probability over the whole vocabulary
    rank: int  #: 1-based rank by raw logit
    probs: list[float | None]  #: per stage: probability there, None once cut
    cut: int  #: index of the stage that removed it, -1 if it survives to the end
    chosen: bool  #: the token the model actually produced

    def shown_p(self, stage: int) -> float:
        """Its probability at ``stage``, or (once cut) its last one before the cut."""
        p = self.probs[stage]
        if p is None and self.cut > 0:
            p = self.probs[self.cut - 1]
        return p or 0.0

    def is_cut(self, stage: int) -> bool:
        return 0 <= self.cut <= stage


class CandidateChart(QWidget):
    """Horizontal probability bars (0–100 %) for the candidates at one stage."""

    row_selected = Signal(int)  #: token id
    row_activated = Signal(int)  #: token id: "continue from here with this token"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName(self.tr("Candidate tokens"))
        self.rows: list[CandidateRow] = []
        self.stage = 0
        self.stage_names: list[str] = []
        self.cumulative: dict[int, float] = {}  #: top-p: token -> cumulative probability
        self.threshold: float | None = None  #: top-p: the p line
        self.current = -1  #: the selected row

    def set_data(
        self, rows: list[CandidateRow], stage: int, stage_names: Sequence[str],
        cumulative: dict[int, float] | None = None, threshold: float | None = None,
    ) -> None:
        old = self.rows[self.current].token if 0 <= self.current < len(self.rows) else None
        self.rows, self.stage, self.stage_names = rows, stage, list(stage_names)
        self.cumulative, self.threshold = cumulative or {}, threshold
        tokens = [r.token for r in rows]
        self.current = tokens.index(old) if old in tokens else -1
        self.updateGeometry()
        self.update()

    def selected_token(self) -> int | None:
        return self.rows[self.current].token if 0 <= self.current < len(self.rows) else None

    def select_row(self, i: int) -> None:
        if not self.rows:
            return
        i = max(0, min(len(self.rows) - 1, i))
        self.current = i
        self.update()
        self.row_selected.emit(self.rows[i].token)

    # --- geometry ------------------------------------------------------------------

    def _row_h(self) -> int:
        return round(line_height(self) * 1.5)

    def _axis_h(self) -> int:
        return line_height(self) + 4

    def _columns(self) -> tuple[int, int, int, int]:
        """x of the label column, the bars, the value column, and the bars' width."""
        fm = self.fontMetrics()
        mark = fm.horizontalAdvance("▶ ") + 2
        widest = max((fm.horizontalAdvance(r.label) for r in self.rows), default=0) + 8
        label = min(widest, round(self.width() * 0.34))
        value = fm.horizontalAdvance("100.0% ") + 4
        bar_x = mark + label
        return mark, bar_x, self.width() - value, max(10, self.width() - value - bar_x - 6)

    def row_rect(self, i: int) -> QRect:
        return QRect(0, self._axis_h() + i * self._row_h(), self.width(), self._row_h())

    def _row_at(self, pos: QPoint) -> int:
        i = (pos.y() - self._axis_h()) // self._row_h()
        return i if 0 <= i < len(self.rows) and pos.y() >= self._axis_h() else -1

    def _legend_h(self) -> int:
        return line_height(self) + 4 if self.threshold is not None else 0

    def sizeHint(self) -> QSize:
        rows = len(self.rows) * self._row_h()
        return QSize(line_height(self) * 20, self._axis_h() + rows + self._legend_h() + 4)

    def minimumSizeHint(self) -> QSize:
        return QSize(line_height(self) * 12, self.sizeHint().height())

    # --- painting ------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        mark_x, bar_x, value_x, bar_w = self._columns()
        text_c = pal.color(QPalette.ColorRole.Text)
        grid = soft(pal, text_c, 0.15)
        fm = self.fontMetrics()
        # axis: 0, 50 %, 100 % with faint grid lines
        bottom = self._axis_h() + len(self.rows) * self._row_h()
        p.setPen(dim_text(pal))
        for frac, label in ((0.0, "0"), (0.5, "50%"), (1.0, "100%")):
            x = bar_x + frac * bar_w
            w = fm.horizontalAdvance(label)
            lx = x - w / 2 if 0 < frac < 1 else (x if frac == 0 else x - w)
            p.drawText(QPointF(lx, fm.ascent() + 1), label)
        for frac in (0.0, 0.25, 0.5, 0.75, 1.0):
            x = bar_x + frac * bar_w
            p.setPen(QPen(grid, 1))
            p.drawLine(QPointF(x, self._axis_h() - 2), QPointF(x, bottom))
        kept_c = pal.color(QPalette.ColorRole.Highlight)
        chosen_c = tone(pal, 28, 200)
        cut_c = warning_color(pal)
        bold = QFont(self.font())
        bold.setBold(True)
        for i, row in enumerate(self.rows):
            r = self.row_rect(i)
            if i == self.current:
                sel = QColor(kept_c)
                sel.setAlpha(55)
                p.fillRect(r, sel)
                if self.hasFocus():
                    p.setPen(QPen(text_c, 1, Qt.PenStyle.DotLine))
                    p.drawRect(r.adjusted(0, 0, -1, -1))
            cut = row.is_cut(self.stage)
            fg = dim_text(pal) if cut else text_c
            if row.chosen:
                p.setPen(chosen_c)
                p.setFont(bold)
                p.drawText(QRect(0, r.y(), mark_x, r.height()), Qt.AlignmentFlag.AlignCenter, "▶")
            p.setFont(bold if row.chosen else self.font())
            p.setPen(fg)
            label = p.fontMetrics().elidedText(row.label, Qt.TextElideMode.ElideMiddle,
                                               bar_x - mark_x - 6)
            p.drawText(QRect(mark_x, r.y(), bar_x - mark_x - 6, r.height()),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, label)
            if cut:
                end = mark_x + p.fontMetrics().horizontalAdvance(label)
                p.drawLine(mark_x, r.center().y(), end, r.center().y())
            p.setFont(self.font())
            prob = row.shown_p(self.stage)
            bar = QRectF(bar_x, r.y() + r.height() * 0.2, max(1.0, prob * bar_w), r.height() * 0.6)
            if cut and row.cut == self.stage:  # cut by this very stage: a dashed ghost
                ghost = QColor(cut_c)
                ghost.setAlpha(40)
                p.setBrush(ghost)
                p.setPen(QPen(cut_c, 1, Qt.PenStyle.DashLine))
            elif cut:
                p.setBrush(soft(pal, text_c, 0.12))
                p.setPen(Qt.PenStyle.NoPen)
            else:
                p.setBrush(chosen_c if row.chosen else kept_c)
                p.setPen(Qt.PenStyle.NoPen)
            p.drawRect(bar)
            p.setPen(cut_c if cut and row.cut == self.stage else fg)
            value = ("✕ " if row.cut == self.stage else "– ") if cut else percent(prob)
            p.drawText(QRect(value_x, r.y(), self.width() - value_x - 2, r.height()),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, value)
        self._paint_cumulative(p, bar_x, bar_w, bottom)

    def _paint_cumulative(self, p: QPainter, bar_x: int, bar_w: int, bottom: int) -> None:
        pal = self.palette()
        if self.threshold is not None:
            x = bar_x + self.threshold * bar_w
            p.setPen(QPen(warning_color(pal), 1.5, Qt.PenStyle.DashLine))
            p.drawLine(QPointF(x, self._axis_h() - 2), QPointF(x, bottom))
            # legend under the rows: the threshold and the cumulative line
            fm = self.fontMetrics()
            base = bottom + fm.ascent() + 2
            label = self.tr("top-p {p}").format(p=f"{self.threshold:g}")
            w = fm.horizontalAdvance(label)
            lx = min(x - w / 2, self.width() - w - 2)
            p.setPen(warning_color(pal))
            p.drawText(QPointF(lx, base), label)
            if self.cumulative:
                p.setPen(tone(pal, 285, 170))
                p.drawText(QPointF(bar_x, base), self.tr("● cumulative p"))
        if not self.cumulative:
            return
        line_c = tone(pal, 285, 170)
        p.setPen(QPen(line_c, 1.5))
        p.setBrush(line_c)
        last: QPointF | None = None
        for i, row in enumerate(self.rows):
            c = self.cumulative.get(row.token)
            if c is None:
                continue
            pt = QPointF(bar_x + c * bar_w, self.row_rect(i).center().y())
            if last is not None:
                p.drawLine(last, pt)
            p.drawEllipse(pt, 2.5, 2.5)
            last = pt

    # --- interaction -----------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        i = self._row_at(event.position().toPoint())
        if i >= 0:
            self.select_row(i)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        i = self._row_at(event.position().toPoint())
        if i >= 0:
            self.select_row(i)
            self.row_activated.emit(self.rows[i].token)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key == Qt.Key.Key_Up:
            self.select_row(self.current - 1 if self.current >= 0 else 0)
        elif key == Qt.Key.Key_Down:
            self.select_row(self.current + 1)
        elif key == Qt.Key.Key_Home:
            self.select_row(0)
        elif key == Qt.Key.Key_End:
            self.select_row(len(self.rows) - 1)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.selected_token() is not None:
            self.row_activated.emit(self.rows[self.current].token)
        else:
            super().keyPressEvent(event)

    def branch_text(self, row: CandidateRow) -> str:
        return self.tr("Continue from here with “{token}”").format(token=row.label)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        i = self._row_at(event.pos())
        if i < 0 and event.reason() == QContextMenuEvent.Reason.Keyboard:
            i = self.current
        if i < 0:
            return
        self.select_row(i)
        menu = QMenu(self)
        token = self.rows[i].token
        menu.addAction(self.branch_text(self.rows[i]), lambda: self.row_activated.emit(token))
        menu.exec(event.globalPos())

    def tooltip_for(self, row: CandidateRow) -> str:
        lines = [
            self.tr("“{token}” — id {id}").format(token=row.label, id=row.token),
            self.tr("model probability {p} (rank {rank})").format(
                p=percent(row.p_model), rank=row.rank
            ),
        ]
        if row.is_cut(self.stage):
            lines.append(self.tr("cut by {stage}").format(stage=self.stage_names[row.cut]))
        else:
            lines.append(self.tr("probability at this stage {p}").format(
                p=percent(row.shown_p(self.stage))))
        if row.chosen:
            lines.append(self.tr("▶ the token the model produced"))
        lines.append(self.tr("Double-click or Enter: continue from here with this token"))
        return "\n".join(lines)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            assert isinstance(event, QHelpEvent)
            i = self._row_at(event.pos())
            if i >= 0:
                QToolTip.showText(event.globalPos(), self.tooltip_for(self.rows[i]), self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)
