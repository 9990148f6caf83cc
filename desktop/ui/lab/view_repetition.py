"""Repetition feeds itself: P(repeat) against k, without and with penalties."""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QLineEdit, QSpinBox, QWidget

from desktop.core.lab import repetition as core
from desktop.core.limits import LIMITS
from desktop.ui.lab.base import ExperimentView
from desktop.ui.lab.worker import Job


def _spin(name: str, value: float, step: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    lim = LIMITS[name]
    box.setRange(lim.low + (0.01 if lim.open_low else 0.0), lim.high)
    box.setSingleStep(step)
    box.setDecimals(2)
    box.setValue(value)
    return box


class RepetitionView(ExperimentView):
    kind = core.KIND

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sentence = QLineEdit(core.DEFAULT_SENTENCE)
        self.draw = QCheckBox(self.tr("Let the model write the sentence"))
        self.max_k = QSpinBox()
        self.max_k.setRange(1, 64)
        self.max_k.setValue(8)
        d = core.DEFAULT_PENALTIES
        self.repeat_penalty = _spin("repeat_penalty", d.repeat_penalty, 0.05)
        self.frequency_penalty = _spin("frequency_penalty", d.frequency_penalty, 0.1)
        self.presence_penalty = _spin("presence_penalty", d.presence_penalty, 0.1)
        self.last_n = QSpinBox()
        self.last_n.setRange(-1, 100_000)
        self.last_n.setValue(d.repeat_last_n)
        self.form.addRow(self.tr("Sentence:"), self.sentence)
        self.form.addRow("", self.draw)
        self.form.addRow(self.tr("Repetitions k up to:"), self.max_k)
        self.form.addRow(self.tr("Repetition penalty:"), self.repeat_penalty)
        self.form.addRow(self.tr("Frequency penalty:"), self.frequency_penalty)
        self.form.addRow(self.tr("Presence penalty:"), self.presence_penalty)
        self.form.addRow(self.tr("Penalty window (tokens, -1 = all):"), self.last_n)
        self.dry = _spin("dry_multiplier", d.dry_multiplier, 0.1)
        self.dry.setToolTip(self.tr("DRY multiplier (0 = off); base, allowed length and "
                                    "window are llama.cpp's defaults"))
        self.form.addRow(self.tr("DRY multiplier:"), self.dry)
        self.log_scale = QCheckBox(self.tr("Logarithmic scale"))
        self.form.addRow("", self.log_scale)
        self.log_scale.toggled.connect(self._redraw)
        self.plot.setLabel("bottom", self.tr("k: times the sentence is already in the context"))
        self.plot.setLabel("left", self.tr("P(the sentence again)"))
        self.plot.setYRange(0, 1)
        self.plot.addLegend()

    def title(self) -> str:
        return self.tr("Repetition feeds itself")

    def description(self) -> str:
        return self.tr(
            "After a sentence has appeared k times, how likely is the model to write it once "
            "more? The second curve applies the repetition, frequency and presence penalties "
            "and DRY to the same logits.")

    def make_job(self) -> Job:
        settings = core.DEFAULT_PENALTIES.with_(
            repeat_penalty=self.repeat_penalty.value(),
            frequency_penalty=self.frequency_penalty.value(),
            presence_penalty=self.presence_penalty.value(), repeat_last_n=self.last_n.value(),
            dry_multiplier=self.dry.value())
        sentence, draw, max_k = self.sentence.text(), self.draw.isChecked(), self.max_k.value()

        def job(engine: Any, progress: Any, cancel: Any) -> Any:
            text = core.draw_sentence(engine) if draw else sentence
            return core.run_repetition(engine, text, max_k, settings, progress, cancel)

        return job

    def show_result(self, result: Any) -> None:
        super().show_result(result)
        self.sentence.setText(result.sentence)
        self.max_k.setValue(len(result.points) - 1)
        pen = result.penalties
        self.repeat_penalty.setValue(pen["repeat_penalty"])
        self.frequency_penalty.setValue(pen["frequency_penalty"])
        self.presence_penalty.setValue(pen["presence_penalty"])
        self.last_n.setValue(pen["repeat_last_n"])
        self.dry.setValue(pen.get("dry_multiplier", 0.0))
        self._redraw()

    def _redraw(self) -> None:
        self.plot.clear()
        result = self.result
        if result is None:
            return
        log = self.log_scale.isChecked()
        self.plot.setLogMode(y=log)
        if log:
            self.plot.enableAutoRange(axis="y")
        else:
            self.plot.setYRange(0, 1)
        floor = 1e-30  # log scale: a probability that underflowed to 0 is drawn here
        ks = [p.k for p in result.points]
        for values, name, colour, symbol in (
            ([p.p_repeat for p in result.points], self.tr("raw"), "#1f77b4", "o"),
            ([p.p_repeat_penalized for p in result.points], self.tr("with penalties"),
             "#d62728", "s"),
        ):
            ys = [max(v, floor) for v in values] if log else values
            self.plot.plot(ks, ys, name=name, pen=pg.mkPen(colour, width=2), symbol=symbol,
                           symbolBrush=colour)

    def from_dict(self, data: dict[str, Any]) -> Any:
        return core.RepetitionResult.from_dict(data)
