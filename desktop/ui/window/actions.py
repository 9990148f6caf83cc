"""Menus and shortcuts as data: one list of actions per menu (id, title, shortcut, what
it does, when it is enabled), apart from the window. ``build`` makes the QActions once;
``update`` re-evaluates every ``enabled`` rule when the state changes.

A new menu entry is one ``Action`` in a list below; what it calls lives in a controller.
Titles are kept untranslated (marked for pyside6-lupdate) and translated when built.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence, QShortcut
from PySide6.QtWidgets import QMenu, QMenuBar, QWidget

from desktop.ui.window.state import AppState

Key = QKeySequence.StandardKey | str | Qt.Key
#: ``window`` is the MainWindow: its controllers are ``window.models``, ...
Trigger = Callable[[Any], object]
Rule = Callable[[AppState], bool]


@dataclass(frozen=True)
class Action:
    id: str
    title: str
    trigger: Trigger | None = None
    shortcut: Key | None = None
    tooltip: str = ""
    role: QAction.MenuRole | None = None
    #: checkable: ``toggled(window, on)`` runs when it is switched
    toggled: Callable[[Any, bool], object] | None = None
    #: when it is enabled (None: always)
    enabled: Rule | None = None


@dataclass(frozen=True)
class Placeholder:
    """Entries the window fills in itself (its docks' toggles, a choice of values)."""

    id: str


@dataclass(frozen=True)
class Menu:
    id: str
    title: str
    items: list[Action | Placeholder | Menu | None] = field(default_factory=list)


SEPARATOR = None
#: the translation context of every title here (the menus are the window's); titles are
#: marked with QT_TRANSLATE_NOOP for pyside6-lupdate and translated when the menus are built
CONTEXT = "MainWindow"


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:  # the name pyside6-lupdate looks for
    """Marks ``text`` for pyside6-lupdate (in ``context``); it is translated when built."""
    return text


def tr(text: str) -> str:
    return QCoreApplication.translate(CONTEXT, text) if text else text


def not_generating(s: AppState) -> bool:
    return not s.generating


def menus() -> list[Menu]:
    """The menu bar, left to right."""
    return [
        Menu("file", QT_TRANSLATE_NOOP("MainWindow", "&File"), [
            Action("open", QT_TRANSLATE_NOOP("MainWindow", "&Open model…"),
                   lambda w: w.models.open_dialog(), QKeySequence.StandardKey.Open,
                   enabled=lambda s: not s.generating and not s.loading),
            Action("models", QT_TRANSLATE_NOOP("MainWindow", "&Models…"),
                   lambda w: w.models.open_models_window(), "Ctrl+M",
                   tooltip=QT_TRANSLATE_NOOP("MainWindow",
                                             "Search, download and manage models")),
            Action("servers", QT_TRANSLATE_NOOP("MainWindow", "Connect to a se&rver…"),
                   lambda w: _remote(w).open_dialog(),
                   tooltip=QT_TRANSLATE_NOOP("MainWindow",
                                             "Chat with a model on vLLM, llama-server or "
                                             "any OpenAI-compatible server"),
                   enabled=lambda s: not s.generating and not s.loading),
            Action("lab", QT_TRANSLATE_NOOP("MainWindow", "&Lab…"),
                   lambda w: w.lab.open(), "Ctrl+L",
                   tooltip=QT_TRANSLATE_NOOP("MainWindow",
                                             "Classic LLM experiments on the loaded model")),
            SEPARATOR,
            Action("new", QT_TRANSLATE_NOOP("MainWindow", "&New chat"),
                   lambda w: w.conversations.new(), QKeySequence.StandardKey.New,
                   enabled=not_generating),
            Action("export", QT_TRANSLATE_NOOP("MainWindow", "&Export conversation…"),
                   lambda w: w.exchange.export_conversation(), "Ctrl+Shift+E",
                   enabled=lambda s: not s.generating and bool(s.current.nodes)),
            Action("import", QT_TRANSLATE_NOOP("MainWindow", "&Import conversation…"),
                   lambda w: w.exchange.import_conversation(), enabled=not_generating),
            SEPARATOR,
            Action("quit", QT_TRANSLATE_NOOP("MainWindow", "&Quit"),
                   lambda w: w.close(), QKeySequence.StandardKey.Quit,
                   role=QAction.MenuRole.QuitRole),
        ]),
        Menu("view", QT_TRANSLATE_NOOP("MainWindow", "&View"), [
            Placeholder("conversations dock"),
            SEPARATOR,
            Placeholder("panel docks"),
            SEPARATOR,
            Action("heat", QT_TRANSLATE_NOOP("MainWindow", "&Heat mode"), shortcut="Ctrl+H",
                   tooltip=QT_TRANSLATE_NOOP("MainWindow",
                                             "Colour every reply token by how sure the model "
                                             "was"),
                   toggled=lambda w, on: w.page.set_heat(on)),
            Menu("heat metric", QT_TRANSLATE_NOOP("MainWindow", "Heat colours by"), [
                Placeholder("heat metrics"),
            ]),
            SEPARATOR,
            Action("reset layout", QT_TRANSLATE_NOOP("MainWindow", "Reset layout"),
                   lambda w: w.reset_layout()),
        ]),
        Menu("lenses", QT_TRANSLATE_NOOP("MainWindow", "&Lenses"), [
            Action("step mode", QT_TRANSLATE_NOOP("MainWindow", "&Step through a reply…"),
                   lambda w: _lens(w, "step"), "Ctrl+Shift+T",
                   tooltip=QT_TRANSLATE_NOOP("MainWindow", "Generate one token at a time, "
                                                           "choosing each one")),
            Action("score", QT_TRANSLATE_NOOP("MainWindow", "S&core a text…"),
                   lambda w: _lens(w, "score"), "Ctrl+Shift+U",
                   tooltip=QT_TRANSLATE_NOOP("MainWindow", "How surprising each token of a "
                                                           "text is to the model")),
            Action("compare", QT_TRANSLATE_NOOP("MainWindow", "Co&mpare two models…"),
                   lambda w: _lens(w, "compare")),
            Action("saved results", QT_TRANSLATE_NOOP("MainWindow", "Saved &results…"),
                   lambda w: _lens(w, "saved")),
        ]),
        Menu("settings", QT_TRANSLATE_NOOP("MainWindow", "&Settings"), [
            Action("settings", QT_TRANSLATE_NOOP("MainWindow", "&Settings…"),
                   lambda w: w.preferences.open_settings(),
                   QKeySequence.StandardKey.Preferences,
                   role=QAction.MenuRole.PreferencesRole),
        ]),
        Menu("help", QT_TRANSLATE_NOOP("MainWindow", "&Help"), [
            Action("about", QT_TRANSLATE_NOOP("MainWindow", "&About Tokenscope"),
                   lambda w: w.preferences.about(), role=QAction.MenuRole.AboutRole),
            Action("about qt", QT_TRANSLATE_NOOP("MainWindow", "About &Qt"),
                   lambda w: w.preferences.about_qt(), role=QAction.MenuRole.AboutQtRole),
        ]),
    ]


def _lens(window: Any, view: str) -> None:
    from desktop.ui.lenses.window import lenses_window

    lenses_window(window).show_view(view)


def _remote(window: Any) -> Any:
    from desktop.ui.window.remote import RemoteServers

    return RemoteServers.of(window)


def heat_metrics() -> list[tuple[str, str]]:
    """Heat mode's colour scales: (key, title)."""
    return [("probability", QT_TRANSLATE_NOOP("MainWindow", "Probability")),
            ("entropy", QT_TRANSLATE_NOOP("MainWindow", "Entropy"))]


def shortcuts() -> list[Action]:
    """Keys that work anywhere in the window, with no menu entry."""
    return [
        Action("find", "", lambda w: w.focus_search(), QKeySequence.StandardKey.Find),
        # Esc stops a reply wherever the focus is (the composer handles it too); off
        # otherwise: then Esc belongs to editors and dialogs
        Action("stop", "", lambda w: w.generation.stop(), Qt.Key.Key_Escape,
               enabled=lambda s: s.generating),
    ]


def _key(shortcut: Key) -> QKeySequence:
    return QKeySequence(shortcut)


class Actions:
    """The QActions and QShortcuts made from the lists above, by id."""

    def __init__(self, window: QWidget, state: AppState,
                 placeholders: dict[str, Callable[[QMenu], None]]) -> None:
        self.window = window
        self.state = state
        self.placeholders = placeholders
        self.qactions: dict[str, QAction] = {}
        self.shortcuts: dict[str, QShortcut] = {}
        self.menus: dict[str, QMenu] = {}
        self._rules: list[tuple[QAction | QShortcut, Rule]] = []

    def build(self, bar: QMenuBar) -> None:
        for menu in menus():
            self._fill(bar.addMenu(tr(menu.title)), menu)
        for spec in shortcuts():
            assert spec.shortcut is not None and spec.trigger is not None
            shortcut = QShortcut(_key(spec.shortcut), self.window)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(self._runner(spec.trigger))
            self.shortcuts[spec.id] = shortcut
            if spec.enabled is not None:
                self._rules.append((shortcut, spec.enabled))
        self.state.changed.connect(self.update)
        self.update()

    def _fill(self, qmenu: QMenu, menu: Menu) -> None:
        self.menus[menu.id] = qmenu
        for item in menu.items:
            if item is None:
                qmenu.addSeparator()
            elif isinstance(item, Placeholder):
                self.placeholders[item.id](qmenu)
            elif isinstance(item, Menu):
                self._fill(qmenu.addMenu(tr(item.title)), item)
            else:
                self.qactions[item.id] = self._action(qmenu, item)

    def _action(self, qmenu: QMenu, spec: Action) -> QAction:
        action = qmenu.addAction(tr(spec.title))
        if spec.shortcut is not None:
            action.setShortcut(_key(spec.shortcut))
        if spec.tooltip:
            action.setToolTip(tr(spec.tooltip))
        if spec.role is not None:
            action.setMenuRole(spec.role)
        if spec.toggled is not None:
            action.setCheckable(True)
            toggled = spec.toggled
            action.toggled.connect(lambda on: toggled(self.window, on))
        if spec.trigger is not None:
            action.triggered.connect(self._runner(spec.trigger))
        if spec.enabled is not None:
            self._rules.append((action, spec.enabled))
        return action

    def _runner(self, trigger: Trigger) -> Callable[[], None]:
        def run(*_args: object) -> None:
            trigger(self.window)

        return run

    def update(self) -> None:
        """Every action with a rule: enabled as the rule says now."""
        for action, rule in self._rules:
            action.setEnabled(rule(self.state))

    def add_choice(self, qmenu: QMenu, id: str, choices: list[tuple[str, str]],
                   chosen: Callable[[str], None]) -> QActionGroup:
        """Exclusive checkable entries (``id/key``), one of which is chosen."""
        group = QActionGroup(self.window)
        for key, title in choices:
            action = qmenu.addAction(tr(title))
            action.setCheckable(True)
            action.setData(key)
            group.addAction(action)
            self.qactions[f"{id}/{key}"] = action
        group.triggered.connect(lambda action: chosen(str(action.data())))
        return group
