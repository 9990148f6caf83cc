"""Each controller of the window on its own, with the state and only the views it drives
(no MainWindow): conversations, generation, models, the actions, and the panel links."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMainWindow, QWidget

from desktop.core.conversation import Conversation
from desktop.core.sampling import SamplerSettings
from desktop.core.session import ChatSession
from desktop.ui.conversation_list import ConversationList
from desktop.ui.panels import InspectorPanel, TimelinePanel
from desktop.ui.window import actions
from desktop.ui.window.chat_page import CentralStack
from desktop.ui.window.conversations import Conversations
from desktop.ui.window.generation import Generation
from desktop.ui.window.history import History
from desktop.ui.window.links import InspectorLink, TimelineLink
from desktop.ui.window.models import Models
from desktop.ui.window.state import AppState
from desktop.ui.window.vocab import Vocabularies
from desktop.ui.worker import Threads
from tests.ui.test_state import chat, record

TIMEOUT = 30_000


class Parts:
    """A state, a history in a temporary file, and a parent widget for dialogs."""

    def __init__(self, qtbot: Any, tmp_path: Path) -> None:
        self.parent = QWidget()
        qtbot.addWidget(self.parent)
        self.state = AppState(self.parent)
        self.history = History(self.state, tmp_path / "history.db", self.parent)
        self.history.open()
        self.vocab = Vocabularies(self.state, lambda: self.history.store)
        self.threads = Threads(self.parent)

    def close(self) -> None:
        self.threads.wait_all()
        self.history.close()


@pytest.fixture
def parts(qtbot: Any, tmp_path: Path) -> Iterator[Parts]:
    p = Parts(qtbot, tmp_path)
    yield p
    p.close()


# --- conversations -----------------------------------------------------------------------


def test_the_conversations_controller_lists_opens_renames_and_deletes(
    parts: Parts, store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert parts.history.store is not None
    saved = chat("Is the sky blue?", "Yes.")
    saved.title = "Sky"
    parts.history.store.save(saved)
    view = ConversationList(parts.parent)
    conversations = Conversations(parts.state, parts.history, view, store, parts.parent)
    parts.state.current = parts.history.make_conversation("")
    conversations.refresh()
    assert [e.title for e in view.entries] == ["New chat", "Sky"]

    opened = record(parts.state.conversation_changed)
    conv = conversations.open(saved.id or 0)
    assert conv is not None and parts.state.current is conv and opened == [(conv,)]
    assert parts.history.opened[conv.id or 0] is conv

    view.list.item(view.row_of(conv)).setText("  Blue   sky ")
    assert conv.title == "Blue sky"
    assert parts.history.store.load(conv.id or 0).title == "Blue sky"

    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Yes)
    conversations.delete()
    assert parts.history.store.list() == []
    assert parts.state.current is not conv and not parts.state.current.nodes
    assert [e.title for e in view.entries] == ["New chat"]


def test_switching_versions_shows_the_other_reply_and_remembers_it(
    parts: Parts, store: Any
) -> None:
    conv = chat("hi", "first")
    user = conv.path()[0]
    second = conv.add(user.id, "assistant", "second")
    view = ConversationList(parts.parent)
    conversations = Conversations(parts.state, parts.history, view, store, parts.parent)
    parts.state.open(conv)
    shown = record(parts.state.reply_shown)
    conversations.switch_version(second.id, -1)
    reply = parts.state.last_reply()
    assert reply is not None and reply.content == "first" and shown == [(reply,)]


# --- generation --------------------------------------------------------------------------


def test_a_reply_goes_worker_to_state_to_store_in_order(
    qtbot: Any, parts: Parts, store: Any, ui_engine: Any
) -> None:
    store.save_preset("test", SamplerSettings(seed=6))
    store.preset_name = "test"
    state = parts.state
    conv = parts.history.make_conversation("")
    session = ChatSession(ui_engine, conversation=conv)
    state.set_engine(ui_engine, {}, session)
    state.open(conv)
    generation = Generation(state, parts.history, parts.vocab, store, parts.threads,
                            parts.parent)
    events: list[str] = []
    state.generating_changed.connect(lambda on: events.append(f"generating {on}"))
    state.reply_started.connect(lambda node: events.append("started"))
    state.reply_prompt.connect(lambda node, plan: events.append("prompt"))
    state.reply_grew.connect(lambda node: events.append("grew"))
    state.reply_finished.connect(lambda node, reason: events.append("finished"))
    state.reply_done.connect(lambda: events.append("done"))
    generation.send("Hello world! How are you today?")
    assert state.generating and generation.worker is not None
    qtbot.waitUntil(lambda: not state.generating, timeout=TIMEOUT)

    reply = state.last_reply()
    assert reply is not None and len(reply.traces) > 20
    assert events[:3] == ["generating True", "started", "prompt"]
    assert events[-3:] == ["finished", "generating False", "done"]
    grew = events.count("grew")
    assert 1 <= grew < len(reply.traces) / 4  # batched, never one signal per token
    assert conv.title == "Hello world! How are you today?"
    assert conv.id is not None and parts.history.store is not None
    assert len(parts.history.store.load(conv.id).path()[-1].traces) == len(reply.traces)


def test_nothing_starts_without_a_model(parts: Parts, store: Any) -> None:
    generation = Generation(parts.state, parts.history, parts.vocab, store, parts.threads,
                            parts.parent)
    parts.state.open(chat("hi", "hello"))
    generation.send("more")
    generation.regenerate(2)
    generation.branch(2, 0, 5)
    assert not parts.state.generating and generation.worker is None


# --- models ------------------------------------------------------------------------------


def test_the_models_controller_loads_a_model_into_the_state(
    qtbot: Any, parts: Parts, store: Any, tiny_model: Path
) -> None:
    page = CentralStack(store, parts.parent)
    models = Models(parts.state, parts.history, parts.vocab, store, parts.threads, page,
                    parts.parent, probe_build=False)
    parts.state.current = parts.history.make_conversation("")
    loading = record(parts.state.loading_changed)
    engines = record(parts.state.engine_changed)
    models.load(tiny_model)
    assert parts.state.loading and parts.state.loading_message == f"Loading {tiny_model.name}…"
    qtbot.waitUntil(lambda: parts.state.session is not None, timeout=TIMEOUT)
    engine = parts.state.engine
    assert engine is not None and engine.path == tiny_model and parts.state.owns_engine
    assert loading[0] == (True,) and loading[-1] == (False,)
    assert [e for (e,) in engines] == [None, engine]
    assert store.last_model == str(tiny_model)
    assert page.currentWidget() is page.chat_page
    parts.threads.wait_all()
    models.release()
    assert parts.state.engine is None


@pytest.mark.slow
def test_loading_a_model_without_a_template_never_walks_its_vocabulary_in_the_ui(
    qtbot: Any, parts: Parts, store: Any, gemma3: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Gemma 3 270M has no chat template: choosing llama.cpp's built-in format reads the
    attributes of all 262k tokens (~0.1-0.2 s). That happens in the loading thread; the UI
    thread, which shows the model when it is ready, must not do it (it froze the window for
    120 ms)."""
    import threading

    import llama_cpp

    ui_thread = threading.get_ident()
    calls = {"ui": 0, "other": 0}
    real = llama_cpp.llama_vocab_get_attr

    def counted(vocab: Any, token: int) -> int:
        calls["ui" if threading.get_ident() == ui_thread else "other"] += 1
        return real(vocab, token)

    monkeypatch.setattr(llama_cpp, "llama_vocab_get_attr", counted)
    page = CentralStack(store, parts.parent)
    models = Models(parts.state, parts.history, parts.vocab, store, parts.threads, page,
                    parts.parent, probe_build=False)
    parts.state.current = parts.history.make_conversation("")
    models.load(gemma3)
    qtbot.waitUntil(lambda: parts.state.session is not None, timeout=TIMEOUT)
    session = parts.state.session
    assert session is not None and "'gemma'" in session.template.name  # by markers
    assert calls["other"] >= 262_144  # the walk happened, in the loader
    assert calls["ui"] < 1000
    parts.threads.wait_all()
    models.release()


