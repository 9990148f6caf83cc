"""The Lenses window: Step mode, Score and Compare views, and the saved results.

One per main window (``lenses_window``), opened from the Lenses menu. It works on the main
window's parts — the state (the loaded model, the open conversation), the history (the
store) and the worker threads — and adds nothing to ``MainWindow`` itself.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.core.compare import CompareResult
from desktop.core.conversation import Node
from desktop.core.scoring import ScoreResult
from desktop.ui.lenses.common import Lenses
from desktop.ui.lenses.compare_view import CompareView
from desktop.ui.lenses.score_view import ScoreView
from desktop.ui.lenses.step_view import StepView

VIEWS = ("step", "score", "compare", "saved")


class LensesWindow(QMainWindow):
    def __init__(self, main: Any) -> None:
        super().__init__(main)
        self.setWindowFlag(Qt.WindowType.Window)
        self.main = main
        self.setWindowTitle(self.tr("Lenses — Tokenscope"))
        self.lenses = Lenses(main.state, main.history, main.threads)
        self.step = StepView(self.lenses)
        self.score = ScoreView(self.lenses)
        self.compare = CompareView(self.lenses)
        self.saved = QWidget()
        self.saved_list = QListWidget()
        self.open_button = QPushButton(self.tr("Open"))
        self.export_button = QPushButton(self.tr("Export JSON…"))
        self.delete_button = QPushButton(self.tr("Delete"))
        sbox = QVBoxLayout(self.saved)
        sbox.addWidget(self.saved_list, 1)
        row = QHBoxLayout()
        for b in (self.open_button, self.export_button, self.delete_button):
            row.addWidget(b)
        row.addStretch(1)
        sbox.addLayout(row)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.step, self.tr("Step mode"))
        self.tabs.addTab(self.score, self.tr("Score a text"))
        self.tabs.addTab(self.compare, self.tr("Compare two models"))
        self.tabs.addTab(self.saved, self.tr("Saved results"))
        self.setCentralWidget(self.tabs)
        self.resize(1100, 760)

        state = main.state
        for view in (self.score, self.compare):
            state.conversation_changed.connect(lambda _c, v=view: v.refresh_sources())
            state.path_changed.connect(view.refresh_sources)
            state.reply_done.connect(view.refresh_sources)
        state.engine_changed.connect(self._engine_changed)
        self.step.kept.connect(self._keep)
        self.tabs.currentChanged.connect(self._tab_changed)
        self.saved_list.itemDoubleClicked.connect(lambda _i: self.open_saved())
        self.open_button.clicked.connect(self.open_saved)
        self.export_button.clicked.connect(self.export_saved)
        self.delete_button.clicked.connect(self.delete_saved)

    def _tab_changed(self, index: int) -> None:
        if index == VIEWS.index("saved"):
            self.refresh_saved()

    def show_view(self, name: str) -> None:
        self.tabs.setCurrentIndex(VIEWS.index(name))
        self.show()
        self.raise_()
        self.activateWindow()

    def _engine_changed(self, _engine: object) -> None:
        self.step.stepper = None
        self.step._update()
        self.compare.close_model()

    # --- keeping a stepped reply --------------------------------------------------------

    def _keep(self, node: Node) -> None:
        """Save the new branch with its conversation and show it in the chat."""
        from desktop.core.store import ReplyWriter

        state, history = self.main.state, self.main.history
        engine = state.engine
        store = history.writable_store()
        conv = state.current
        if store is not None and engine is not None:
            writer = ReplyWriter(store, conv, node, engine.piece, engine.is_special)
            writer.finish()
            if writer.error is not None:
                history.save_failed(conv, writer.error)
            else:
                history.remember(conv)
            self.main.vocab.reread()
        conv.select(node.id)
        state.show_path()
        state.reply_done.emit()

    # --- saved results ------------------------------------------------------------------

    def _store(self) -> Any:
        return self.main.history.store

    def refresh_saved(self) -> None:
        from desktop.core.results import list_results

        self.saved_list.clear()
        store = self._store()
        if store is None:
            return
        for r in list_results(store, "score") + list_results(store, "compare"):
            kind = self.tr("Score") if r.kind == "score" else self.tr("Comparison")
            item = QListWidgetItem(f"{kind} · {r.model} · {r.title}")
            item.setData(Qt.ItemDataRole.UserRole, r.id)
            self.saved_list.addItem(item)

    def _selected(self) -> tuple[int, str, dict[str, Any]] | None:
        from desktop.core.results import load_result

        item = self.saved_list.currentItem()
        store = self._store()
        if item is None or store is None:
            return None
        summary, data = load_result(store, int(item.data(Qt.ItemDataRole.UserRole)))
        return summary.id, summary.kind, data

    def open_saved(self) -> None:
        """Show the selected saved result in its view (no model needed)."""
        sel = self._selected()
        if sel is None:
            return
        _rid, kind, data = sel
        if kind == "score":
            self.score.show_result(ScoreResult.from_json(data))
            self.tabs.setCurrentWidget(self.score)
        else:
            self.compare.show_result(CompareResult.from_json(data))
            self.tabs.setCurrentWidget(self.compare)

    def export_saved(self, path: Path | None = None) -> None:
        sel = self._selected()
        if sel is None:
            return
        rid, kind, data = sel
        if path is None:
            name, _ = QFileDialog.getSaveFileName(self, self.tr("Export result"),
                                                  f"{kind}-{rid}.json", "JSON (*.json)")
            if not name:
                return
            path = Path(name)
        path.write_text(json.dumps({"kind": kind, **data}, ensure_ascii=False, indent=1),
                        encoding="utf-8")

    def delete_saved(self) -> None:
        from desktop.core.results import delete_result

        sel = self._selected()
        store = self.main.history.writable_store()
        if sel is not None and store is not None:
            delete_result(store, sel[0])
            self.refresh_saved()


def lenses_window(main: Any) -> LensesWindow:
    """The main window's Lenses window (made on first use)."""
    win = getattr(main, "_lenses_window", None)
    if win is None:
        win = LensesWindow(main)
        main._lenses_window = win
    return win
