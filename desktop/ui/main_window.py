"""The main window: conversations on the left, the chat in the middle, panels around it.

The window owns the model (an Engine), one ChatSession whose conversation is the one
selected on the left, the conversation history (a ``Store``), and the threads that load
models and generate replies. Every panel is fed from the reply nodes the session fills (or
the store gave back); none of them calls the model, so a saved conversation can be read
and inspected with no model loaded.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
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
    QPalette,
    QShortcut,
)
from PySide6.QtWidgets import (
    QBoxLayout,
    QDockWidget,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

import desktop.ui.compat  # noqa: F401  (first: a PySide6 bug work-around)
from desktop import APP_NAME, __version__
from desktop.core import export
from desktop.core.context import ContextPlan
from desktop.core.conversation import Conversation, Node
from desktop.core.engine import Engine
from desktop.core.generation import Event
from desktop.core.session import ChatSession, plan_of
from desktop.core.store import (
    ReplyWriter,
    Store,
    StoreCorruptError,
    StoreError,
    StoreNewerError,
    StoreReadOnlyError,
    default_path,
)
from desktop.ui.chat_view import ChatView
from desktop.ui.composer import Composer
from desktop.ui.conversation_list import ConversationList, Entry, when_text
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
from desktop.ui.worker import (
    GenerationWorker,
    TaskWorker,
    Threads,
    load_engine,
    unexpected_error,
)

log = logging.getLogger(__name__)

#: How often the panels follow a streaming reply (the chat itself follows every batch).
PANEL_INTERVAL_MS = 200
#: Saved conversations kept open in memory besides the current one (reopening is quick).
OPEN_CONVERSATIONS = 8
#: A conversation's automatic title: its first message, cut at this many characters.
TITLE_LENGTH = 48
#: The object name of the container that switches a model-needing button off.
GATE_NAME = "needsModelGate"

StartFn = Callable[[threading.Event], Iterator[Event]]
PieceFn = Callable[[int], bytes]
SpecialFn = Callable[[int], bool]
PieceTable = dict[int, tuple[bytes, bool]]


def auto_title(text: str) -> str:
    """A conversation's title from its first message: the first line, cut short."""
    stripped = text.strip()
    first_line = stripped.splitlines()[0].strip() if stripped else ""
    if len(first_line) <= TITLE_LENGTH:
        return first_line
    return first_line[:TITLE_LENGTH].rstrip() + "…"


def unknown_piece(token: int) -> bytes:
    """A token whose text nobody knows (no model, nothing stored): its id."""
    return f"#{token}".encode()


class StoredVocab:
    """One model's token texts as the store kept them, for replies whose model is not
    loaded: ``piece`` and ``is_special`` stand in for the Engine's."""

    def __init__(self, table: PieceTable) -> None:
        self.table = table

    def piece(self, token: int) -> bytes:
        hit = self.table.get(token)
        return hit[0] if hit is not None else unknown_piece(token)

    def is_special(self, token: int) -> bool:
        hit = self.table.get(token)
        return bool(hit is not None and hit[1])


def gate(button: QWidget) -> QWidget:
    """Put ``button`` into a container of its own, in its place in its layout.

    Switching the container off keeps the button off whatever its owner does with it (a
    disabled parent wins): the window uses this for actions that need a model."""
    found = gate_of(button)
    if found is not None:
        return found
    parent = button.parentWidget()
    container = QWidget(parent)
    container.setObjectName(GATE_NAME)
    spot = _find_in_layout(parent.layout(), button) if parent is not None else None
    inner = QHBoxLayout(container)
    inner.setContentsMargins(0, 0, 0, 0)
    inner.setSpacing(0)
    if spot is not None:
        layout, index = spot
        layout.removeWidget(button)
        inner.addWidget(button)
        layout.insertWidget(index, container)
    else:
        inner.addWidget(button)
    button.setProperty("ungatedToolTip", button.toolTip())
    return container


def gate_of(button: QWidget) -> QWidget | None:
    parent = button.parentWidget()
    return parent if parent is not None and parent.objectName() == GATE_NAME else None


def set_gate(button: QWidget, reason: str | None) -> None:
    """Switch a gated button off with ``reason`` as its tooltip, or back on (None)."""
    container = gate(button)
    container.setEnabled(reason is None)
    original = button.property("ungatedToolTip")
    button.setToolTip(reason if reason is not None else str(original or ""))


def _find_in_layout(layout: QLayout | None, widget: QWidget) -> tuple[QBoxLayout, int] | None:
    if layout is None:
        return None
    for i in range(layout.count()):
        item = layout.itemAt(i)
        if item is None:
            continue
        if item.widget() is widget and isinstance(layout, QBoxLayout):
            return layout, i
        child = item.layout()
        if child is not None:
            found = _find_in_layout(child, widget)
            if found is not None:
                return found
    return None