# --- actions -----------------------------------------------------------------------------


def test_actions_are_data_with_unique_ids_and_rules_that_follow_the_state(
    qtbot: Any, parts: Parts
) -> None:
    ids = [a.id for m in actions.menus() for a in _walk(m)]
    ids += [a.id for a in actions.shortcuts()]
    assert len(ids) == len(set(ids))
    window = QMainWindow()
    qtbot.addWidget(window)
    built = actions.Actions(window, parts.state, {
        "conversations dock": lambda menu: None, "panel docks": lambda menu: None,
        "heat metrics": lambda menu: None,
    })
    built.build(window.menuBar())
    assert [a.text() for a in window.menuBar().actions()] == [
        "&File", "&View", "&Lenses", "&Settings", "&Help"]
    qa = built.qactions
    assert qa["models"].shortcut().toString() == "Ctrl+M"
    assert qa["open"].isEnabled() and not qa["export"].isEnabled()  # nothing to export
    assert not built.shortcuts["stop"].isEnabled()  # Esc is free while nothing streams
    parts.state.open(chat("hi", "hello"))
    assert qa["export"].isEnabled()
    parts.state.set_generating(True)
    assert not qa["open"].isEnabled() and not qa["new"].isEnabled()
    assert not qa["export"].isEnabled() and built.shortcuts["stop"].isEnabled()
    parts.state.set_generating(False)
    parts.state.set_loading(True, "Loading…")
    assert not qa["open"].isEnabled() and qa["new"].isEnabled()


