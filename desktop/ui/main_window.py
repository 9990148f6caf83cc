"""The main window: conversations on the left, the chat in the middle, panels around it.

The window owns the model (an Engine), one ChatSession whose conversation is the one
selected on the left, and the threads that load models and generate replies. Every panel
is fed from the reply nodes the session fills; none of them calls the model.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Slot
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

import desktop.ui.compat  # noqa: F401  (first: a PySide6 bug work-around)
from desktop import APP_NAME, __version__
from desktop.core.context import ContextPlan
from desktop.core.conversation import Conversation, Node
from desktop.core.engine import Engine
from desktop.core.generation import Event
from desktop.core.session import ChatSession
from desktop.ui.chat_view import ChatView
from desktop.ui.composer import Composer
from desktop.ui.first_run import FirstRunPage
from desktop.ui.heat_legend import HeatLegend
from desktop.ui.panels import (
    ContextPanel,
    InspectorPanel,
    PerformancePanel,
    TimelinePanel,
    TokensPanel,
)
from desktop.ui.settings_dialog import SettingsDialog
from desktop.ui.settings_store import SettingsStore
from desktop.ui.style import stylesheet
from desktop.ui.worker import GenerationWorker, TaskWorker, Threads, load_engine

log = logging.getLogger(__name__)

#: How often the panels follow a streaming reply (the chat itself follows every batch).
PANEL_INTERVAL_MS = 200

StartFn = Callable[[threading.Event], Iterator[Event]]


class ConversationList(QWidget):
    """The conversations, newest first, with new / rename / delete."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window_ = window
        self.list = QListWidget(self)
        self.list.setObjectName("conversationList")
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._menu)
        self.list.itemDoubleClicked.connect(lambda _item: window.rename_conversation())
        self.new_button = QToolButton(self)
        self.new_button.setText(self.tr("New chat"))
        self.new_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.new_button.clicked.connect(window.new_conversation)
        self.rename_button = QToolButton(self)
        self.rename_button.setText(self.tr("Rename"))
        self.rename_button.clicked.connect(window.rename_conversation)
        self.delete_button = QToolButton(self)
        self.delete_button.setText(self.tr("Delete"))
        self.delete_button.clicked.connect(window.delete_conversation)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.new_button)
        row.addStretch(1)
        row.addWidget(self.rename_button)
        row.addWidget(self.delete_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row)
        layout.addWidget(self.list)

    def _menu(self, pos: Any) -> None:
        if self.list.itemAt(pos) is None:
            return
        menu = QMenu(self)
        menu.addAction(self.tr("Rename…"), self.window_.rename_conversation)
        menu.addAction(self.tr("Delete…"), self.window_.delete_conversation)
        menu.exec(self.list.mapToGlobal(pos))


