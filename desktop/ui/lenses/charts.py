"""Charts of the lenses (pyqtgraph), each exportable as PNG and as CSV/JSON of its numbers."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyqtgraph as pg
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class ChartBox(QWidget):
    """A titled pyqtgraph plot with an Export menu (PNG image, CSV or JSON numbers).

    ``set_bars`` and ``set_series`` draw; the numbers drawn are kept as ``rows`` (a list of
    dicts with the columns ``columns``) for the export."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        pg.setConfigOptions(antialias=True, background="w", foreground="k")
        self.title = QLabel(f"<b>{title}</b>")
        self.plot = pg.PlotWidget()
        self.plot.setMinimumHeight(150)
        self.plot.setMenuEnabled(False)
        self.plot.showGrid(x=False, y=True, alpha=0.2)
        self.export_button = QPushButton(self.tr("Export…"))
        menu = QMenu(self.export_button)
        menu.addAction(self.tr("Image (PNG)…"), lambda: self._ask("png"))
        menu.addAction(self.tr("Numbers (CSV)…"), lambda: self._ask("csv"))
        menu.addAction(self.tr("Numbers (JSON)…"), lambda: self._ask("json"))
        self.export_button.setMenu(menu)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.export_button)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(top)
        box.addWidget(self.plot, 1)
        self.columns: list[str] = []
        self.rows: list[dict[str, Any]] = []

    def clear(self) -> None:
        self.plot.clear()
        self.rows = []

    def set_bars(self, labels: Sequence[str], values: Sequence[float],
                 colours: Sequence[QColor] | None = None, y_label: str = "") -> None:
        """One bar per label (a categorical x axis)."""
        self.plot.clear()
        brushes = [pg.mkBrush(c) for c in colours] if colours else None
        item = pg.BarGraphItem(x=list(range(len(values))), height=list(values), width=0.7,
                               brushes=brushes, brush=None if brushes else pg.mkBrush("#4a90d9"))
        self.plot.addItem(item)
        self.plot.getAxis("bottom").setTicks([list(enumerate(labels))])
        self.plot.setLabel("left", y_label)
        self.columns = ["label", "value"]
        self.rows = [{"label": k, "value": v} for k, v in zip(labels, values)]

    def set_series(self, ys: Sequence[float], labels: Sequence[str], y_label: str,
                   x_label: str, colour: str = "#d9534f", bars: bool = True) -> None:
        """One value per token, in text order (bars, or a line)."""
        self.plot.clear()
        xs = list(range(len(ys)))
        if bars:
            self.plot.addItem(pg.BarGraphItem(x=xs, height=list(ys), width=0.8,
                                              brush=pg.mkBrush(colour)))
        else:
            self.plot.plot(xs, list(ys), pen=pg.mkPen(colour, width=2))
        self.plot.getAxis("bottom").setTicks(None)
        self.plot.setLabel("left", y_label)
        self.plot.setLabel("bottom", x_label)
        self.columns = ["index", "token", "value"]
        self.rows = [{"index": i, "token": t, "value": v}
                     for i, (t, v) in enumerate(zip(labels, ys))]

    # --- export ----------------------------------------------------------------------

    def _ask(self, kind: str) -> None:
        filters = {"png": self.tr("PNG image (*.png)"), "csv": self.tr("CSV (*.csv)"),
                   "json": self.tr("JSON (*.json)")}
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Export chart"), f"chart.{kind}",
                                              filters[kind])
        if path:
            self.export(Path(path), kind)

    def export(self, path: Path, kind: str | None = None) -> Path:
        """Write the chart as ``kind`` ("png", "csv", "json"; default: by the suffix)."""
        kind = kind or path.suffix.lstrip(".").lower()
        if kind == "png":
            self.plot.grab().save(str(path), "PNG")
        elif kind == "csv":
            with open(path, "w", newline="", encoding="utf-8") as f:
                w = csv.DictWriter(f, fieldnames=self.columns)
                w.writeheader()
                w.writerows(self.rows)
        else:
            path.write_text(json.dumps(self.rows, ensure_ascii=False, indent=1),
                            encoding="utf-8")
        return path
