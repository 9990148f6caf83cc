"""Needle in a haystack: a heatmap of P(answer) over haystack length × needle depth."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget

from desktop.core.lab import common
from desktop.core.lab import needle as core
from desktop.core.limits import SettingsError
from desktop.ui.lab.base import ExperimentView
from desktop.ui.lab.worker import Job


def parse_list(name: str, text: str) -> list[float]:
    """Comma-separated lab values; raises ``SettingsError`` saying what is allowed."""
    return [common.parse(name, p.strip()) for p in text.split(",") if p.strip()]


class NeedleView(ExperimentView):
    kind = core.KIND

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lengths = QLineEdit()
        self.lengths.setPlaceholderText(
            self.tr("automatic: 256, 512, 1024, 2048 (those that fit the context)"))
        self.depths = QLineEdit(", ".join(f"{d:g}" for d in core.DEFAULT_DEPTHS))
        self.lang = QComboBox()
        self.lang.addItem(self.tr("English"), "en")
        self.lang.addItem(self.tr("Chinese"), "zh")
        self.form.addRow(self.tr("Haystack lengths (tokens):"), self.lengths)
        self.form.addRow(self.tr("Needle depths (%):"), self.depths)
        self.form.addRow(self.tr("Language:"), self.lang)
        self.image = pg.ImageItem()
        self.plot.addItem(self.image)
        self.plot.setLabel("bottom", self.tr("haystack length (tokens)"))
        self.plot.setLabel("left", self.tr("needle depth (%)"))
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.invertY(True)
        self.colorbar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=pg.colormap.get("viridis"),
                                        interactive=False, label=self.tr("P(answer)"))
        self.colorbar.setImageItem(self.image, insert_in=self.plot.getPlotItem())
        self._labels: list[pg.TextItem] = []

    def title(self) -> str:
        return self.tr("Needle in a haystack")

    def description(self) -> str:
        return self.tr(
            "A fact is hidden at a depth inside filler text of a given length, then the "
            "model is asked for it. Each cell: the probability of the right answer "
            "(✓: greedy decoding writes it).")

    def make_job(self) -> Job:
        lengths = [int(x) for x in parse_list("length", self.lengths.text())] or None
        depths = parse_list("depth", self.depths.text()) or None
        if depths is None:
            raise SettingsError(self.tr("Give at least one depth."))
        lang = self.lang.currentData()
        return lambda engine, progress, cancel: core.run_needle(
            engine, lengths, depths, lang, progress, cancel)

    def show_result(self, result: Any) -> None:
        super().show_result(result)
        grid = np.array(result.grid(), dtype=np.float64)  # depths × lengths
        img = np.nan_to_num(grid, nan=0.0).T  # ImageItem: x first
        self.image.setImage(img, levels=(0.0, 1.0))
        for item in self._labels:
            self.plot.removeItem(item)
        self._labels = []
        for i, d in enumerate(result.depths):
            for j, L in enumerate(result.lengths):
                p = grid[i, j]
                if math.isnan(p):
                    continue
                mark = " ✓" if result.cell(L, d).greedy else ""
                label = pg.TextItem(f"{p:.2f}{mark}", color="w" if p < 0.6 else "k",
                                    anchor=(0.5, 0.5))
                label.setPos(j + 0.5, i + 0.5)
                self.plot.addItem(label)
                self._labels.append(label)
        self.plot.getAxis("bottom").setTicks(
            [[(j + 0.5, str(L)) for j, L in enumerate(result.lengths)]])
        self.plot.getAxis("left").setTicks(
            [[(i + 0.5, f"{d:g}") for i, d in enumerate(result.depths)]])
        self.plot.setXRange(0, len(result.lengths), padding=0)
        self.plot.setYRange(0, len(result.depths), padding=0)

    def from_dict(self, data: dict[str, Any]) -> Any:
        return core.NeedleResult.from_dict(data)
