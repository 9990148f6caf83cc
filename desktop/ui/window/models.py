"""The models controller: open a model file, the Models window, load a model in a thread
(after the llama.cpp crash probe), get the starter model, and give the model back.

It drives the first-run page (its own view) and tells everyone else through the state:
``state.set_loading`` while a model loads, ``state.set_engine`` once it is ready.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from desktop.core.engine import Engine
from desktop.core.errors import TemplateError
from desktop.core.session import ChatSession
from desktop.ui.chat_format_picker import chat_format_for
from desktop.ui.settings_store import SettingsStore
from desktop.ui.window.chat_page import CentralStack
from desktop.ui.window.history import History
from desktop.ui.window.state import AppState
from desktop.ui.window.vocab import Vocabularies
from desktop.ui.worker import TaskWorker, Threads, load_engine

log = logging.getLogger(__name__)


class Models(QObject):
    """Loads and unloads the window's model."""

    def __init__(self, state: AppState, history: History, vocab: Vocabularies,
                 settings: SettingsStore, threads: Threads, page: CentralStack,
                 parent: QWidget, probe_build: bool = True) -> None:
        super().__init__(parent)
        self.state = state
        self.history = history
        self.vocab = vocab
        self.settings = settings
        self.threads = threads
        self.page = page
        self.parent_widget = parent
        self.probe_build = probe_build
        self.dialog: Any = None  # the Models window, made when first opened
        first_run = page.first_run
        first_run.download_requested.connect(self.download_starter)
        first_run.open_requested.connect(self.open_dialog)
        first_run.browse_requested.connect(self.open_models_window)
        bar = page.model_bar
        bar.load_requested.connect(self.load)
        bar.open_requested.connect(self.open_dialog)
        bar.browse_requested.connect(self.open_models_window)

    def start(self, engine: Engine | None, model_path: str | Path | None) -> None:
        """At start: an engine given (not owned), else the model asked for or the last one;
        the first-run page when there is none."""
        if engine is not None:
            from desktop.core import backend

            self._ready(engine, backend.build_info().to_dict(), owned=False)
            return
        last_server = self.settings.last_server
        if model_path is None and last_server is not None:  # a server was used last:
            self.page.first_run.offer_reconnect(last_server[1], last_server[0])  # offered,
            self.page.show_first_run()  # not dialled at launch (it may be down)
            return
        path = model_path or self.settings.last_model
        if path and Path(path).is_file():
            self.page.show_chat()  # "Loading…" shows in the chat
            QTimer.singleShot(0, lambda: self.load(path))
            return
        first_run = self.page.first_run
        if path and model_path is None:
            first_run.status.setText(
                self.tr("The last model (%1) is no longer there.").replace("%1", str(path)))
        elif model_path:
            first_run.status.setText(
                self.tr("Model file not found: %1").replace("%1", str(model_path)))
        self.page.show_first_run()

    # --- choosing a model ------------------------------------------------------------------

    @Slot()
    def open_dialog(self) -> None:
        if self.state.generating or self.state.loading:
            return
        start = self.settings.last_dir or str(Path.home())
        path, _ = QFileDialog.getOpenFileName(
            self.parent_widget, self.tr("Open a model"), start,
            self.tr("GGUF models (*.gguf);;All files (*)"),
        )
        if path:
            self.settings.last_dir = str(Path(path).parent)
            self.load(path)

    @Slot()
    def open_models_window(self) -> Any:
        """Show the Models window (one, kept, non-modal); returns it."""
        if self.dialog is None:
            from desktop.ui.models_dialog import ModelsDialog

            dialog = ModelsDialog(
                self.parent_widget, self.settings.load_options().n_ctx,
                settings=self.settings.qsettings,
            )
            dialog.load_requested.connect(self.load)
            self.dialog = dialog
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        return self.dialog

    # --- loading -----------------------------------------------------------------------------

    @Slot(str)
    def load(self, path: str | Path) -> None:
        """Load a model in a worker thread; the window stays responsive meanwhile."""
        state = self.state
        if state.generating:
            state.say(self.tr("Stop the reply first."), 4000)
            return
        if state.loading:
            return
        path = Path(path)
        options = self.settings.load_options()
        if state.engine is not None and state.owns_engine:
            state.engine.close()  # free its memory before the next one loads
        message = self.tr("Loading %1…").replace("%1", path.name)
        state.set_loading(True, message)
        state.set_engine(None)
        self.vocab.forget()
        state.set_task(message)
        self.page.first_run.set_busy(message)
        probe = self.probe_build
        worker = TaskWorker(lambda report: load_engine(path, options, report, probe))
        worker.message.connect(state.set_task)
        # bound methods, never lambdas: a lambda would run in the worker's thread
        worker.succeeded.connect(self._on_loaded)
        worker.failed.connect(self._on_failed)
        worker.done.connect(self._on_done)
        self.threads.start(worker, "model-loader")

    def _on_done(self) -> None:
        if self.state.loading:
            self.state.set_loading(False)
        self.state.set_task(None)

    def _on_failed(self, message: str) -> None:
        log.warning("model load failed")
        self.state.set_loading(True, None)  # "No model" in the status bar; done follows
        self.page.first_run.set_error(message)
        if not self.state.current.nodes:
            self.page.show_first_run()
        if not self.state.closing:
            QMessageBox.warning(self.parent_widget, self.tr("Could not load the model"),
                                message)

    @Slot(object)
    def _on_loaded(self, result: tuple[Engine, dict[str, Any]]) -> None:
        self.state.set_loading(False)  # the worker's last act; "done" follows
        self.state.set_task(None)
        self._ready(*result, owned=True)

    def _ready(self, engine: Engine, build: dict[str, Any], owned: bool) -> None:
        state = self.state
        if state.closing:
            if owned:
                engine.close()
            return
        self.settings.last_model = str(engine.path)
        if owned:  # a model the user loaded: it, not a server, is what to start with
            self.settings.last_server = None
        self.settings.remember_model(engine.name, str(engine.path))
        try:
            chat_format = chat_format_for(self.settings.qsettings, str(engine.path))
            session = ChatSession(
                engine,
                settings=self.settings.sampler_settings(),
                max_tokens=self.settings.max_tokens,
                conversation=state.current,
                store=self.history.writable_store(),
                chat_format=chat_format,
            )
        except TemplateError as exc:  # a stored choice llama.cpp no longer has
            state.say(str(exc), 10000)
            session = ChatSession(
                engine, settings=self.settings.sampler_settings(),
                max_tokens=self.settings.max_tokens, conversation=state.current,
                store=self.history.writable_store(),
            )
        state.engine = engine  # vocabularies ask it when the views follow
        self.vocab.forget()
        state.set_engine(engine, build, session, owned)
        self.page.first_run.set_busy(None)
        self.page.show_chat()
        state.show_reply(state.last_reply())
        state.compose.emit()
        seconds = f"{getattr(engine, 'load_seconds', 0.0):.1f}"
        loaded = self.tr("Loaded %1 in %2 s").replace("%1", engine.path.stem)
        state.say(loaded.replace("%2", seconds), 5000)

    def reload_if_wanted(self) -> None:
        """The load options changed: offer to reload the model with them."""
        engine = self.state.engine
        if engine is None or self.state.generating:
            return
        answer = QMessageBox.question(
            self.parent_widget, self.tr("Reload the model?"),
            self.tr("Reload %1 now with the new load options?").replace("%1", engine.name),
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.load(engine.path)

    # --- the starter model -------------------------------------------------------------------

    @Slot()
    def download_starter(self) -> None:
        if self.state.loading:
            return
        from desktop.core.starter import ensure_starter_model

        self.page.first_run.set_busy(self._starter_headline())
        self.state.set_task(self._starter_headline())
        self.state.set_loading(True)
        worker = TaskWorker(lambda report: ensure_starter_model(progress=report))
        worker.message.connect(self._on_starter_message)
        worker.succeeded.connect(self._starter_ready)
        worker.failed.connect(self._starter_failed)
        self.threads.start(worker, "starter-download")

    def _starter_headline(self) -> str:
        return self.tr("Getting the starter model (about 100 MB)…")

    @Slot(str)
    def _on_starter_message(self, message: str) -> None:
        self.page.first_run.set_busy(f"{self._starter_headline()}\n{message}")

    @Slot(object)
    def _starter_ready(self, path: Path) -> None:
        self.state.set_loading(False)
        self.state.set_task(None)
        self.load(path)

    def _starter_failed(self, message: str) -> None:
        self.state.set_loading(False)
        self.state.set_task(None)
        self.page.first_run.set_error(message)
        if not self.state.closing:
            QMessageBox.warning(self.parent_widget,
                                self.tr("Could not get the starter model"), message)

    # --- closing -----------------------------------------------------------------------------

    def close(self) -> None:
        if self.dialog is not None:
            self.dialog.shutdown()
            self.dialog.close()

    def release(self) -> None:
        """Give the model back (if this window loaded it)."""
        if self.state.engine is not None and self.state.owns_engine:
            self.state.engine.close()
            self.state.engine = None