class WindowChat(ChatView):
    """The chat view whose Regenerate / Edit buttons are off (with ``needs_model`` as
    their tooltip) while no model is loaded."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.needs_model: str | None = None

    def set_needs_model(self, reason: str | None) -> None:
        self.needs_model = reason
        self._gate_actions()

    def set_conversation(self, conversation: Conversation | None) -> None:
        # node ids restart at 1 in every conversation: no card may outlive its conversation
        if conversation is not self.conversation:
            for view in self.views.values():
                self.column.removeWidget(view)
                view.deleteLater()
            self.views.clear()
        super().set_conversation(conversation)

    def rebuild(self) -> None:
        super().rebuild()
        self._gate_actions()

    def _gate_actions(self) -> None:
        for view in self.views.values():
            set_gate(view.action_btn, self.needs_model)


class ModelBar(QFrame):
    """Above the composer while no model is loaded: the conversation can be read and
    inspected, and here is how to continue it."""

    def __init__(self, window: MainWindow, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("modelBar")
        self.window_ = window
        self.path: Path | None = None
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.load_button = QPushButton(self)
        self.load_button.clicked.connect(self._load)
        self.open_button = QPushButton(self.tr("Open a model…"), self)
        self.open_button.clicked.connect(window.open_model_dialog)
        self.browse_button = QPushButton(self.tr("Models…"), self)
        self.browse_button.setToolTip(self.tr("Search, download and manage models"))
        self.browse_button.clicked.connect(window.open_models_window)
        for b in (self.load_button, self.open_button, self.browse_button):
            b.setAutoDefault(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.load_button)
        layout.addWidget(self.open_button)
        layout.addWidget(self.browse_button)
        self.set_model(None)
        self._restyle()

    def set_model(self, model: str | None, path: Path | None = None) -> None:
        """``model``: the model that wrote the conversation, as shown; ``path``: its file,
        when it is known and still there (a button loads it)."""
        text = self.tr("No model is loaded: you can read this conversation and inspect "
                       "every token. Load a model to continue it.")
        if model:
            text = self.tr("No model is loaded: you can read this conversation and inspect "
                           "every token. Load a model (it was written by %1) to continue "
                           "it.").replace("%1", model)
        self.label.setText(text)
        self.path = path
        self.load_button.setVisible(path is not None)
        if path is not None:
            self.load_button.setText(self.tr("Load %1").replace("%1", path.stem))
            self.load_button.setToolTip(str(path))

    def _load(self) -> None:
        if self.path is not None:
            self.window_.load_model(self.path)

    def _restyle(self) -> None:
        pal = self.palette()
        base = pal.color(QPalette.ColorRole.Window)
        accent = pal.color(QPalette.ColorRole.Highlight)
        t = 0.12
        mixed = (
            round(base.red() + (accent.red() - base.red()) * t),
            round(base.green() + (accent.green() - base.green()) * t),
            round(base.blue() + (accent.blue() - base.blue()) * t),
        )
        self.setStyleSheet(
            f"#modelBar {{ background: rgb{mixed}; border-top: 1px solid {accent.name()}; }}"
        )


class MainWindow(QMainWindow):
    """Construct with ``engine=`` (tests: an Engine already loaded, not owned) or
    ``model_path=`` (loaded in a thread); with neither, the last model or the first-run
    page. ``store`` isolates the settings (tests); ``history`` is the conversation
    database's file (default: in the user data directory)."""

    def __init__(
        self,
        store: SettingsStore | None = None,
        *,
        engine: Engine | None = None,
        model_path: str | Path | None = None,
        probe_build: bool = True,
        restore_layout: bool = True,
        history: str | Path | None = None,
    ) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.settings_store = store or SettingsStore()
        self.probe_build = probe_build
        self.threads = Threads(self)
        self.engine: Engine | None = None
        self._owns_engine = False
        self.build: dict[str, Any] | None = None
        self.session: ChatSession | None = None
        #: the conversation history; None when it could not be opened (memory only)
        self.store: Store | None = None
        self.history_path = Path(history) if history is not None else default_path()
        #: why the history is not (fully) available: (kind, message), kind one of
        #: "corrupt", "newer", "readonly", "error"
        self.history_problem: tuple[str, str] | None = None
        #: conversations not in the store (new, or saving failed), newest first
        self.unsaved: list[Conversation] = []
        #: saved conversations open in memory, by id (least recently shown first)
        self.opened: dict[int, Conversation] = {}
        #: conversations with changes the store does not have yet (saving failed)
        self._dirty: list[Conversation] = []
        self._save_error_shown = False
        self._reported_writer: ReplyWriter | None = None
        self._piece_cache: dict[str, PieceTable] = {}
        #: token texts known from imported files (never written to the store)
        self._imported_pieces: dict[str, PieceTable] = {}
        self._tokens_vocab: tuple[str, str] | None = None
        self._inspector_vocab: tuple[str, str] | None = None
        self.models_dialog: Any = None  # the Models window, made when first opened
        self.generation: GenerationWorker | None = None
        self.loading = False
        self._timeline_node: int | None = None
        self._closing = False
        self._panel_node: int | None = None
        self._panel_timer = QTimer(self)
        self._panel_timer.setSingleShot(True)
        self._panel_timer.setInterval(PANEL_INTERVAL_MS)
        self._panel_timer.timeout.connect(self._flush_panels)
        self._inspected: Node | None = None  #: the reply the inspector shows
        # the list is rebuilt after a rename, not inside the list's own signal
        self._list_timer = QTimer(self)
        self._list_timer.setSingleShot(True)
        self._list_timer.setInterval(0)
        self._list_timer.timeout.connect(self._refresh_conversation_list)

        self._open_history()
        self.current = self._make_conversation()

        self.setAcceptDrops(True)
        self.setStyleSheet(stylesheet(self.palette()))
        self._build_centre()
        self._build_docks()
        self._build_menus()
        self._build_status_bar()
        self._update_history_notice()
        self._refresh_conversation_list()
        self._show_conversation(self.current)
        self.resize(1280, 820)
        if restore_layout:
            geometry, state = self.settings_store.window_state()
            if geometry is not None:
                self.restoreGeometry(geometry)
            if state is not None:
                self.restoreState(state)
        self.heat_action.setChecked(self.settings_store.heat_mode)
        self._set_metric(self.settings_store.heat_metric)

        if engine is not None:
            from desktop.core import backend

            self._engine_ready(engine, backend.build_info().to_dict(), owned=False)
        else:
            path = model_path or self.settings_store.last_model
            if path and Path(path).is_file():
                self.stack.setCurrentWidget(self.chat_page)  # "Loading…" shows in the chat
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
        if self.history_problem is not None:
            QTimer.singleShot(0, self._report_history_problem)

    # --- building the window -------------------------------------------------------------

    def _build_centre(self) -> None:
        self.stack = QStackedWidget(self)
        self.first_run = FirstRunPage(self.stack)
        self.first_run.download_requested.connect(self.download_starter)
        self.first_run.open_requested.connect(self.open_model_dialog)
        self.first_run.browse_requested.connect(self.open_models_window)
        self.chat_page = QWidget(self.stack)
        layout = QVBoxLayout(self.chat_page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.legend = HeatLegend(self.chat_page)
        self.legend.metric_changed.connect(self._set_metric)
        self.legend.hide()
        self.chat = WindowChat(self.chat_page)
        self.chat.regenerate_requested.connect(self.regenerate)
        self.chat.edit_requested.connect(self.edit_message)
        self.chat.switch_requested.connect(self.switch_version)
        self.chat.token_selected.connect(self._on_chat_token)
        self.chat.status_message.connect(self._show_status)
        self.model_bar = ModelBar(self, self.chat_page)
        self.model_bar.hide()
        self.composer = Composer(self.chat_page)
        self.composer.send_requested.connect(self.send)
        self.composer.stop_requested.connect(self.stop)
        # Esc stops a reply wherever the focus is in the window (the composer handles it too)
        self.stop_shortcut = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        self.stop_shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        self.stop_shortcut.activated.connect(self.stop)
        layout.addWidget(self.legend)
        layout.addWidget(self.chat, 1)
        layout.addWidget(self.model_bar)
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
        self.conversation_list.search_changed.connect(self._on_search)
        self.conversations_dock = self._dock(
            self.conversation_list, self.tr("Conversations"), "conversationsDock", left
        )
        self.inspector = InspectorPanel()
        self.inspector.branch_requested.connect(self.branch)
        gate(self.inspector.branch_button)
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
        self.resizeDocks([self.conversations_dock], [240], Qt.Orientation.Horizontal)
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
        self.models_action = file_menu.addAction(self.tr("&Models…"))
        self.models_action.setShortcut(QKeySequence("Ctrl+M"))
        self.models_action.setToolTip(self.tr("Search, download and manage models"))
        self.models_action.triggered.connect(self.open_models_window)
        file_menu.addSeparator()
        self.new_action = file_menu.addAction(self.tr("&New chat"))
        self.new_action.setShortcut(QKeySequence.StandardKey.New)
        self.new_action.triggered.connect(self.new_conversation)
        self.export_action = file_menu.addAction(self.tr("&Export conversation…"))
        self.export_action.setShortcut(QKeySequence("Ctrl+Shift+E"))
        self.export_action.triggered.connect(self.export_conversation)
        self.import_action = file_menu.addAction(self.tr("&Import conversation…"))
        self.import_action.triggered.connect(self.import_conversation)
        file_menu.addSeparator()
        self.quit_action = file_menu.addAction(self.tr("&Quit"))
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(self.close)
        self.find_shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self)
        self.find_shortcut.activated.connect(self._focus_search)

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
        self.metric_group.triggered.connect(self._on_metric_action)
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
        about_qt.triggered.connect(self._about_qt)
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

    @Slot(str)
    def _show_status(self, message: str) -> None:
        self.statusBar().showMessage(message, 3000)

    @Slot()
    def _about_qt(self) -> None:
        QMessageBox.aboutQt(self)

    @Slot(QAction)
    def _on_metric_action(self, action: QAction) -> None:
        self._set_metric(str(action.data()))

    # --- busy state ----------------------------------------------------------------------

    @property
    def generating(self) -> bool:
        return self.generation is not None

    def _set_busy(self, message: str | None) -> None:
        self.busy_bar.setVisible(message is not None)
        self.busy_label.setVisible(message is not None)
        self.busy_label.setText(message or "")

    def needs_model_text(self) -> str:
        return self.tr("Load a model to continue this conversation")

    def _update_actions(self) -> None:
        gen, loading = self.generating, self.loading
        self.open_action.setEnabled(not gen and not loading)
        self.settings_action.setEnabled(True)
        self.conversation_list.setEnabled(not gen)
        self.new_action.setEnabled(not gen)
        self.export_action.setEnabled(not gen and bool(self.current.nodes))
        self.import_action.setEnabled(not gen)
        can_chat = self.session is not None and not loading
        self.composer.setEnabled(can_chat)
        self.composer.set_busy(gen)
        if not can_chat and not loading:
            hint = (self.needs_model_text() if self.current.nodes
                    else self.tr("Load a model to start chatting"))
            self.composer.edit.setPlaceholderText(hint)
            self.composer.button.setToolTip(hint)
            self.composer.edit.setToolTip(hint)
        else:
            self.composer.edit.setToolTip("")
        self.stop_shortcut.setEnabled(gen)  # otherwise Esc belongs to editors and dialogs
        self.chat.set_busy(gen, self.generation.node_id if self.generation else None)
        self.chat.set_needs_model(None if self.session is not None else self.needs_model_text())
        self.model_bar.setVisible(self.engine is None and not loading)
        self._update_branch_gate()

    # --- models ----------------------------------------------------------------------------

    @Slot()
    def open_model_dialog(self) -> None:
        if self.generating or self.loading:
            return
        start = self.settings_store.last_dir or str(Path.home())
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Open a model"), start, self.tr("GGUF models (*.gguf);;All files (*)")
        )
        if path:
            self.settings_store.last_dir = str(Path(path).parent)
            self.load_model(path)

    @Slot()
    def open_models_window(self) -> Any:
        """Show the Models window (one, kept, non-modal); returns it."""
        if self.models_dialog is None:
            from desktop.ui.models_dialog import ModelsDialog

            dialog = ModelsDialog(
                self, self.settings_store.load_options().n_ctx,
                settings=self.settings_store.qsettings,
            )
            dialog.load_requested.connect(self.load_model)
            self.models_dialog = dialog
        self.models_dialog.show()
        self.models_dialog.raise_()
        self.models_dialog.activateWindow()
        return self.models_dialog

    @Slot(str)
    def load_model(self, path: str | Path) -> None:
        """Load a model in a worker thread; the window stays responsive meanwhile."""
        if self.generating:
            self.statusBar().showMessage(self.tr("Stop the reply first."), 4000)
            return
        if self.loading:
            return
        path = Path(path)
        self.loading = True
        options = self.settings_store.load_options()
        if self.engine is not None and self._owns_engine:
            self.engine.close()  # free its memory before the next one loads
        self.engine = None
        self.session = None
        self._forget_vocab()
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
        if not self.current.nodes:
            self.stack.setCurrentWidget(self.first_run)
        if not self._closing:
            QMessageBox.warning(self, self.tr("Could not load the model"), message)

    @Slot(object)
    def _on_engine_loaded(self, result: tuple[Engine, dict[str, Any]]) -> None:
        self.loading = False  # the worker's last act; "done" follows
        self.chat.set_notice(None)
        self._set_busy(None)
        self._engine_ready(*result, owned=True)

    def _engine_ready(self, engine: Engine, build: dict[str, Any], owned: bool) -> None:
        if self._closing:
            if owned:
                engine.close()
            return
        self.engine = engine
        self._owns_engine = owned
        self.build = build
        self.settings_store.last_model = str(engine.path)
        self.settings_store.remember_model(engine.name, str(engine.path))
        self.session = ChatSession(
            engine,
            settings=self.settings_store.sampler_settings(),
            max_tokens=self.settings_store.max_tokens,
            conversation=self.current,
            store=self._writable_store(),
        )
        self._forget_vocab()
        self.performance.set_backend(build)
        self.performance.set_gpu_layers(engine.options.n_gpu_layers)
        # the file's name: what the user chose (general.name can be a training run's id)
        self.chat.model_names[engine.name] = engine.path.stem
        self.model_label.setText(engine.path.stem)
        self.model_label.setToolTip(f"{engine.name}\n{engine.path}")
        self.backend_label.setText(self._backend_text())
        self.first_run.set_busy(None)
        self.stack.setCurrentWidget(self.chat_page)
        self._update_actions()
        self._update_chat_vocab()
        self.chat.rebuild()
        self._show_reply_panels(self.last_reply())
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

    # --- token texts: the model's, or the store's --------------------------------------------

    def _forget_vocab(self) -> None:
        self._piece_cache.clear()
        self._tokens_vocab = None
        self._inspector_vocab = None

    def _uses_engine(self, model: str) -> bool:
        return self.engine is not None and (not model or model == self.engine.name)

    def _stored_pieces(self, model: str) -> PieceTable:
        table = self._piece_cache.get(model)
        if table is None:
            table = {}
            if self.store is not None and model:
                try:
                    table = self.store.pieces(model)
                except (StoreError, sqlite3.Error) as exc:
                    log.warning("could not read token texts: %s", exc)
            for token, value in self._imported_pieces.get(model, {}).items():
                table.setdefault(token, value)
            self._piece_cache[model] = table
        return table

    def vocab(self, model: str) -> tuple[PieceFn | None, SpecialFn | None]:
        """How to name the tokens of a reply written by ``model``: the loaded model's
        vocabulary when it wrote it, else what the store kept (None: nothing known)."""
        engine = self.engine
        if engine is not None and self._uses_engine(model):
            return engine.piece, engine.is_special
        table = self._stored_pieces(model)
        if not table:
            return None, None
        stored = StoredVocab(table)
        return stored.piece, stored.is_special

    def _vocab_key(self, model: str) -> tuple[str, str]:
        if self.engine is not None and self._uses_engine(model):
            return "engine", self.engine.name
        return "stored", model

    def _piece_of(self, model: str, token: int) -> bytes:
        """For JSON exports: a token's bytes (empty when nothing knows them)."""
        piece, _ = self.vocab(model)
        if piece is None:
            return b""
        text = piece(token)
        return b"" if text == unknown_piece(token) and not self._uses_engine(model) else text

    def _set_tokens_vocab(self, model: str) -> None:
        key = self._vocab_key(model)
        if key == self._tokens_vocab:
            return
        self._tokens_vocab = key
        piece, special = self.vocab(model)
        # the live tokenizer only for the model the prompt was written with
        tokenize = self.engine.tokenize if self.engine and self._uses_engine(model) else None
        self.tokens.set_engine_fns(piece, special, tokenize)

    def _set_inspector_vocab(self, model: str) -> None:
        key = self._vocab_key(model)
        if key == self._inspector_vocab:
            return
        self._inspector_vocab = key
        piece, _ = self.vocab(model)
        self.inspector.set_piece_fn(piece or unknown_piece)

    def _update_chat_vocab(self) -> None:
        """Heat mode groups special tokens apart: the vocabulary of the conversation's
        replies (the model's, or the stored one)."""
        reply = self.last_reply()
        model = reply.model if reply is not None else ""
        _, special = self.vocab(model)
        self.chat.is_special = special

    # --- the conversation history ------------------------------------------------------------

    def _open_history(self) -> None:
        """Open the store; on bad ground, remember why and go on in memory."""
        self.store = None
        self.history_problem = None
        try:
            store = Store(self.history_path)
        except StoreCorruptError as exc:
            self.history_problem = ("corrupt", str(exc))
        except StoreNewerError as exc:
            self.history_problem = ("newer", str(exc))
        except StoreReadOnlyError as exc:
            self.history_problem = ("readonly", str(exc))
        except StoreError as exc:
            self.history_problem = ("error", str(exc))
        except Exception as exc:  # e.g. a data directory that cannot be made
            log.exception("could not open the conversation history")
            self.history_problem = ("error", unexpected_error(exc))
        else:
            self.store = store
            if store.readonly:
                self.history_problem = ("readonly", self.tr(
                    "%1 is read-only: your conversations can be read, but new ones and "
                    "changes are not saved. Check the file's permissions."
                ).replace("%1", str(self.history_path)))
        if self.history_problem is not None:
            log.warning("conversation history: %s", self.history_problem[1])

    def _writable_store(self) -> Store | None:
        store = self.store
        return store if store is not None and not store.readonly else None

    def _update_history_notice(self) -> None:
        problem = self.history_problem
        if problem is None:
            self.conversation_list.set_notice(None)
            self.conversation_list.set_editable(True)
            return
        if self.store is not None:  # read-only
            self.conversation_list.set_notice(self.tr("Read-only: changes are not saved."),
                                              problem[1])
            self.conversation_list.set_editable(
                False, self.tr("The conversation history is read-only"))
        else:
            self.conversation_list.set_notice(
                self.tr("Conversations are not saved in this session."), problem[1])
            self.conversation_list.set_editable(True)

    @Slot()
    def _report_history_problem(self) -> None:
        """Tell the user what is wrong with the history (once, after the window shows)."""
        problem = self.history_problem
        if problem is None or self._closing:
            return
        kind, message = problem
        if kind == "corrupt" and self.history_path.exists():
            if self.confirm_move_aside(message):
                self.move_history_aside()
            return
        if kind == "readonly":
            QMessageBox.information(self, self.tr("Conversations are read-only"), message)
            return
        QMessageBox.warning(
            self, self.tr("Conversations are not saved"),
            message + "\n\n" + self.tr("Tokenscope works as usual, but conversations are only "
                                       "kept until it closes."),
        )

    def confirm_move_aside(self, message: str) -> bool:
        """Ask whether to move a damaged history aside and start a new one."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("The conversation history cannot be read"))
        box.setText(message)
        box.setInformativeText(self.tr(
            "Tokenscope can move the file aside (it is renamed, not deleted) and start a new, "
            "empty history. Otherwise conversations are only kept until Tokenscope closes."))
        move = box.addButton(self.tr("Move the file aside and start a new history"),
                             QMessageBox.ButtonRole.AcceptRole)
        box.addButton(self.tr("Continue without saving"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(move)
        box.exec()
        return box.clickedButton() is move

    def move_history_aside(self) -> Path | None:
        """Rename the damaged database to ``<name>.corrupt-<timestamp>`` (never delete it)
        and open a new, empty one. Returns where the old file went."""
        path = self.history_path
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = path.with_name(f"{path.name}.corrupt-{stamp}")
        try:
            path.rename(target)
            for suffix in ("-wal", "-shm"):  # SQLite's side files go with it
                side = path.with_name(path.name + suffix)
                if side.exists():
                    side.rename(target.with_name(target.name + suffix))
        except OSError as exc:
            QMessageBox.warning(
                self, self.tr("Could not move the file"),
                self.tr("%1 could not be renamed: %2").replace("%1", str(path))
                .replace("%2", exc.strerror or str(exc)),
            )
            return None
        log.warning("moved a damaged conversation history to %s", target)
        self._open_history()
        if self.session is not None:
            self.session.store = self._writable_store()
        self._update_history_notice()
        self._refresh_conversation_list()
        if self.store is not None:
            self.statusBar().showMessage(
                self.tr("The damaged history was kept as %1; a new one is started.")
                .replace("%1", target.name), 10000,
            )
        elif not self._closing:
            QTimer.singleShot(0, self._report_history_problem)
        return target

    def _save_failed(self, conv: Conversation, error: StoreError) -> None:
        """Saving did not work: keep the conversation in memory, say so (one dialog)."""
        if not any(c is conv for c in self._dirty):
            self._dirty.append(conv)
        message = str(error)
        self.statusBar().showMessage(message, 15000)
        if conv.id is None and not any(c is conv for c in self.unsaved):
            self.unsaved.insert(0, conv)
        if not self._save_error_shown and not self._closing:
            self._save_error_shown = True
            QMessageBox.warning(
                self, self.tr("The conversation could not be saved"),
                message + "\n\n" + self.tr("It stays open until Tokenscope closes; saving is "
                                           "tried again with the next change."),
            )

    def _settle(self, conv: Conversation) -> bool:
        """Save the whole of a conversation an earlier save missed. True if it is saved."""
        store = self._writable_store()
        if store is None or not any(c is conv for c in self._dirty):
            return not any(c is conv for c in self._dirty)
        try:
            store.save(conv)
        except StoreError as exc:
            self._save_failed(conv, exc)
            return False
        self._dirty = [c for c in self._dirty if c is not conv]
        self._remember(conv)
        return True

    def _touch(self, conv: Conversation) -> None:
        """Save a conversation's own fields (title, selected branch)."""
        store = self._writable_store()
        if store is None or not conv.nodes:
            return
        if not self._settle(conv):
            return
        try:
            store.touch(conv)
        except StoreError as exc:
            self._save_failed(conv, exc)
            return
        self._remember(conv)

    def _remember(self, conv: Conversation) -> None:
        """Keep a saved conversation open in memory (a few of them, the latest shown)."""
        if conv.id is None:
            return
        self.unsaved = [c for c in self.unsaved if c is not conv]
        self.opened.pop(conv.id, None)
        self.opened[conv.id] = conv
        for conv_id, other in list(self.opened.items()):
            if len(self.opened) <= OPEN_CONVERSATIONS:
                break
            if other is not self.current and not any(c is other for c in self._dirty):
                del self.opened[conv_id]

    # --- conversations ---------------------------------------------------------------------

    def _make_conversation(self) -> Conversation:
        conv = Conversation(title="", system=self.settings_store.system_prompt)
        self.unsaved.insert(0, conv)
        return conv

    def conversation_title(self, conv: Conversation) -> str:
        return conv.title or self.tr("New chat")

    def _messages_text(self, n: int) -> str:
        if n == 1:
            return self.tr("1 message")
        return self.tr("%1 messages").replace("%1", str(n))

    @staticmethod
    def _matches(conv: Conversation, search: str) -> bool:
        needle = search.lower()
        return needle in conv.title.lower() or any(
            needle in n.content.lower() for n in conv.nodes.values()
        )

    def _entries(self) -> list[Entry]:
        search = self.conversation_list.search_text()
        entries: list[Entry] = []
        for conv in list(self.unsaved):
            if conv.id is not None:  # saved since: the store lists it now
                self._remember(conv)
                continue
            if search and not self._matches(conv, search):
                continue
            title = self.conversation_title(conv)
            if conv.nodes:
                subtitle = self.tr("%1 · not saved").replace(
                    "%1", self._messages_text(len(conv.nodes)))
                tip = self.tr("%1\nThis conversation is not saved.").replace("%1", title)
            else:
                subtitle, tip = self.tr("no messages yet"), title
            entries.append(Entry(title, subtitle, tip, conv=conv))
        if self.store is not None:
            try:
                summaries = self.store.list(search or None)
            except (StoreError, sqlite3.Error) as exc:
                log.warning("could not list the conversations: %s", exc)
                summaries = []
            for summary in summaries:
                loaded = self.opened.get(summary.id)
                title = (loaded.title if loaded is not None else summary.title) or self.tr(
                    "Untitled")
                stamp = when_text(summary.updated)
                subtitle = f"{stamp} · {self._messages_text(summary.n_messages)}"
                tip = f"{title}\n{subtitle}"
                if summary.snippet:
                    subtitle = f"…{summary.snippet.strip()}…"
                    tip = f"{title}\n{subtitle}"
                entries.append(Entry(title, subtitle, tip, conv_id=summary.id))
        return entries

    def _refresh_conversation_list(self) -> None:
        lst = self.conversation_list
        entries = self._entries()
        lst.set_entries(entries, -1)
        lst.list.blockSignals(True)
        lst.list.setCurrentRow(lst.row_of(self.current))
        lst.list.blockSignals(False)

    @Slot(str)
    def _on_search(self, _text: str) -> None:
        self._refresh_conversation_list()

    @Slot()
    def _focus_search(self) -> None:
        if self.conversations_dock.isHidden():
            self.conversations_dock.show()
        self.conversation_list.search.setFocus()
        self.conversation_list.search.selectAll()

    def _conversation_for(self, entry: Entry) -> Conversation | None:
        if entry.conv is not None:
            return entry.conv
        if entry.conv_id is None:
            return None
        conv = self.opened.get(entry.conv_id)
        if conv is not None:
            return conv
        if self.store is None:
            return None
        try:
            conv = self.store.load(entry.conv_id)
        except StoreError as exc:
            message = str(exc)
        except Exception as exc:  # a damaged row: say so, keep going
            log.exception("could not open conversation %s", entry.conv_id)
            message = unexpected_error(exc)
        else:
            self._remember(conv)
            return conv
        QMessageBox.warning(self, self.tr("Could not open the conversation"), message)
        return None

    def open_conversation(self, conv_id: int) -> Conversation | None:
        """Show the saved conversation ``conv_id`` (as selecting it in the list does)."""
        row = self.conversation_list.row_of(conv_id)
        if row < 0:
            self.conversation_list.search.clear()
            self._refresh_conversation_list()
            row = self.conversation_list.row_of(conv_id)
        if row < 0:
            return None
        self.conversation_list.list.setCurrentRow(row)
        return self.current if self.current.id == conv_id else None

    def _show_conversation(self, conv: Conversation) -> None:
        self.current = conv
        if self.session is not None:
            self.session.conversation = conv
        self._update_chat_vocab()
        self._name_models(conv)
        self.chat.set_conversation(conv)
        self._update_title()
        reply = self.last_reply()
        self._show_reply_panels(reply)
        self._update_model_bar()
        if self.engine is None and not self.loading:
            self.stack.setCurrentWidget(self.chat_page if conv.nodes else self.first_run)
        self._update_actions()

    def _name_models(self, conv: Conversation) -> None:
        """Show each reply's model by the name of the file it was loaded from, as the
        status bar does (the name inside a GGUF can be a training run's id)."""
        for node in conv.nodes.values():
            if node.model and node.model not in self.chat.model_names:
                file = self.settings_store.model_file(node.model)
                if file:
                    self.chat.model_names[node.model] = Path(file).stem

    def _update_model_bar(self) -> None:
        reply = self.last_reply()
        if reply is None or not reply.model:
            self.model_bar.set_model(None)
            return
        file = self.settings_store.model_file(reply.model)
        path = Path(file) if file and Path(file).is_file() else None
        self.model_bar.set_model(self.chat.model_names.get(reply.model, reply.model), path)

    def _update_title(self) -> None:
        self.setWindowTitle(f"{self.conversation_title(self.current)} — {APP_NAME}")

    def _on_conversation_row(self, row: int) -> None:
        entries = self.conversation_list.entries
        if not 0 <= row < len(entries):
            return
        conv = self._conversation_for(entries[row])
        if conv is None:
            self._refresh_conversation_list()
            return
        if conv is not self.current:
            self._show_conversation(conv)

    def _on_conversation_renamed(self, item: QListWidgetItem) -> None:
        row = self.conversation_list.list.row(item)
        entries = self.conversation_list.entries
        if not 0 <= row < len(entries):
            return
        entry = entries[row]
        title = " ".join(item.text().split())
        # the list is rebuilt after this signal, not inside it (the item is still in use)
        self._list_timer.start()
        if not title or title == entry.title:
            return
        conv = entry.conv or (self.opened.get(entry.conv_id) if entry.conv_id else None)
        if conv is not None:
            conv.title = title
        entry.title = title
        if entry.conv_id is not None:
            store = self._writable_store()
            if store is None:
                return
            try:
                store.rename(entry.conv_id, title)
            except StoreError as exc:
                if conv is not None:
                    self._save_failed(conv, exc)
                else:
                    QMessageBox.warning(self, self.tr("Could not rename the conversation"),
                                        str(exc))
        self._update_title()

    @Slot()
    def new_conversation(self) -> None:
        if self.generating:
            return
        if self.conversation_list.search_text():
            self.conversation_list.search.blockSignals(True)
            self.conversation_list.search.clear()
            self.conversation_list.search.blockSignals(False)
        if not self.current.nodes:
            self._refresh_conversation_list()
            self.composer.edit.setFocus()  # the current one is still empty: reuse it
            return
        draft = next((c for c in self.unsaved if not c.nodes), None)
        conv = draft or self._make_conversation()
        self.current = conv
        self._refresh_conversation_list()
        self._show_conversation(conv)
        self.composer.edit.setFocus()

    @Slot()
    def rename_conversation(self) -> None:
        lst = self.conversation_list.list
        item = lst.currentItem()
        if item is None or self.generating:
            return
        row = lst.row(item)
        entry = self.conversation_list.entries[row]
        if entry.conv_id is not None and self._writable_store() is None:
            return
        lst.editItem(item)

    @Slot()
    def delete_conversation(self) -> None:
        if self.generating:
            return
        lst = self.conversation_list
        row = lst.list.currentRow()
        if not 0 <= row < len(lst.entries):
            return
        entry = lst.entries[row]
        conv = entry.conv
        if conv is None and entry.conv_id is not None:
            conv = self.opened.get(entry.conv_id)
        if entry.conv_id is not None or (conv is not None and conv.nodes):
            answer = QMessageBox.question(
                self,
                self.tr("Delete conversation"),
                self.tr("Delete “%1”? This cannot be undone.").replace("%1", entry.title),
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        was_current = conv is self.current or (
            entry.conv_id is not None and self.current.id == entry.conv_id)
        if entry.conv_id is not None:
            store = self._writable_store()
            if store is None:
                return
            try:
                store.delete(entry.conv_id)
            except StoreError as exc:
                QMessageBox.warning(self, self.tr("Could not delete the conversation"),
                                    str(exc))
                return
            gone = self.opened.pop(entry.conv_id, None)
            self._dirty = [c for c in self._dirty if c is not gone]
        else:
            self.unsaved = [c for c in self.unsaved if c is not conv]
            self._dirty = [c for c in self._dirty if c is not conv]
        if not was_current:
            self._refresh_conversation_list()
            return
        entries = self._entries()
        nxt: Conversation | None = None
        while entries and nxt is None:
            candidate = entries.pop(min(row, len(entries) - 1))
            nxt = self._conversation_for(candidate)
        if nxt is None:
            nxt = next((c for c in self.unsaved if not c.nodes), None) or \
                self._make_conversation()
        self.current = nxt
        self._refresh_conversation_list()
        self._show_conversation(nxt)

    # --- export and import ------------------------------------------------------------------

    def _export_folder(self) -> Path:
        folder = self.settings_store.export_dir
        return Path(folder) if folder and Path(folder).is_dir() else Path.home()

    @Slot()
    def export_conversation(self) -> Path | None:
        """Save the current conversation as Markdown (what is shown) or JSON (the whole
        tree with every token's trace, for importing). Returns the file written."""
        conv = self.current
        if not conv.nodes or self.generating:
            return None
        md = self.tr("Markdown (*.md)")
        js = self.tr("JSON with every token’s details (*.json)")
        name = "".join(c if c.isalnum() or c in " -_" else "_"
                       for c in self.conversation_title(conv)).strip() or "conversation"
        path_text, chosen = QFileDialog.getSaveFileName(
            self, self.tr("Export conversation"), str(self._export_folder() / f"{name}.md"),
            f"{md};;{js}",
        )
        if not path_text:
            return None
        path = Path(path_text)
        as_json = path.suffix.lower() == ".json" or (chosen == js and path.suffix.lower()
                                                     != ".md")
        if not path.suffix:
            path = path.with_suffix(".json" if as_json else ".md")
        try:
            text = (export.dumps(conv, self._piece_of) if as_json
                    else export.to_markdown(conv))
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            QMessageBox.warning(
                self, self.tr("Could not export the conversation"),
                self.tr("%1 could not be written: %2").replace("%1", str(path))
                .replace("%2", exc.strerror or str(exc)),
            )
            return None
        self.settings_store.export_dir = str(path.parent)
        self.statusBar().showMessage(self.tr("Exported to %1").replace("%1", str(path)), 6000)
        return path

    @Slot()
    def import_conversation(self) -> Conversation | None:
        """Open a conversation exported as JSON: it is saved and selected."""
        if self.generating:
            return None
        path_text, _ = QFileDialog.getOpenFileName(
            self, self.tr("Import conversation"), str(self._export_folder()),
            self.tr("Tokenscope conversations (*.json);;All files (*)"),
        )
        if not path_text:
            return None
        return self.import_file(Path(path_text))

    def import_file(self, path: Path) -> Conversation | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            conv = export.from_json(data)
            pieces = export.pieces_from_json(data)
        except export.ImportFormatError as exc:
            message = str(exc)
        except (UnicodeDecodeError, json.JSONDecodeError):
            message = self.tr("%1 is not a Tokenscope conversation export (it is not JSON "
                              "text).").replace("%1", path.name)
        except OSError as exc:
            message = self.tr("%1 could not be read: %2").replace("%1", str(path)).replace(
                "%2", exc.strerror or str(exc))
        except Exception as exc:  # a file shaped unlike any export: say so, keep going
            log.exception("import failed")
            message = unexpected_error(exc)
        else:
            return self._add_imported(conv, path, pieces)
        QMessageBox.warning(self, self.tr("Could not import the conversation"), message)
        return None

    def _add_imported(
        self, conv: Conversation, path: Path,
        pieces: dict[str, dict[int, tuple[bytes, bool]]] | None = None,
    ) -> Conversation:
        self.settings_store.export_dir = str(path.parent)
        for model, table in (pieces or {}).items():  # token texts carried by the export
            self._imported_pieces.setdefault(model, {}).update(table)
            self._piece_cache.pop(model, None)
        if not conv.title:
            first = next((n for n in conv.path() if n.role == "user"), None)
            conv.title = auto_title(first.content) if first is not None else path.stem
        for node in conv.nodes.values():  # the chosen tokens' texts are in the traces
            if node.model and node.traces:
                known = self._imported_pieces.setdefault(node.model, {})
                for t in node.traces:
                    known.setdefault(t.token, (t.piece, False))
                self._piece_cache.pop(node.model, None)
        store = self._writable_store()
        saved = False
        if store is not None:
            try:
                for model, table in (pieces or {}).items():
                    store.save_pieces(model, table)
                store.save(conv)
                saved = True
            except StoreError as exc:
                conv.id = None
                self._save_failed(conv, exc)
        if saved:
            self._remember(conv)
        elif not any(c is conv for c in self.unsaved):
            self.unsaved.insert(0, conv)
        if self.conversation_list.search_text():
            self.conversation_list.search.clear()
        self.current = conv
        self._refresh_conversation_list()
        self._show_conversation(conv)
        self.statusBar().showMessage(
            self.tr("Imported “%1”").replace("%1", self.conversation_title(conv)), 6000)
        return conv

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
            self.current.title = auto_title(text)
            self._update_title()
        self.chat.scroll_to_bottom()
        self._start(lambda cancel: session.send(text, cancel))
        self._refresh_conversation_list()

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

    def branch_block(self, node: Node | None) -> str | None:
        """Why reply ``node`` cannot be branched now (None: it can)."""
        if self.session is None or self.engine is None:
            return self.needs_model_text()
        if node is not None and node.model and node.model != self.engine.name:
            return self.tr("Branching needs the model that wrote this reply (%1); %2 is "
                           "loaded.").replace("%1", node.model).replace("%2", self.engine.name)
        return None

    def _update_branch_gate(self) -> None:
        set_gate(self.inspector.branch_button, self.branch_block(self._inspected))

    @Slot(int, int, int)
    def branch(self, node_id: int, index: int, token: int) -> None:
        session = self.session
        node = self.current.nodes.get(node_id)
        if session is None or self.generating or node is None:
            return
        reason = self.branch_block(node)
        if reason is not None:
            self.statusBar().showMessage(reason, 6000)
            return
        self._start(lambda cancel: session.branch(node_id, index, token, cancel))

    @Slot()
    def stop(self) -> None:
        if self.generation is not None:
            self.generation.cancel.set()
            self.statusBar().showMessage(self.tr("Stopping…"), 2000)

    def _start(self, start: StartFn) -> None:
        assert self.session is not None
        self.session.settings = self.settings_store.sampler_settings()
        self.session.max_tokens = self.settings_store.max_tokens
        self.session.store = self._writable_store()
        self._settle(self.current)  # an earlier save failed: try the whole of it first
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
        self.chat.set_busy(True, node_id)
        self.chat.selected = None
        self.chat.rebuild()
        node = self.current.nodes[node_id]
        self.inspector.clear()
        self._inspected = None
        self._update_branch_gate()
        self.timeline.set_reply(node)
        self._timeline_node = node_id

    def _on_prompt_done(self, node_id: int, plan: ContextPlan | None) -> None:
        node = self.current.nodes.get(node_id)
        if node is None:
            return
        plan = plan or plan_of(node)
        if plan is not None:
            self.context_panel.set_plan(plan, len(node.traces), self._plan_texts(node))
        self._set_tokens_vocab(node.model)
        self.tokens.set_prompt(list(node.prompt_tokens))
        self.performance.set_stats(dict(node.stats))
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
        if "message_tokens" in node.stats:
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
        if "message_tokens" in node.stats:
            self.context_panel.set_reply_tokens(len(node.traces))
        self.performance.set_stats(dict(node.stats))
        self._update_status(node)

    def _on_failed(self, message: str) -> None:
        self.statusBar().showMessage(message, 10000)
        if not self._closing:
            QMessageBox.warning(self, self.tr("The reply could not be written"), message)

    def _on_generation_done(self) -> None:
        self.generation = None
        conv = self.current
        writer = self.session.last_writer if self.session is not None else None
        if writer is not None and writer is not self._reported_writer:
            self._reported_writer = writer
            if writer.error is not None:
                self._save_failed(writer.conv, writer.error)
            else:
                self._remember(writer.conv)
        self._piece_cache.clear()  # the reply's token texts are in the store now
        if not conv.nodes and conv.id is None:
            conv.title = ""  # the message could not be answered and was taken back out
        self._update_actions()
        self.chat.rebuild()
        if not self._closing:
            self._refresh_conversation_list()
            self._update_title()
            if conv is self.current:
                self.composer.edit.setFocus()

    def _update_status(self, node: Node | None = None) -> None:
        node = node or self.last_reply()
        if self.engine is not None and (node is None or self._uses_engine(node.model)):
            n_ctx = self.engine.n_ctx
        else:
            n_ctx = int(node.stats.get("n_ctx", 0)) if node is not None else 0
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
        self._touch(self.current)  # the selected branch is remembered

    def _show_reply_panels(self, node: Node | None) -> None:
        """Point the panels at a reply (the last one on the path, usually)."""
        self.inspector.clear()
        self._inspected = None
        self._update_branch_gate()
        if node is None:
            self._set_tokens_vocab(self.engine.name if self.engine is not None else "")
            self.timeline.set_reply(Node(0, "assistant", "", None))  # empty: clears it
            self.context_panel.clear()
            self.tokens.set_prompt([])
            self.performance.set_stats({})
            self._timeline_node = None
            self._update_status(None)
            return
        self._set_tokens_vocab(node.model)
        self.timeline.set_reply(node)
        self._timeline_node = node.id
        self.tokens.set_prompt(list(node.prompt_tokens))
        plan = plan_of(node)
        if plan is not None:
            self.context_panel.set_plan(plan, len(node.traces), self._plan_texts(node))
        else:
            self.context_panel.clear()
        self.performance.set_stats(dict(node.stats))
        self._update_status(node)

    def _plan_texts(self, reply: Node) -> list[str]:
        """The contents of the messages a reply's context plan counted (system first)."""
        return [m.content for m in self.current.messages(reply.parent)]

    def _select(self, node_id: int, index: int) -> None:
        node = self.current.nodes.get(node_id)
        if node is None or not 0 <= index < len(node.traces):
            return
        self._set_inspector_vocab(node.model)
        self.inspector.show_token(node, index)
        self._inspected = node
        self._update_branch_gate()
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
        self.settings_store.heat_mode = on

    def _set_metric(self, metric: str) -> None:
        if metric not in self.metric_actions:
            return
        self.metric_actions[metric].setChecked(True)
        self.legend.set_metric(metric)
        self.chat.set_heat(self.chat.heat_mode, metric)
        self.settings_store.heat_metric = metric

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
        dialog = SettingsDialog(self.settings_store, offload, self)
        if not dialog.exec():
            return
        if self.session is not None:
            self.session.settings = self.settings_store.sampler_settings()
            self.session.max_tokens = self.settings_store.max_tokens
        if not self.current.nodes:
            self.current.system = self.settings_store.system_prompt
        if dialog.load_options_changed and self.models_dialog is not None:
            self.models_dialog.set_n_ctx(self.settings_store.load_options().n_ctx)
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
        self.settings_store.set_window_state(self.saveGeometry(), self.saveState())
        self.settings_store.sync()
        if self.models_dialog is not None:
            self.models_dialog.shutdown()
            self.models_dialog.close()
        if self.generation is not None:
            self.generation.cancel.set()
        self.threads.wait_all()
        QCoreApplication.processEvents()
        if self.engine is not None and self._owns_engine:
            self.engine.close()
            self.engine = None
        if self.store is not None:
            self.store.close()
            self.store = None
        super().closeEvent(event)