def _walk(menu: actions.Menu) -> list[actions.Action]:
    out: list[actions.Action] = []
    for item in menu.items:
        if isinstance(item, actions.Menu):
            out += _walk(item)
        elif isinstance(item, actions.Action):
            out.append(item)
    return out


# --- the panels follow the state ---------------------------------------------------------


def test_a_token_selected_in_the_state_reaches_the_inspector_and_the_timeline(
    qtbot: Any, parts: Parts
) -> None:
    inspector, timeline = InspectorPanel(), TimelinePanel()
    qtbot.addWidget(inspector)
    qtbot.addWidget(timeline)
    InspectorLink(parts.state, inspector, parts.vocab)
    TimelineLink(parts.state, timeline)
    conv: Conversation = chat("hi", "hello")
    parts.state.open(conv)
    reply = parts.state.last_reply()
    assert reply is not None
    parts.state.select_token(reply.id, 3)
    assert inspector._node is reply and inspector._index == 3
    assert timeline.chart.selected == 3
    # the branch button needs a model: none is loaded
    assert "Load a model" in inspector.branch_button.toolTip()
    # a click in the timeline goes through the state too
    timeline.token_clicked.emit(reply.id, 1)
    assert inspector._index == 1 and parts.state.selected == (reply.id, 1)
    parts.state.show_reply(None)
    assert inspector._node is None


def test_a_store_that_cannot_be_opened_leaves_the_history_in_memory(
    qtbot: Any, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not a database" * 100)
    parent = QWidget()
    qtbot.addWidget(parent)
    history = History(AppState(), bad, parent)
    history.open()
    assert history.store is None and history.problem is not None
    assert history.problem[0] == "corrupt"
    conv = history.make_conversation("system")
    assert history.unsaved == [conv] and conv.system == "system"


# --- export and import -------------------------------------------------------------------


def test_exchange_exports_and_imports_without_the_window(
    parts: Parts, store: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QFileDialog

    from desktop.ui.window.exchange import Exchange

    view = ConversationList(parts.parent)
    conversations = Conversations(parts.state, parts.history, view, store, parts.parent)
    exchange = Exchange(parts.state, parts.history, conversations, parts.vocab, store,
                        parts.parent)
    conv = chat("What is 2 + 2?", "Four.")
    conv.title = ""
    parts.state.open(conv)
    target = tmp_path / "out.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    assert exchange.export_conversation() == target and target.is_file()
    assert store.export_dir == str(tmp_path)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(target), ""))
    imported = exchange.import_conversation()
    assert imported is not None and imported is parts.state.current
    assert imported.title == "What is 2 + 2?"  # titled by its first message
    assert imported.id is not None and parts.history.opened[imported.id] is imported
    assert [n.content for n in imported.path()] == ["What is 2 + 2?", "Four."]
    assert view.row_of(imported) == view.list.currentRow()