class MainWindow(QMainWindow):
    """Construct with ``engine=`` (tests: an Engine already loaded, not owned) or
    ``model_path=`` (loaded in a thread); with neither, the last model or the first-run
    page. ``store`` isolates the settings (tests)."""

    def __init__(
        self,
        store: SettingsStore | None = None,
        *,
        engine: Engine | None = None,
        model_path: str | Path | None = None,
        probe_build: bool = True,
        restore_layout: bool = True,
    ) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.store = store or SettingsStore()
        self.probe_build = probe_build
        self.threads = Threads(self)
        self.engine: Engine | None = None
        self._owns_engine = False
        self.build: dict[str, Any] | None = None
        self.session: ChatSession | None = None
        self.conversations: list[Conversation] = []
        self.current = self._make_conversation()
        self.plans: dict[int, ContextPlan] = {}
        self.generation: GenerationWorker | None = None
        self.loading = False
        self._branch_source: dict[int, int] = {}
        self._pending_branch_source: int | None = None
        self._timeline_node: int | None = None
        self._closing = False
        self._panel_node: int | None = None
        self._panel_timer = QTimer(self)
        self._panel_timer.setSingleShot(True)
        self._panel_timer.setInterval(PANEL_INTERVAL_MS)
        self._panel_timer.timeout.connect(self._flush_panels)

        self.setAcceptDrops(True)
        self.setStyleSheet(stylesheet(self.palette()))
        self._build_centre()
        self._build_docks()
        self._build_menus()
        self._build_status_bar()
        self._refresh_conversation_list()
        self._show_conversation(self.current)
        self.resize(1280, 820)
        if restore_layout:
            geometry, state = self.store.window_state()
            if geometry is not None:
                self.restoreGeometry(geometry)
            if state is not None:
                self.restoreState(state)
        self.heat_action.setChecked(self.store.heat_mode)
        self._set_metric(self.store.heat_metric)

        if engine is not None:
            from desktop.core import backend

            self._engine_ready(engine, backend.build_info().to_dict(), owned=False)
        else:
            path = model_path or self.store.last_model
            if path and Path(path).is_file():
                QTimer.singleShot(0, lambda: self.load_model(path))
            else:
                if path and model_path is None:
                    self.first_run.status.setText(
                        self.tr("The last model (%1) is no longer there.").replace("%1", str(path))
                    )
                elif model_path:
                    self.first_run.status.setText(
                        self.tr("Model file not found: %1").replace("%1", str(model_path))
                    )
                self.stack.setCurrentWidget(self.first_run)
        self._update_actions()

    # --- building the window -------------------------------------------------------------

    def _build_centre(self) -> None:
        self.stack = QStackedWidget(self)
        self.first_run = FirstRunPage(self.stack)
        self.first_run.download_requested.connect(self.download_starter)
        self.first_run.open_requested.connect(self.open_model_dialog)
        self.chat_page = QWidget(self.stack)
        layout = QVBoxLayout(self.chat_page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.legend = HeatLegend(self.chat_page)
        self.legend.metric_changed.connect(self._set_metric)
        self.legend.hide()
        self.chat = ChatView(self.chat_page)
        self.chat.regenerate_requested.connect(self.regenerate)
        self.chat.edit_requested.connect(self.edit_message)
        self.chat.switch_requested.connect(self.switch_version)
        self.chat.token_selected.connect(self._on_chat_token)
        self.chat.status_message.connect(lambda m: self.statusBar().showMessage(m, 3000))
        self.composer = Composer(self.chat_page)
        self.composer.send_requested.connect(self.send)
        self.composer.stop_requested.connect(self.stop)
        # Esc stops a reply wherever the focus is in the window (the composer handles it too)
        self.stop_shortcut = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        self.stop_shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        self.stop_shortcut.activated.connect(self.stop)
        layout.addWidget(self.legend)
        layout.addWidget(self.chat, 1)
        layout.addWidget(self.composer)
        self.stack.addWidget(self.first_run)
        self.stack.addWidget(self.chat_page)
        self.stack.setCurrentWidget(self.chat_page)
        self.setCentralWidget(self.stack)

    def _dock(
        self, widget: QWidget, title: str, name: str, area: Qt.DockWidgetArea
    ) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        left = Qt.DockWidgetArea.LeftDockWidgetArea
        right = Qt.DockWidgetArea.RightDockWidgetArea
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        self.setCorner(Qt.Corner.BottomLeftCorner, left)
        self.setCorner(Qt.Corner.BottomRightCorner, right)
        self.conversation_list = ConversationList(self)
        self.conversation_list.list.currentRowChanged.connect(self._on_conversation_row)
        self.conversation_list.list.itemChanged.connect(self._on_conversation_renamed)
        self.conversations_dock = self._dock(
            self.conversation_list, self.tr("Conversations"), "conversationsDock", left
        )
        self.inspector = InspectorPanel()
        self.inspector.branch_requested.connect(self.branch)
        self.inspector_dock = self._dock(self.inspector, self.tr("Token inspector"),
                                         "inspectorDock", right)
        self.context_panel = ContextPanel()
        self.context_dock = self._dock(self.context_panel, self.tr("Context"),
                                       "contextDock", right)
        self.performance = PerformancePanel()
        self.performance_dock = self._dock(self.performance, self.tr("Performance"),
                                           "performanceDock", right)
        self.tabifyDockWidget(self.context_dock, self.performance_dock)
        self.context_dock.raise_()
        self.timeline = TimelinePanel()
        self.timeline.token_clicked.connect(self._on_timeline_token)
        self.timeline_dock = self._dock(self.timeline, self.tr("Timeline"), "timelineDock", bottom)
        self.timeline_dock.visibilityChanged.connect(self._on_timeline_shown)
        self.tokens = TokensPanel()
        self.tokens_dock = self._dock(self.tokens, self.tr("Prompt tokens"), "tokensDock", bottom)
        self.tabifyDockWidget(self.timeline_dock, self.tokens_dock)
        self.timeline_dock.raise_()
        self.resizeDocks([self.conversations_dock], [220], Qt.Orientation.Horizontal)
        self.resizeDocks([self.inspector_dock], [380], Qt.Orientation.Horizontal)
        self.resizeDocks([self.timeline_dock], [190], Qt.Orientation.Vertical)
        self.resizeDocks([self.inspector_dock, self.context_dock], [420, 240],
                         Qt.Orientation.Vertical)

    def panel_docks(self) -> list[QDockWidget]:
        return [self.inspector_dock, self.timeline_dock, self.tokens_dock, self.context_dock,
                self.performance_dock]

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu(self.tr("&File"))
        self.open_action = file_menu.addAction(self.tr("&Open model…"))
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_action.triggered.connect(self.open_model_dialog)
        self.new_action = file_menu.addAction(self.tr("&New chat"))
        self.new_action.setShortcut(QKeySequence.StandardKey.New)
        self.new_action.triggered.connect(self.new_conversation)
        file_menu.addSeparator()
        self.quit_action = file_menu.addAction(self.tr("&Quit"))
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(self.close)

        view = bar.addMenu(self.tr("&View"))
        view.addAction(self.conversations_dock.toggleViewAction())
        view.addSeparator()
        for dock in self.panel_docks():
            view.addAction(dock.toggleViewAction())
        view.addSeparator()
        self.heat_action = view.addAction(self.tr("&Heat mode"))
        self.heat_action.setCheckable(True)
        self.heat_action.setShortcut(QKeySequence("Ctrl+H"))
        self.heat_action.setToolTip(self.tr("Colour every reply token by how sure the model was"))
        self.heat_action.toggled.connect(self._set_heat)
        metric_menu = view.addMenu(self.tr("Heat colours by"))
        self.metric_group = QActionGroup(self)
        self.metric_actions: dict[str, QAction] = {}
        for key, label in (("probability", self.tr("Probability")),
                           ("entropy", self.tr("Entropy"))):
            action = metric_menu.addAction(label)
            action.setCheckable(True)
            action.setData(key)
            self.metric_group.addAction(action)
            self.metric_actions[key] = action
        self.metric_group.triggered.connect(lambda a: self._set_metric(str(a.data())))
        view.addSeparator()
        self.reset_layout_action = view.addAction(self.tr("Reset layout"))
        self.reset_layout_action.triggered.connect(self.reset_layout)

        settings_menu = bar.addMenu(self.tr("&Settings"))
        self.settings_action = settings_menu.addAction(self.tr("&Settings…"))
        self.settings_action.setShortcut(QKeySequence.StandardKey.Preferences)
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.settings_action.triggered.connect(self.open_settings)

        help_menu = bar.addMenu(self.tr("&Help"))
        about = help_menu.addAction(self.tr("&About Tokenscope"))
        about.setMenuRole(QAction.MenuRole.AboutRole)
        about.triggered.connect(self.about)
        about_qt = help_menu.addAction(self.tr("About &Qt"))
        about_qt.setMenuRole(QAction.MenuRole.AboutQtRole)
        about_qt.triggered.connect(lambda: QMessageBox.aboutQt(self))
        self._default_state = self.saveState()

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        self.busy_bar = QProgressBar(self)
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setMaximumWidth(120)
        self.busy_bar.setMaximumHeight(14)
        self.busy_bar.setTextVisible(False)
        self.busy_bar.hide()
        self.busy_label = QLabel(self)
        self.busy_label.hide()
        self.model_label = QLabel(self.tr("No model"), self)
        self.backend_label = QLabel(self)
        self.context_label = QLabel(self)
        self.speed_label = QLabel(self)
        self.model_label.setToolTip(self.tr("The loaded model"))
        self.backend_label.setToolTip(self.tr("Where the model runs"))
        self.context_label.setToolTip(
            self.tr("Tokens in the context window: used by the last reply / available")
        )
        self.speed_label.setToolTip(self.tr("Generation speed of the last reply"))
        status.addWidget(self.busy_bar)
        status.addWidget(self.busy_label)
        for label in (self.model_label, self.backend_label, self.context_label, self.speed_label):
            status.addPermanentWidget(label)

    # --- busy state ----------------------------------------------------------------------

    @property
    def generating(self) -> bool:
        return self.generation is not None

    def _set_busy(self, message: str | None) -> None:
        self.busy_bar.setVisible(message is not None)
        self.busy_label.setVisible(message is not None)
        self.busy_label.setText(message or "")

    def _update_actions(self) -> None:
        gen, loading = self.generating, self.loading
        self.open_action.setEnabled(not gen and not loading)
        self.settings_action.setEnabled(True)
        self.conversation_list.setEnabled(not gen)
        self.new_action.setEnabled(not gen)
        self.composer.setEnabled(self.session is not None and not loading)
        self.composer.set_busy(gen)
        self.stop_shortcut.setEnabled(gen)  # otherwise Esc belongs to editors and dialogs
        self.chat.set_busy(gen, self.generation.node_id if self.generation else None)

    # --- models ----------------------------------------------------------------------------

    @Slot()
    def open_model_dialog(self) -> None:
        if self.generating or self.loading:
            return
        start = self.store.last_dir or str(Path.home())
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Open a model"), start, self.tr("GGUF models (*.gguf);;All files (*)")
        )
        if path:
            self.store.last_dir = str(Path(path).parent)
            self.load_model(path)

    def load_model(self, path: str | Path) -> None:
        """Load a model in a worker thread; the window stays responsive meanwhile."""
        if self.generating:
            self.statusBar().showMessage(self.tr("Stop the reply first."), 4000)
            return
        if self.loading:
            return
        path = Path(path)
        self.loading = True
        options = self.store.load_options()
        if self.engine is not None and self._owns_engine:
            self.engine.close()  # free its memory before the next one loads
        self.engine = None
        self.session = None
        message = self.tr("Loading %1…").replace("%1", path.name)
        self._set_busy(message)
        self.first_run.set_busy(message)
        self.chat.set_notice(message)
        self.model_label.setText(message)
        probe = self.probe_build
        worker = TaskWorker(lambda report: load_engine(path, options, report, probe))
        worker.message.connect(self.busy_label.setText)
        # bound methods, never lambdas: a lambda would run in the worker's thread
        worker.succeeded.connect(self._on_engine_loaded)
        worker.failed.connect(self._load_failed)
        worker.done.connect(self._load_done)
        self.threads.start(worker, "model-loader")
        self._update_actions()

    def _load_done(self) -> None:
        self.loading = False
        self.chat.set_notice(None)
        self._set_busy(None)
        self._update_actions()

    def _load_failed(self, message: str) -> None:
        log.warning("model load failed")
        self.model_label.setText(self.tr("No model"))
        self.first_run.set_error(message)
        self.stack.setCurrentWidget(self.first_run)
        if not self._closing:
            QMessageBox.warning(self, self.tr("Could not load the model"), message)

    @Slot(object)
    def _on_engine_loaded(self, result: tuple[Engine, dict[str, Any]]) -> None:
        self._engine_ready(*result, owned=True)

    def _engine_ready(self, engine: Engine, build: dict[str, Any], owned: bool) -> None:
        if self._closing:
            if owned:
                engine.close()
            return
        self.engine = engine
        self._owns_engine = owned
        self.build = build
        self.store.last_model = str(engine.path)
        self.session = ChatSession(
            engine,
            settings=self.store.sampler_settings(),
            max_tokens=self.store.max_tokens,
            conversation=self.current,
        )
        self.inspector.set_piece_fn(engine.piece)
        self.tokens.set_engine_fns(engine.piece, engine.is_special, engine.tokenize)
        self.performance.set_backend(build)
        self.performance.set_gpu_layers(engine.options.n_gpu_layers)
        self.chat.is_special = engine.is_special
        # the file's name: what the user chose (general.name can be a training run's id)
        self.chat.model_names[engine.name] = engine.path.stem
        self.model_label.setText(engine.path.stem)
        self.model_label.setToolTip(f"{engine.name}\n{engine.path}")
        self.backend_label.setText(self._backend_text())
        self.first_run.set_busy(None)
        self.stack.setCurrentWidget(self.chat_page)
        self._update_status()
        self._update_actions()
        self.chat.rebuild()
        self.composer.edit.setFocus()
        seconds = f"{getattr(engine, 'load_seconds', 0.0):.1f}"
        loaded = self.tr("Loaded %1 in %2 s").replace("%1", engine.path.stem)
        self.statusBar().showMessage(loaded.replace("%2", seconds), 5000)

    def _backend_text(self) -> str:
        build = self.build or {}
        name = str(build.get("backend", "CPU"))
        if build.get("gpu_offload") and self.engine is not None:
            layers = self.engine.options.n_gpu_layers
            if layers < 0:
                return self.tr("%1 · all layers on GPU").replace("%1", name)
            return self.tr("%1 · %2 GPU layers").replace("%1", name).replace("%2", str(layers))
        return name

    @Slot()
    def download_starter(self) -> None:
        if self.loading:
            return
        from desktop.core.starter import ensure_starter_model

        self.first_run.set_busy(self._starter_headline())
        self._set_busy(self._starter_headline())
        self.loading = True
        worker = TaskWorker(lambda report: ensure_starter_model(progress=report))
        worker.message.connect(self._on_starter_message)
        worker.succeeded.connect(self._starter_ready)
        worker.failed.connect(self._starter_failed)
        self.threads.start(worker, "starter-download")
        self._update_actions()

    def _starter_headline(self) -> str:
        return self.tr("Getting the starter model (about 100 MB)…")

    @Slot(str)
    def _on_starter_message(self, message: str) -> None:
        self.first_run.set_busy(f"{self._starter_headline()}\n{message}")

    @Slot(object)
    def _starter_ready(self, path: Path) -> None:
        self.loading = False
        self._set_busy(None)
        self.load_model(path)

    def _starter_failed(self, message: str) -> None:
        self.loading = False
        self._set_busy(None)
        self.first_run.set_error(message)
        self._update_actions()
        if not self._closing:
            QMessageBox.warning(self, self.tr("Could not get the starter model"), message)

    # --- conversations ---------------------------------------------------------------------

    def _make_conversation(self) -> Conversation:
        conv = Conversation(title="", system=self.store.system_prompt)
        self.conversations.insert(0, conv)
        return conv

    def conversation_title(self, conv: Conversation) -> str:
        return conv.title or self.tr("New chat")

    def _refresh_conversation_list(self) -> None:
        lst = self.conversation_list.list
        lst.blockSignals(True)
        lst.clear()
        for conv in self.conversations:
            item = QListWidgetItem(self.conversation_title(conv))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            lst.addItem(item)
        lst.setCurrentRow(self.conversations.index(self.current))
        lst.blockSignals(False)
        self.conversation_list.delete_button.setEnabled(bool(self.conversations))

    def _show_conversation(self, conv: Conversation) -> None:
        self.current = conv
        if self.session is not None:
            self.session.conversation = conv
        self.chat.set_conversation(conv)
        self._update_title()
        self._show_reply_panels(self.last_reply())

    def _update_title(self) -> None:
        self.setWindowTitle(f"{self.conversation_title(self.current)} — {APP_NAME}")

    def _on_conversation_row(self, row: int) -> None:
        if 0 <= row < len(self.conversations) and self.conversations[row] is not self.current:
            self._show_conversation(self.conversations[row])

    def _on_conversation_renamed(self, item: QListWidgetItem) -> None:
        row = self.conversation_list.list.row(item)
        if 0 <= row < len(self.conversations):
            title = item.text().strip()
            self.conversations[row].title = title
            if not title:
                self._refresh_conversation_list()
            self._update_title()

    @Slot()
    def new_conversation(self) -> None:
        if self.generating:
            return
        if not self.current.nodes:
            self.composer.edit.setFocus()  # the current one is still empty: reuse it
            return
        conv = self._make_conversation()
        self.current = conv
        self._refresh_conversation_list()
        self._show_conversation(conv)
        self.composer.edit.setFocus()

    @Slot()
    def rename_conversation(self) -> None:
        lst = self.conversation_list.list
        item = lst.currentItem()
        if item is not None and not self.generating:
            lst.editItem(item)

    @Slot()
    def delete_conversation(self) -> None:
        if self.generating:
            return
        conv = self.current
        if conv.nodes:
            answer = QMessageBox.question(
                self,
                self.tr("Delete conversation"),
                self.tr("Delete “%1”? This cannot be undone.").replace(
                    "%1", self.conversation_title(conv)
                ),
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        index = self.conversations.index(conv)
        self.conversations.remove(conv)
        if not self.conversations:
            self._make_conversation()
        self.current = self.conversations[min(index, len(self.conversations) - 1)]
        self._refresh_conversation_list()
        self._show_conversation(self.current)

    # --- chatting ----------------------------------------------------------------------------

    def last_reply(self) -> Node | None:
        for node in reversed(self.current.path()):
            if node.role == "assistant":
                return node
        return None

    @Slot(str)
    def send(self, text: str) -> None:
        session = self.session
        if session is None or self.generating:
            return
        if not self.current.title:
            first_line = text.strip().splitlines()[0] if text.strip() else ""
            self.current.title = first_line[:48] + ("…" if len(first_line) > 48 else "")
            self._refresh_conversation_list()
            self._update_title()
        self.chat.scroll_to_bottom()
        self._start(lambda cancel: session.send(text, cancel))

    @Slot(int)
    def regenerate(self, reply_id: int) -> None:
        session = self.session
        if session is not None and not self.generating:
            self._start(lambda cancel: session.regenerate(reply_id, cancel))

    @Slot(int, str)
    def edit_message(self, user_id: int, text: str) -> None:
        session = self.session
        if session is not None and not self.generating:
            self._start(lambda cancel: session.edit(user_id, text, cancel))

    @Slot(int, int, int)
    def branch(self, node_id: int, index: int, token: int) -> None:
        session = self.session
        if session is None or self.generating or node_id not in self.current.nodes:
            return
        self._pending_branch_source = node_id
        self._start(lambda cancel: session.branch(node_id, index, token, cancel))

    @Slot()
    def stop(self) -> None:
        if self.generation is not None:
            self.generation.cancel.set()
            self.statusBar().showMessage(self.tr("Stopping…"), 2000)

    def _start(self, start: StartFn) -> None:
        assert self.session is not None
        self.session.settings = self.store.sampler_settings()
        self.session.max_tokens = self.store.max_tokens
        worker = GenerationWorker(self.session, start)
        worker.started.connect(self._on_started)
        worker.prompt_done.connect(self._on_prompt_done)
        worker.progress.connect(self._on_progress)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        worker.done.connect(self._on_generation_done)
        self.generation = worker
        self._update_actions()
        self.threads.start(worker, "generation")

    def _on_started(self, node_id: int) -> None:
        source = self._pending_branch_source
        if source is not None:
            self._branch_source[node_id] = source
            self._pending_branch_source = None
        self.chat.set_busy(True, node_id)
        self.chat.selected = None
        self.chat.rebuild()
        node = self.current.nodes[node_id]
        self.inspector.clear()
        self.timeline.set_reply(node)
        self._timeline_node = node_id

    def _on_prompt_done(self, node_id: int, plan: ContextPlan | None) -> None:
        if plan is None and node_id in self._branch_source:
            plan = self.plans.get(self._branch_source[node_id])
        node = self.current.nodes.get(node_id)
        if node is None:
            return
        if plan is not None:
            self.plans[node_id] = plan
            self.context_panel.set_plan(plan, len(node.traces), self._plan_texts(node))
        self.tokens.set_prompt(list(node.prompt_tokens))
        self.chat.update_node(node_id)

    def _on_progress(self, node_id: int) -> None:
        """The reply grew: the chat follows at once (the worker already batched), the
        panels at most every PANEL_INTERVAL_MS (their charts cost more to repaint)."""
        if node_id not in self.current.nodes:
            return
        self.chat.update_node(node_id)
        self._panel_node = node_id
        if not self._panel_timer.isActive():
            self._panel_timer.start()

    def _flush_panels(self) -> None:
        node = self.current.nodes.get(self._panel_node) if self._panel_node else None
        if node is None:
            return
        if self.timeline.isVisible():  # a hidden or tabbed-away panel catches up when shown
            self.timeline.update_reply(node)
        if node.id in self.plans:
            self.context_panel.set_reply_tokens(len(node.traces))
        self._update_status(node)

    def _on_timeline_shown(self, visible: bool) -> None:
        node = self.current.nodes.get(self._timeline_node) if self._timeline_node else None
        if visible and node is not None:
            self.timeline.update_reply(node)

    def _on_finished(self, node_id: int, reason: str) -> None:
        node = self.current.nodes.get(node_id)
        if node is None:
            return
        log.info("reply finished: %s, %d tokens", reason, len(node.traces))
        self._panel_timer.stop()
        self.timeline.set_reply(node)
        if node_id in self.plans:
            self.context_panel.set_reply_tokens(len(node.traces))
        self.performance.set_stats(dict(node.stats))
        self._update_status(node)

    def _on_failed(self, message: str) -> None:
        self.statusBar().showMessage(message, 10000)
        if not self._closing:
            QMessageBox.warning(self, self.tr("The reply could not be written"), message)

    def _on_generation_done(self) -> None:
        self.generation = None
        self._update_actions()
        self.chat.rebuild()
        if not self._closing:
            self.composer.edit.setFocus()

    def _update_status(self, node: Node | None = None) -> None:
        node = node or self.last_reply()
        n_ctx = self.engine.n_ctx if self.engine is not None else 0
        if node is not None and node.prompt_tokens:
            used = len(node.prompt_tokens) + len(node.traces)
            self.context_label.setText(
                self.tr("Context %1 / %2").replace("%1", str(used)).replace("%2", str(n_ctx))
            )
        elif n_ctx:
            self.context_label.setText(self.tr("Context 0 / %1").replace("%1", str(n_ctx)))
        else:
            self.context_label.setText("")
        tps = 0.0
        if node is not None:
            tps = float(node.stats.get("gen_tps") or 0.0)
            if not tps and len(node.traces) > 1:
                seconds = sum(t.seconds for t in node.traces[1:])
                tps = (len(node.traces) - 1) / seconds if seconds > 0 else 0.0
        self.speed_label.setText(self.tr("%1 tok/s").replace("%1", f"{tps:.1f}") if tps else "")

    # --- versions, tokens and panels -----------------------------------------------------------

    @Slot(int, int)
    def switch_version(self, node_id: int, step: int) -> None:
        if self.generating or node_id not in self.current.nodes:
            return
        self.current.switch_sibling(node_id, step)
        self.chat.selected = None
        self.chat.rebuild()
        self._show_reply_panels(self.last_reply())

    def _show_reply_panels(self, node: Node | None) -> None:
        """Point the panels at a reply (the last one on the path, usually)."""
        self.inspector.clear()
        if node is None:
            self.timeline.set_reply(Node(0, "assistant", "", None))  # empty: clears it
            self.context_panel.clear()
            self.tokens.set_prompt([])
            self._timeline_node = None
            self._update_status(None)
            return
        self.timeline.set_reply(node)
        self._timeline_node = node.id
        self.tokens.set_prompt(list(node.prompt_tokens))
        plan = self.plans.get(node.id)
        if plan is not None:
            self.context_panel.set_plan(plan, len(node.traces), self._plan_texts(node))
        else:
            self.context_panel.clear()
        if node.stats:
            self.performance.set_stats(dict(node.stats))
        self._update_status(node)

    def _plan_texts(self, reply: Node) -> list[str]:
        """The contents of the messages a reply's context plan counted (system first)."""
        return [m.content for m in self.current.messages(reply.parent)]

    def _select(self, node_id: int, index: int) -> None:
        node = self.current.nodes.get(node_id)
        if node is None or not 0 <= index < len(node.traces):
            return
        self.inspector.show_token(node, index)
        if self._timeline_node != node_id:
            self.timeline.set_reply(node)
            self._timeline_node = node_id
        self.timeline.select(index)
        if self.inspector_dock.isHidden():
            self.inspector_dock.show()
        self.inspector_dock.raise_()

    def _on_chat_token(self, node_id: int, index: int) -> None:
        self._select(node_id, index)

    def _on_timeline_token(self, node_id: int, index: int) -> None:
        self.chat.select_token(node_id, index, notify=False)
        self._select(node_id, index)

    def select_token(self, node_id: int, index: int) -> None:
        """Select a reply token as a click in the chat would (scripts, tests)."""
        self.chat.select_token(node_id, index)

    # --- heat mode -----------------------------------------------------------------------

    def _set_heat(self, on: bool) -> None:
        self.legend.setVisible(on)
        self.chat.set_heat(on)
        self.store.heat_mode = on

    def _set_metric(self, metric: str) -> None:
        if metric not in self.metric_actions:
            return
        self.metric_actions[metric].setChecked(True)
        self.legend.set_metric(metric)
        self.chat.set_heat(self.chat.heat_mode, metric)
        self.store.heat_metric = metric

    # --- settings, about, layout ------------------------------------------------------------

    @Slot()
    def open_settings(self) -> None:
        offload = bool(self.build.get("gpu_offload")) if self.build else None
        if offload is None:
            try:
                from desktop.core import backend

                offload = backend.build_info().gpu_offload
            except Exception:  # no llama.cpp: nothing to offload either
                offload = False
        dialog = SettingsDialog(self.store, offload, self)
        if not dialog.exec():
            return
        if self.session is not None:
            self.session.settings = self.store.sampler_settings()
            self.session.max_tokens = self.store.max_tokens
        if not self.current.nodes:
            self.current.system = self.store.system_prompt
        if dialog.language_changed:
            QMessageBox.information(
                self, self.tr("Language"),
                self.tr("The new language is used when Tokenscope starts again."),
            )
        if dialog.load_options_changed and self.engine is not None and not self.generating:
            answer = QMessageBox.question(
                self, self.tr("Reload the model?"),
                self.tr("Reload %1 now with the new load options?").replace(
                    "%1", self.engine.name
                ),
            )
            if answer == QMessageBox.StandardButton.Yes:
                self.load_model(self.engine.path)

    @Slot()
    def about(self) -> None:
        QMessageBox.about(
            self,
            self.tr("About Tokenscope"),
            self.tr(
                "<h3>Tokenscope %1</h3>"
                "<p>Chat with language models on your own computer, offline, and see how "
                "they work: every token with its probability, the sampler's candidates, the "
                "prompt as tokens and the context window.</p>"
                "<p>Models run with llama.cpp (llama-cpp-python).</p>"
            ).replace("%1", __version__),
        )

    @Slot()
    def reset_layout(self) -> None:
        self.restoreState(self._default_state)
        for dock in [self.conversations_dock, *self.panel_docks()]:
            dock.show()

    # --- drag and drop a model ---------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls()
        if urls and urls[0].toLocalFile().lower().endswith(".gguf"):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        urls = event.mimeData().urls()
        if urls:
            self.load_model(urls[0].toLocalFile())

    # --- closing -------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        self._closing = True
        self.store.set_window_state(self.saveGeometry(), self.saveState())
        self.store.sync()
        if self.generation is not None:
            self.generation.cancel.set()
        self.threads.wait_all()
        QCoreApplication.processEvents()
        if self.engine is not None and self._owns_engine:
            self.engine.close()
            self.engine = None
        super().closeEvent(event)
