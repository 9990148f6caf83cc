"""The main window: conversations on the left, the chat in the middle, panels around it.

The window only assembles. What it is about now is an ``AppState`` (``window.state``);
controllers change it — ``models`` (load, unload, the starter model), ``conversations``
(the list, open, new, rename, delete), ``exchange`` (import, export), ``generation``
(send, regenerate, edit, branch, stop), ``history`` (the store) — and every view
subscribes to it (``desktop.ui.window.links``, ``chat_page``, ``status_bar``). Menus and
shortcuts are data (``desktop.ui.window.actions``). None of the panels calls the model,
so a saved conversation can be read and inspected with no model loaded.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QWidget

import desktop.ui.compat  # noqa: F401  (first: a PySide6 bug work-around)
from desktop import APP_NAME
from desktop.core.engine import Engine
from desktop.core.store import default_path
from desktop.ui.composer import Composer
from desktop.ui.conversation_list import ConversationList
from desktop.ui.first_run import FirstRunPage
from desktop.ui.panels import (
    ContextPanel,
    InspectorPanel,
    PerformancePanel,
    TimelinePanel,
    TokensPanel,
)
from desktop.ui.settings_store import SettingsStore
from desktop.ui.style import stylesheet
from desktop.ui.window import actions
from desktop.ui.window.chat_page import CentralStack, WindowChat
from desktop.ui.window.conversations import Conversations
from desktop.ui.window.exchange import Exchange
from desktop.ui.window.generation import Generation
from desktop.ui.window.history import History
from desktop.ui.window.lab import Lab
from desktop.ui.window.links import (
    ContextLink,
    InspectorLink,
    PerformanceLink,
    TimelineLink,
    TokensLink,
)
from desktop.ui.window.models import Models
from desktop.ui.window.preferences import Preferences
from desktop.ui.window.state import AppState
from desktop.ui.window.status_bar import StatusLine
from desktop.ui.window.vocab import Vocabularies
from desktop.ui.worker import Threads


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
        self.settings_store = settings = store or SettingsStore()
        self.threads = Threads(self)
        self.state = state = AppState(self)
        self.history = History(state, Path(history) if history is not None else default_path(),
                               self)
        self.history.open()
        self.vocab = Vocabularies(state, lambda: self.history.store)
        state.current = self.history.make_conversation(settings.system_prompt)

        self.setAcceptDrops(True)
        self.setStyleSheet(stylesheet(self.palette()))
        self.page = CentralStack(settings, self)
        self.setCentralWidget(self.page)
        self.page.follow(state, self.vocab)
        self._build_docks()
        self.conversations = Conversations(state, self.history, self.conversation_list,
                                           settings, self)
        self.exchange = Exchange(state, self.history, self.conversations, self.vocab,
                                 settings, self)
        self.generation = Generation(state, self.history, self.vocab, settings,
                                     self.threads, self)
        self.models = Models(state, self.history, self.vocab, settings, self.threads,
                             self.page, self, probe_build)
        self.preferences = Preferences(state, self.models, settings, self)
        self.lab = Lab(state, self.history, self)
        self._wire_views()
        self.commands = actions.Actions(self, state, {
            "conversations dock": lambda menu: menu.addAction(
                self.conversations_dock.toggleViewAction()),
            "panel docks": lambda menu: menu.addActions(
                [d.toggleViewAction() for d in self.panel_docks()]),
            "heat metrics": self._add_metrics,
        })
        self.commands.build(self.menuBar())
        self.first_run.server_requested.connect(self.action("servers").trigger)
        self.first_run.reconnect_requested.connect(self._reconnect)
        self._default_state = self.saveState()
        self.status = StatusLine(state, self.statusBar())
        state.conversation_changed.connect(self._update_title)
        state.title_changed.connect(self._update_title)
        state.reply_done.connect(self._update_title)

        self.conversations.update_notice()
        self.conversations.refresh()
        state.open(state.current)
        self.resize(1280, 820)
        if restore_layout:
            geometry, saved = settings.window_state()
            if geometry is not None:
                self.restoreGeometry(geometry)
            if saved is not None:
                self.restoreState(saved)
        self.action("heat").setChecked(settings.heat_mode)
        self.page.set_metric(settings.heat_metric)
        self.models.start(engine, model_path)
        state.changed.emit()
        if self.history.problem is not None:
            QTimer.singleShot(0, self.history.report_problem)

    # --- assembling ----------------------------------------------------------------------

    def _dock(self, widget: QWidget, title: str, name: str,
              area: Qt.DockWidgetArea) -> QDockWidget:
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
        self.conversations_dock = self._dock(
            self.conversation_list, self.tr("Conversations"), "conversationsDock", left)
        self.inspector = InspectorPanel()
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
        self.timeline_dock = self._dock(self.timeline, self.tr("Timeline"), "timelineDock",
                                        bottom)
        self.tokens = TokensPanel()
        self.tokens_dock = self._dock(self.tokens, self.tr("Prompt tokens"), "tokensDock",
                                      bottom)
        self.tabifyDockWidget(self.timeline_dock, self.tokens_dock)
        self.timeline_dock.raise_()
        self.resizeDocks([self.conversations_dock], [240], Qt.Orientation.Horizontal)
        self.resizeDocks([self.inspector_dock], [380], Qt.Orientation.Horizontal)
        self.resizeDocks([self.timeline_dock], [190], Qt.Orientation.Vertical)
        self.resizeDocks([self.inspector_dock, self.context_dock], [420, 240],
                         Qt.Orientation.Vertical)

    def _wire_views(self) -> None:
        """Views → controllers (what the user asks for), and the panels → the state."""
        page, state, gen = self.page, self.state, self.generation
        page.composer.send_requested.connect(gen.send)
        page.composer.stop_requested.connect(gen.stop)
        page.chat.regenerate_requested.connect(gen.regenerate)
        page.chat.edit_requested.connect(gen.edit)
        page.chat.switch_requested.connect(self.conversations.switch_version)
        page.chat.status_message.connect(lambda text: state.say(text, 3000))
        self.inspector.branch_requested.connect(gen.branch)
        self.inspector_link = InspectorLink(state, self.inspector, self.vocab)
        self.timeline_link = TimelineLink(state, self.timeline)
        self.timeline_dock.visibilityChanged.connect(self.timeline_link.on_visible)
        self.tokens_link = TokensLink(state, self.tokens, self.vocab)
        self.context_link = ContextLink(state, self.context_panel)
        self.performance_link = PerformanceLink(state, self.performance)
        state.token_selected.connect(self._raise_inspector)

    def _add_metrics(self, menu: QMenu) -> None:
        self.metric_group = self.commands.add_choice(
            menu, "metric", actions.heat_metrics(), self.page.set_metric)
        self.page.metric_changed.connect(lambda key: self.action(f"metric/{key}")
                                         .setChecked(True))

    # --- what the tests and scripts reach --------------------------------------------------

    def action(self, id: str) -> QAction:
        """The menu action ``id`` (see ``desktop.ui.window.actions``)."""
        return self.commands.qactions[id]

    @property
    def stack(self) -> CentralStack:
        return self.page

    @property
    def first_run(self) -> FirstRunPage:
        return self.page.first_run

    @property
    def chat_page(self) -> QWidget:
        return self.page.chat_page

    @property
    def chat(self) -> WindowChat:
        return self.page.chat

    @property
    def composer(self) -> Composer:
        return self.page.composer

    def panel_docks(self) -> list[QDockWidget]:
        return [self.inspector_dock, self.timeline_dock, self.tokens_dock, self.context_dock,
                self.performance_dock]

    # --- the window's own behaviour ----------------------------------------------------------

    def _reconnect(self) -> None:
        from desktop.ui.window.remote import RemoteServers

        RemoteServers.of(self).reconnect_last()

    def _update_title(self) -> None:
        self.setWindowTitle(f"{self.conversations.title(self.state.current)} — {APP_NAME}")

    def _raise_inspector(self) -> None:
        if self.inspector_dock.isHidden():
            self.inspector_dock.show()
        self.inspector_dock.raise_()

    @Slot()
    def focus_search(self) -> None:
        if self.conversations_dock.isHidden():
            self.conversations_dock.show()
        self.conversation_list.search.setFocus()
        self.conversation_list.search.selectAll()

    @Slot()
    def reset_layout(self) -> None:
        self.restoreState(self._default_state)
        for dock in [self.conversations_dock, *self.panel_docks()]:
            dock.show()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls()
        if urls and urls[0].toLocalFile().lower().endswith(".gguf"):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        urls = event.mimeData().urls()
        if urls:
            self.models.load(urls[0].toLocalFile())

    def closeEvent(self, event: QCloseEvent) -> None:
        self.state.closing = True
        self.settings_store.set_window_state(self.saveGeometry(), self.saveState())
        self.settings_store.sync()
        self.models.close()
        self.lab.close()
        self.generation.cancel()
        self.threads.wait_all()
        QCoreApplication.processEvents()
        self.models.release()
        self.history.close()
        super().closeEvent(event)
