"""The key to heat mode's colours, shown above the chat while heat mode is on."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QLinearGradient, QPainter, QPaintEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from desktop.ui.heat import entropy_color, prob_color


class GradientBar(QWidget):
    """The colour scale, least sure on the left."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scale = "probability"  # not "metric": that would shadow QWidget.metric()
        self.setMinimumWidth(120)
        self.setFixedHeight(12)

    def sizeHint(self) -> QSize:
        return QSize(200, 12)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        grad = QLinearGradient(rect.topLeft(), rect.topRight())
        for i in range(11):
            t = i / 10
            color = entropy_color(8.0 * (1 - t)) if self.scale == "entropy" else prob_color(t)
            grad.setColorAt(t, color)
        p.setBrush(grad)
        p.setPen(self.palette().mid().color())
        p.drawRoundedRect(rect, 3, 3)


class HeatLegend(QWidget):
    """"Colour by [probability ▾]  unsure ▬▬▬▬ sure" with a hint."""

    metric_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("heatLegend")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(16, 6, 16, 2)
        self.title = QLabel(self.tr("Colour by"), self)
        self.metric_box = QComboBox(self)
        self.metric_box.addItem(self.tr("probability"), "probability")
        self.metric_box.addItem(self.tr("entropy"), "entropy")
        self.metric_box.setToolTip(
            self.tr(
                "Probability: how likely the model thought the chosen token was.\n"
                "Entropy: how spread out its choices were at that step (in bits)."
            )
        )
        self.low = QLabel(self)
        self.bar = GradientBar(self)
        self.high = QLabel(self)
        self.hint = QLabel(self.tr("Hover a token for details; click it to inspect."), self)
        self.hint.setObjectName("heatHint")
        layout.addWidget(self.title)
        layout.addWidget(self.metric_box)
        layout.addSpacing(12)
        layout.addWidget(self.low)
        layout.addWidget(self.bar, 1)
        layout.addWidget(self.high)
        layout.addSpacing(12)
        layout.addWidget(self.hint, 0, Qt.AlignmentFlag.AlignRight)
        self.metric_box.currentIndexChanged.connect(self._on_metric)
        self.set_metric("probability")

    def set_metric(self, metric: str) -> None:
        index = self.metric_box.findData(metric)
        if index >= 0 and index != self.metric_box.currentIndex():
            self.metric_box.setCurrentIndex(index)
        self.bar.scale = metric
        if metric == "entropy":
            self.low.setText(self.tr("8+ bits (spread out)"))
            self.high.setText(self.tr("0 bits (certain)"))
        else:
            self.low.setText(self.tr("0% (unsure)"))
            self.high.setText(self.tr("100% (sure)"))
        self.bar.update()

    def _on_metric(self) -> None:
        metric = str(self.metric_box.currentData())
        self.set_metric(metric)
        self.metric_changed.emit(metric)
