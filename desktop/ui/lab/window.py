"""The Lab window: the experiments on the left, the chosen one's view on the right, a run
bar (context size, Run, Cancel, progress with ETA, Export) and the saved results.

It takes what it needs from the app in its constructor — a function giving the loaded
model's path, and the store — and loads its own engine for that model (see
``worker.EngineHolder``), so experiments never disturb the chat.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.core.errors import TokenscopeError
from desktop.core.lab.common import ProgressInfo, format_eta, to_csv
from desktop.core.results import delete_result, list_results, load_result, save_result
from desktop.core.store import Store
from desktop.ui.lab.base import ExperimentView
from desktop.ui.lab.view_needle import NeedleView
from desktop.ui.lab.view_numbers import NumbersView
from desktop.ui.lab.view_repetition import RepetitionView
from desktop.ui.lab.view_tokenizers import TokenizersView
from desktop.ui.lab.worker import EngineHolder, LabWorker
from desktop.ui.worker import Threads

ModelPath = Callable[[], Path | None]


class LabWindow(QMainWindow):
    def __init__(self, model_path: ModelPath, store: Store | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Lab — Tokenscope"))
        self.resize(1100, 760)
        self.model_path = model_path
        self.store = store  #: None: the store is not open; results are not saved
        self.holder = EngineHolder()
        self.threads = Threads(self)
        self.worker: LabWorker | None = None
        self._running_view: ExperimentView | None = None
        self.views: list[ExperimentView] = [NeedleView(), NumbersView(), RepetitionView(),
                                            TokenizersView()]
        # left: experiments and saved results
        self.experiments = QListWidget()
        for v in self.views:
            self.experiments.addItem(v.title())
        self.saved = QListWidget()
        self.delete_button = QPushButton(self.tr("Delete"))
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.addWidget(QLabel(self.tr("Experiments")))
        lv.addWidget(self.experiments)
        lv.addWidget(QLabel(self.tr("Saved results")))
        lv.addWidget(self.saved, 1)
        lv.addWidget(self.delete_button)
        # right: description, view, run bar
        self.heading = QLabel()
        self.heading.setWordWrap(True)
        self.stack = QStackedWidget()
        for v in self.views:
            self.stack.addWidget(v)
        self.n_ctx = QSpinBox()
        self.n_ctx.setRange(256, 131_072)
        self.n_ctx.setSingleStep(512)
        self.n_ctx.setValue(4096)
        self.n_ctx.setToolTip(self.tr("The Lab's own context window, in tokens"))
        self.run_button = QPushButton(self.tr("Run"))
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setEnabled(False)
        self.export_button = QPushButton(self.tr("Export…"))
        self.export_button.setEnabled(False)
        self.bar = QProgressBar()
        self.eta = QLabel()
        self.message = QLabel()
        self.message.setWordWrap(True)
        run = QHBoxLayout()
        run.addWidget(QLabel(self.tr("Context:")))
        run.addWidget(self.n_ctx)
        run.addWidget(self.run_button)
        run.addWidget(self.cancel_button)
        run.addWidget(self.bar, 1)
        run.addWidget(self.eta)
        run.addWidget(self.export_button)
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.addWidget(self.heading)
        rv.addWidget(self.stack, 1)
        rv.addLayout(run)
        rv.addWidget(self.message)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setSizes([240, 860])
        self.setCentralWidget(split)
        self.experiments.currentRowChanged.connect(self._choose)
        self.saved.itemActivated.connect(self._open_saved)
        self.saved.itemClicked.connect(self._open_saved)
        self.delete_button.clicked.connect(self._delete_saved)
        self.run_button.clicked.connect(self.run_current)
        self.cancel_button.clicked.connect(self.cancel)
        self.export_button.clicked.connect(self._export_dialog)
        self.experiments.setCurrentRow(0)
        self.refresh_saved()

    # --- choosing -------------------------------------------------------------------

    @property
    def view(self) -> ExperimentView:
        return self.views[self.stack.currentIndex()]

    def _choose(self, row: int) -> None:
        if row < 0:
            return
        self.stack.setCurrentIndex(row)
        v = self.views[row]
        self.heading.setText(f"<b>{v.title()}</b><br>{v.description()}")
        self.export_button.setEnabled(v.result is not None)

    # --- running --------------------------------------------------------------------

    def running(self) -> bool:
        return self.threads.busy()

    def run_current(self) -> None:
        if self.running():
            return
        view = self.view
        model = self.model_path()
        if view.needs_model and model is None:
            self._say(self.tr("Load a model file first (File › Open model…): the Lab runs on "
                              "it (a remote server does not give the logits it needs)."))
            return
        try:
            job = view.make_job()
        except TokenscopeError as exc:
            self._say(str(exc))
            return
        worker = LabWorker(job, self.holder, model, self.n_ctx.value())
        # bound methods of this window: queued to the UI thread (a lambda would run in the
        # worker's thread)
        worker.loading.connect(self._loading)
        worker.progress.connect(self._progress)
        worker.succeeded.connect(self._succeeded)
        worker.cancelled.connect(self._cancelled)
        worker.failed.connect(self._say)
        worker.done.connect(self._done)
        self.worker = worker
        self._running_view = view
        self.bar.setRange(0, 0)  # busy until the first progress report
        self.eta.clear()
        self._set_running(True)
        self._say(self.tr("Running…"))
        self.threads.start(worker, "lab")

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel.set()
            self._say(self.tr("Cancelling…"))

    def _set_running(self, on: bool) -> None:
        self.run_button.setEnabled(not on)
        self.cancel_button.setEnabled(on)
        self.experiments.setEnabled(not on)
        self.n_ctx.setEnabled(not on)

    @Slot(object)
    def _progress(self, info: ProgressInfo) -> None:
        self.bar.setRange(0, max(1, info.total))
        self.bar.setValue(info.done)
        self.eta.setText(self.tr("ETA {eta}").format(eta=format_eta(info.eta)))
        self._say(self.tr("Running… {done} of {total}").format(done=info.done, total=info.total))

    @Slot()
    def _loading(self) -> None:
        self._say(self.tr("Loading the model for the Lab…"))

    @Slot()
    def _cancelled(self) -> None:
        self._say(self.tr("Cancelled; nothing was saved."))

    @Slot(object)
    def _succeeded(self, result: Any) -> None:
        view = self._running_view
        assert view is not None
        view.show_result(result)
        self.export_button.setEnabled(True)
        if self.store is None:
            self._say(self.tr("Done, but not saved: the store is not open."))
            return
        try:
            save_result(self.store, view.kind, result.to_dict(), title=view.result_title(),
                        model=result.model)
        except TokenscopeError as exc:
            self._say(self.tr("Done, but not saved: {error}").format(error=exc))
            return
        self.refresh_saved()
        seconds = getattr(result, "seconds", 0.0)
        self._say(self.tr("Done in {s:.1f} s and saved.").format(s=seconds))

    @Slot()
    def _done(self) -> None:
        self.worker = None
        self._set_running(False)
        if self.bar.maximum() == 0:
            self.bar.setRange(0, 1)
        self.eta.clear()

    @Slot(str)
    def _say(self, text: str) -> None:
        self.message.setText(text)

    # --- saved results ----------------------------------------------------------------

    def refresh_saved(self) -> None:
        self.saved.clear()
        if self.store is None:
            return
        titles = {v.kind: v.title() for v in self.views}
        for r in list_results(self.store, "lab."):
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(r.created))
            item = QListWidgetItem(f"{titles.get(r.kind, r.kind)} · {r.model}\n{when}")
            item.setData(Qt.ItemDataRole.UserRole, r.id)
            self.saved.addItem(item)

    def open_result(self, result_id: int) -> None:
        if self.store is None:
            return
        summary, data = load_result(self.store, result_id)
        for i, v in enumerate(self.views):
            if v.kind == summary.kind:
                v.show_result(v.from_dict(data))
                self.experiments.setCurrentRow(i)
                self.export_button.setEnabled(True)
                return
        self._say(self.tr("This result is of a kind this version cannot show."))

    def _open_saved(self, item: QListWidgetItem) -> None:
        if not self.running():
            self.open_result(int(item.data(Qt.ItemDataRole.UserRole)))

    def _delete_saved(self) -> None:
        item = self.saved.currentItem()
        if item is not None and self.store is not None:
            delete_result(self.store, int(item.data(Qt.ItemDataRole.UserRole)))
            self.refresh_saved()

    # --- export ---------------------------------------------------------------------

    def export(self, path: str | Path) -> None:
        """Write the shown result: ``.csv`` (its rows), ``.json`` (all of it) or ``.png``
        (the chart), by the file's suffix."""
        path = Path(path)
        view = self.view
        if view.result is None:
            raise TokenscopeError(self.tr("Run the experiment or open a saved result first."))
        suffix = path.suffix.lower()
        if suffix == ".png":
            if not view.plot.grab().save(str(path)):
                raise TokenscopeError(self.tr("Could not write {path}.").format(path=path))
            return
        text = (to_csv(view.rows()) if suffix == ".csv"
                else json.dumps(view.result.to_dict(), ensure_ascii=False, indent=1))
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise TokenscopeError(self.tr("Could not write {path}: {error}").format(
                path=path, error=exc)) from exc

    def _export_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export result"), "",
            self.tr("CSV table (*.csv);;JSON (*.json);;Chart image (*.png)"))
        if path:
            try:
                self.export(path)
                self._say(self.tr("Exported to {path}").format(path=path))
            except TokenscopeError as exc:
                self._say(str(exc))

    def closeEvent(self, event: QCloseEvent) -> None:
        self.cancel()
        self.threads.wait_all()
        self.holder.close()
        super().closeEvent(event)
