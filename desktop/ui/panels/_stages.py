"""The inspector's stage strip: a segmented control with one chip per sampling stage and
its candidate count. The chips share one row when the dock is wide enough for their names,
and wrap into even rows when it is not (a larger font, a longer translation, more stages)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QPoint, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QFont,
    QFontMetrics,
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QResizeEvent,
)
from PySide6.QtWidgets import QToolTip, QWidget

from ._common import dim_text, line_height


class StageStrip(QWidget):
    """A segmented control: one segment per sampling stage with its candidate count."""

    stage_selected = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName(self.tr("Sampling stage"))
        self._names: list[str] = []
        self._counts: list[int] = []
        self._tips: list[str] = []
        self._active: list[bool] = []
        self._current = 0
        policy = self.sizePolicy()
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    def set_stages(
        self, names: Sequence[str], counts: Sequence[int], tips: Sequence[str],
        active: Sequence[bool],
    ) -> None:
        self._names, self._counts = list(names), list(counts)
        self._tips, self._active = list(tips), list(active)
        self._current = min(self._current, max(0, len(names) - 1))
        self.setAccessibleDescription(", ".join(f"{n} {c}" for n, c in zip(names, counts,
                                                                         strict=True)))
        self.updateGeometry()
        self.update()

    @property
    def counts(self) -> list[int]:
        return list(self._counts)

    @property
    def titles(self) -> list[str]:
        """The stage titles shown, in order."""
        return list(self._names)

    def current(self) -> int:
        return self._current

    def set_current(self, i: int) -> None:
        if not self._names:  # before the stages are known: remembered for set_stages
            self._current = max(0, i)
            return
        i = max(0, min(len(self._names) - 1, i))
        if i != self._current:
            self._current = i
            self.update()
            self.stage_selected.emit(i)

    # --- layout: one row of chips, or more when the panel is too narrow for one ------------

    def _chip_width(self) -> int:
        """The width a chip needs for its stage name and its count, unabridged."""
        small, bold = self._fonts()
        fs, fb = QFontMetrics(small), QFontMetrics(bold)
        text = max((fs.horizontalAdvance(s) for s in self._names), default=40)
        digits = max((fb.horizontalAdvance(str(c)) for c in self._counts), default=0)
        return max(text, digits) + self.fontMetrics().averageCharWidth()

    def _row_height(self) -> int:
        return round(line_height(self) * 2.4)

    def _grid(self, width: int) -> tuple[int, int]:
        """(rows, columns) at ``width``: one row if every chip fits, else as few rows as
        can hold them, filled as evenly as can be (7 chips: 4 + 3, or 3 + 2 + 2)."""
        n = max(1, len(self._names))
        fit = max(1, min(n, width // max(1, self._chip_width())))
        rows = -(-n // fit)
        return rows, -(-n // rows)

    def _cell(self, i: int, width: int) -> tuple[int, int]:
        """Chip ``i``'s (row, column): the first rows hold one chip more than the rest."""
        rows, cols = self._grid(width)
        full = max(1, len(self._names)) - rows * (cols - 1)  # rows with ``cols`` chips
        if i < full * cols:
            return divmod(i, cols)
        row, col = divmod(i - full * cols, cols - 1)
        return full + row, col

    def _segment(self, i: int) -> QRect:
        _, cols = self._grid(self.width())
        row, col = self._cell(i, self.width())
        h = self._row_height()
        x0, x1 = round(col * self.width() / cols), round((col + 1) * self.width() / cols)
        return QRect(x0, row * h, x1 - x0, h)

    def _index_at(self, pos: QPoint) -> int:
        segments = [self._segment(i) for i in range(len(self._names))]
        hit = next((i for i, r in enumerate(segments) if r.contains(pos)), None)
        if hit is not None:
            return hit
        # beside every chip (e.g. right of a shorter last row): the nearest one
        def distance(r: QRect) -> int:
            return (abs(r.center().x() - pos.x()) + 4 * abs(r.center().y() - pos.y()))
        return min(range(len(segments)), key=lambda i: distance(segments[i]), default=0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._grid(width)[0] * self._row_height()

    def sizeHint(self) -> QSize:
        return QSize(self._chip_width() * max(1, len(self._names)), self._row_height())

    def minimumSizeHint(self) -> QSize:
        return QSize(self._chip_width(), self._row_height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.height() != self.heightForWidth(self.width()):
            self.updateGeometry()  # another number of rows: the layout asks again

    def _fonts(self) -> tuple[QFont, QFont]:
        small, bold = QFont(self.font()), QFont(self.font())
        small.setPointSizeF(max(6.0, self.font().pointSizeF() * 0.85))
        bold.setBold(True)
        return small, bold

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        pal = self.palette()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        small, bold = self._fonts()
        lh = line_height(self)
        for i, name in enumerate(self._names):
            r = self._segment(i).adjusted(1, 1, -1, -1)
            selected = i == self._current
            bg = pal.color(QPalette.ColorRole.Highlight if selected else QPalette.ColorRole.Button)
            fg = pal.color(
                QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.ButtonText
            )
            p.setPen(QPen(pal.color(QPalette.ColorRole.Mid), 1))
            p.setBrush(bg)
            p.drawRoundedRect(QRectF(r), 3, 3)
            if not self._active[i] and not selected:
                fg = dim_text(pal)
            p.setPen(fg)
            p.setFont(small)
            top = QRect(r.x(), r.y() + lh // 6, r.width(), r.height() // 2)
            text = p.fontMetrics().elidedText(name, Qt.TextElideMode.ElideRight, r.width() - 2)
            p.drawText(top, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter, text)
            p.setFont(bold)
            bottom = QRect(r.x(), r.center().y(), r.width(), r.height() // 2)
            p.drawText(bottom, Qt.AlignmentFlag.AlignCenter, str(self._counts[i]))
            if selected and self.hasFocus():
                p.setPen(QPen(fg, 1, Qt.PenStyle.DotLine))
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawRoundedRect(QRectF(r.adjusted(2, 2, -2, -2)), 2, 2)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self._names and event.button() == Qt.MouseButton.LeftButton:
            self.set_current(self._index_at(event.position().toPoint()))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        step = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1}.get(Qt.Key(event.key()))
        if step:
            self.set_current(self._current + step)
        elif event.key() == Qt.Key.Key_Home:
            self.set_current(0)
        elif event.key() == Qt.Key.Key_End:
            self.set_current(len(self._names) - 1)
        else:
            super().keyPressEvent(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and self._names:
            assert isinstance(event, QHelpEvent)
            QToolTip.showText(event.globalPos(), self._tips[self._index_at(event.pos())], self)
            return True
        return super().event(event)
