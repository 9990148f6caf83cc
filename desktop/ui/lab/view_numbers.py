""""Random" numbers: the exact distribution over 1–100 against uniform, re-weighted by a
temperature slider from the stored values (no model needed)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QLabel, QLineEdit, QSlider, QSpinBox, QWidget

from desktop.core.lab import numbers as core
from desktop.ui.lab.base import ExperimentView
from desktop.ui.lab.worker import Job


class NumbersView(ExperimentView):
    kind = core.KIND

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # the default prompt in the UI language (its zh_CN translation is PROMPTS["zh"])
        self.prompt = QLineEdit(self.tr(
            "Pick a random number between 1 and 100. Answer with the number only."))
        self.samples = QSpinBox()
        self.samples.setRange(0, 10_000)
        self.samples.setValue(0)
        self.temperature = QSlider(Qt.Orientation.Horizontal)
        self.temperature.setRange(1, len(core.TEMPERATURES))  # index + 1 into the grid
        self.temperature.setValue(core.TEMPERATURES.index(1.0) + 1)
        self.t_label = QLabel()
        self.form.addRow(self.tr("Prompt:"), self.prompt)
        self.form.addRow(self.tr("Real samples to overlay:"), self.samples)
        self.form.addRow(self.t_label, self.temperature)
        self.lenient = QCheckBox(self.tr(
            "Also count a number followed by more text (e.g. \"1.\" opening a list)"))
        self.form.addRow("", self.lenient)
        self.lenient.toggled.connect(self._redraw)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body.addWidget(self.summary)
        self.plot.setLabel("bottom", self.tr("answer"))
        self.plot.setLabel("left", self.tr("probability (of a well-formed answer)"))
        self.plot.addLegend()
        self.temperature.valueChanged.connect(self._redraw)
        self._update_t_label()

    def title(self) -> str:
        return self.tr('"Random" numbers')

    def description(self) -> str:
        return self.tr(
            "The model's exact probability of every answer 1–100 (a tree of next-token "
            "probabilities, not sampling), against uniform. The temperature slider "
            "re-weights instantly from the stored values.")

    def t(self) -> float:
        return core.TEMPERATURES[self.temperature.value() - 1]

    def _update_t_label(self) -> None:
        self.t_label.setText(self.tr("Temperature: {t:.2f}").format(t=self.t()))

    def make_job(self) -> Job:
        prompt, samples, t = self.prompt.text().strip() or None, self.samples.value(), self.t()
        return lambda engine, progress, cancel: core.run_numbers(
            engine, prompt, samples=samples, temperature=t, progress=progress, cancel=cancel)

    def show_result(self, result: Any) -> None:
        super().show_result(result)
        self.prompt.setText(result.prompt)
        self._redraw()

    def rows(self) -> list[dict[str, Any]]:
        if self.result is None:
            return []
        return list(self.result.rows(self.t(), not self.lenient.isChecked()))

    def _redraw(self) -> None:
        self._update_t_label()
        r = self.result
        self.plot.clear()
        if r is None:
            return
        t, strict = self.t(), not self.lenient.isChecked()
        dist = r.distribution(t, strict)
        mass = sum(dist.values()) or 1.0
        xs = np.arange(core.LOW, core.HIGH + 1)
        p = np.array([dist[int(n)] / mass for n in xs])
        self.plot.addItem(pg.BarGraphItem(x=xs, height=p, width=0.8, brush="#1f77b4",
                                          name=self.tr("model")))
        uniform = 1.0 / len(xs)
        self.plot.plot([xs[0] - 0.5, xs[-1] + 0.5], [uniform, uniform],
                       pen=pg.mkPen("#888", width=1, style=Qt.PenStyle.DashLine),
                       name=self.tr("uniform"))
        if r.samples:
            share = core.sample_share(r.samples, strict)
            f = np.array([share.get(int(n), 0.0) for n in xs])
            keep = f > 0
            self.plot.plot(xs[keep], f[keep], pen=None, symbol="o", symbolBrush="#d62728",
                           name=self.tr("samples (T = {t:g})").format(t=r.sample_temperature))
        s = r.summary(t, strict)
        top = ", ".join(f"{x['n']} ({x['p']:.1%})" for x in s["top5"])
        self.summary.setText(self.tr(
            "Entropy {h:.2f} bits (uniform: {u:.2f}). Top five: {top}. A well-formed answer "
            "has probability {m:.1%}; the chart shows P(n) among those.").format(
                h=s["entropy_bits"], u=s["uniform_bits"], top=top, m=s["mass"]))

    def from_dict(self, data: dict[str, Any]) -> Any:
        return core.NumbersResult.from_dict(data)
