"""What every experiment view has: its controls, a chart, and a result it shows."""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtWidgets import QFormLayout, QVBoxLayout, QWidget

from desktop.ui.lab.worker import Job

pg.setConfigOptions(antialias=True, background="w", foreground="k")


class ExperimentView(QWidget):
    """Subclasses set ``kind`` and fill ``form`` (controls) and ``body`` (chart, tables)."""

    kind = ""
    needs_model = True

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.result: Any = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.form = QFormLayout()
        layout.addLayout(self.form)
        self.plot = pg.PlotWidget()
        self.plot.setMinimumHeight(260)
        self.body = QVBoxLayout()
        self.body.addWidget(self.plot, 1)
        layout.addLayout(self.body, 1)

    def title(self) -> str:
        raise NotImplementedError

    def description(self) -> str:
        return ""

    def make_job(self) -> Job:
        """Read the controls (UI thread) and return the work (run in the worker)."""
        raise NotImplementedError

    def show_result(self, result: Any) -> None:
        self.result = result

    def from_dict(self, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def rows(self) -> list[dict[str, Any]]:
        return list(self.result.rows()) if self.result is not None else []

    def result_title(self) -> str:
        return self.title()

    def n_ctx_needed(self) -> int:
        return 0  #: 0: the Lab's context size setting
