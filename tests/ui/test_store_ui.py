"""Conversations that last: the window saves to the real store (a temporary file), lists,
searches, renames and deletes saved conversations, reopens them with no model loaded,
survives a bad database, exports and imports, and opens the Models window."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from desktop.core import export
from desktop.core.conversation import Conversation
from desktop.core.sampling import STAGE_NAMES
from desktop.core.session import plan_of
from desktop.core.store import Store, StoreFullError, default_path
from desktop.ui.main_window import MainWindow
from desktop.ui.panels._common import token_label
from desktop.ui.panels._stage_view import restrict, visible_stages
from desktop.ui.window.conversations import auto_title
from desktop.ui.window.gate import gate_of
from desktop.ui.window.history import History
from tests.ui.test_main_window import PROMPT, TIMEOUT, send, use_seed


@pytest.fixture
def db() -> Iterator[Store]:
    """A second connection to the window's database (the test's own data directory)."""
    second = Store(default_path())
    yield second
    second.close()


def bare_window(qtbot: Any, store: Any) -> MainWindow:
    """A window with no model (and none to load by itself)."""
    store.last_model = None
    win = MainWindow(store, probe_build=False, restore_layout=False)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def saved(title: str, *turns: str) -> Conversation:
    """A conversation written without a model: user / assistant turns."""
    conv = Conversation(title=title)
    parent = None
    for i, text in enumerate(turns):
        parent = conv.add(parent, "user" if i % 2 == 0 else "assistant", text).id
    return conv


def titles(win: MainWindow) -> list[str]:
    return [e.title for e in win.conversation_list.entries]


# --- saving ----------------------------------------------------------------------------------


def test_a_reply_is_in_the_database_after_streaming(
    qtbot: Any, window: MainWindow, store: Any, db: Store
) -> None:
    use_seed(store)
    reply = send(qtbot, window)
    conv = window.state.current
    assert conv.id is not None
    assert conv.title == auto_title(PROMPT)
    back = db.load(conv.id)
    user_back, reply_back = back.path()
    assert user_back.content == PROMPT
    assert reply_back.content == reply.content
    assert len(reply_back.traces) == len(reply.traces) > 0
    assert reply_back.prompt_tokens == reply.prompt_tokens
    assert reply_back.finish_reason == reply.finish_reason
    assert [s.title for s in db.list()] == [conv.title]
    # the list shows it as saved: no "not saved" mark
    assert "not saved" not in window.conversation_list.entries[-1].subtitle


def test_switching_versions_is_saved(
    qtbot: Any, window: MainWindow, store: Any, db: Store
) -> None:
    use_seed(store)
    store.max_tokens = 8
    first = send(qtbot, window)
    window.generation.regenerate(first.id)
    qtbot.waitUntil(lambda: not window.state.generating, timeout=TIMEOUT)
    second = window.state.last_reply()
    assert second is not None and second.id != first.id
    conv_id = window.state.current.id
    assert conv_id is not None
    assert db.load(conv_id).leaf == second.id
    window.conversations.switch_version(second.id, -1)
    assert db.load(conv_id).leaf == first.id
    assert window.state.last_reply() is first


def test_a_failed_save_keeps_the_conversation_and_says_so_once(
    qtbot: Any, window: MainWindow, store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*_a: Any, **_k: Any) -> None:
        raise StoreFullError("The disk is full: the conversation is kept in memory.")

    monkeypatch.setattr(Store, "save", full)
    monkeypatch.setattr(Store, "save_node", full)
    monkeypatch.setattr(Store, "save_pieces", full)
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning",
                        lambda parent, title, text, *a: warnings.append(text))
    use_seed(store)
    store.max_tokens = 8
    reply = send(qtbot, window)
    assert reply.content is not None and window.state.current.nodes
    assert len(warnings) == 1 and "disk is full" in warnings[0]
    assert "disk is full" in window.statusBar().currentMessage()
    assert window.state.current.id is None
    entry = window.conversation_list.entries[window.conversation_list.list.currentRow()]
    assert entry.conv is window.state.current and "not saved" in entry.subtitle
    send(qtbot, window, "Again")  # still failing: no second dialog
    assert len(warnings) == 1

    monkeypatch.undo()  # the disk has room again: the next change saves everything
    window.conversations.switch_version(reply.id, 1)
    assert window.state.current.id is not None
    current = window.state.current
    assert len(window.history.store.load(current.id).nodes) == len(current.nodes)


# --- the list --------------------------------------------------------------------------------


def test_the_list_shows_saved_conversations_newest_first_and_search_filters_it(
    qtbot: Any, store: Any, db: Store
) -> None:
    for conv in (saved("Paris trip", "Is the Eiffel tower tall?", "Yes, 330 m."),
                 saved("Python help", "How do I sort a list?", "Use sorted()."),
                 saved("Recipes", "A quick soup?", "Tomato soup.")):
        db.save(conv)
        time.sleep(0.01)
    win = bare_window(qtbot, store)
    assert titles(win) == ["New chat", "Recipes", "Python help", "Paris trip"]
    entry = win.conversation_list.entries[1]
    assert "2 messages" in entry.subtitle

    win.conversation_list.search.setText("eiffel")
    qtbot.waitUntil(lambda: titles(win) == ["Paris trip"], timeout=2000)
    hit = win.conversation_list.entries[0]
    assert "Eiffel" in hit.subtitle and "Eiffel" in hit.tooltip
    assert win.conversation_list.list.item(0).toolTip() == hit.tooltip
    win.conversation_list.search.setText("no such words")
    qtbot.waitUntil(lambda: titles(win) == [], timeout=2000)
    assert not win.conversation_list.empty_label.isHidden()
    win.conversation_list.search.clear()
    qtbot.waitUntil(lambda: len(titles(win)) == 4, timeout=2000)

    # selecting a saved conversation opens it, with no model
    win.conversation_list.list.setCurrentRow(3)
    assert win.state.current.title == "Paris trip"
    assert win.stack.currentWidget() is win.chat_page
    assert [v.node.content for v in win.chat.views.values()] == [
        "Is the Eiffel tower tall?", "Yes, 330 m."]
    win.conversation_list.list.setCurrentRow(1)  # another one: its own cards, not the last
    assert [v.node.content for v in win.chat.views.values()] == [
        "A quick soup?", "Tomato soup."]
    win.close()


def test_rename_and_delete_persist(
    qtbot: Any, store: Any, db: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = saved("First", "one", "1"), saved("Second", "two", "2")
    a_id, b_id = db.save(a), db.save(b)
    win = bare_window(qtbot, store)
    row = win.conversation_list.row_of(a_id)
    win.conversation_list.list.setCurrentRow(row)
    win.conversation_list.list.item(row).setText("  Renamed   first ")
    assert win.state.current.title == "Renamed first"
    assert db.load(a_id).title == "Renamed first"
    qtbot.waitUntil(lambda: "Renamed first" in titles(win), timeout=2000)
    win.conversation_list.list.item(win.conversation_list.row_of(a_id)).setText("")
    assert db.load(a_id).title == "Renamed first"  # an empty name is not taken

    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a: QMessageBox.StandardButton.Yes)
    win.conversation_list.list.setCurrentRow(win.conversation_list.row_of(b_id))
    win.conversations.delete()
    assert [s.id for s in db.list()] == [a_id]
    assert b_id not in [e.conv_id for e in win.conversation_list.entries]
    win.close()

    again = bare_window(qtbot, store)
    assert titles(again) == ["New chat", "Renamed first"]
    again.close()


# --- reopening without a model ---------------------------------------------------------------


def test_a_saved_conversation_reopens_fully_without_the_model(
    qtbot: Any, store: Any, ui_engine: Any, db: Store
) -> None:
    use_seed(store)
    first = MainWindow(store, engine=ui_engine, restore_layout=False)
    qtbot.addWidget(first)
    first.show()
    reply = send(qtbot, first)
    conv_id = first.state.current.id
    assert conv_id is not None
    index = min(3, len(reply.traces) - 1)
    chosen = reply.traces[index]
    prompt_labels = [token_label(ui_engine.piece(t)) for t in reply.prompt_tokens]
    first.close()

    win = bare_window(qtbot, store)
    assert win.state.engine is None and win.state.session is None
    assert win.stack.currentWidget() is win.first_run
    assert win.conversations.open(conv_id) is not None
    assert win.stack.currentWidget() is win.chat_page
    stored = win.state.last_reply()
    assert stored is not None and stored.content == reply.content

    # heat mode: every token is a span
    win.action("heat").setChecked(True)
    view = win.chat.views[stored.id]
    assert view.spans and view.body.toHtml().count(f"tok:{stored.id}:") >= len(view.spans)

    # the inspector: the stored token and its stages, replayed without the model
    win.state.select_token(stored.id, index)
    assert not win.inspector.scroll_area.isHidden()
    assert token_label(chosen.piece) in win.inspector.header.text()
    keep = visible_stages(stored.settings)
    chain = restrict(chosen.replay(stored.settings), keep)
    assert win.inspector.strip.counts == [len(c) for _, c in chain.stages]
    assert len(win.inspector.strip.counts) == len(keep) <= len(STAGE_NAMES)
    labels = [r.label for r in win.inspector.chart.rows]
    assert all(not label.startswith("#") for label in labels)  # stored texts, not ids
    win.inspector.spins["temperature"].setValue(0)  # what-if still works
    assert win.inspector.strip.counts[-1] == 1

    # the timeline, the context, the prompt tokens and the performance
    assert win.timeline.isVisible()
    assert win.context_panel.parts and win.context_panel.bar.n_ctx == ui_engine.n_ctx
    # one row per message the reply's prompt held (the system prompt and the question)
    assert win.context_panel.messages.topLevelItemCount() == len(plan_of(reply).message_tokens)
    win.tokens_dock.raise_()
    assert len(win.tokens.prompt_view.tokens) == len(reply.prompt_tokens)
    assert win.tokens.prompt_view.labels == prompt_labels
    assert any(win.tokens.prompt_view.special)
    assert not win.tokens.input.isEnabled()
    assert win.performance.fields["generation"].text() != "–"

    # continuing needs a model: sending, regenerating and branching are off, with a reason
    assert not win.composer.isEnabled()
    assert "Load a model" in win.composer.edit.placeholderText()
    assert not win.page.model_bar.isHidden()
    assert not view.action_btn.isEnabled()
    gate = gate_of(view.action_btn)
    assert gate is not None and not gate.isEnabled()
    assert view.action_btn.toolTip() == "Load a model to continue this conversation"
    win.inspector.chart.select_row(1)
    assert not win.inspector.branch_button.isEnabled()
    assert "Load a model" in win.inspector.branch_button.toolTip()
    n_nodes = len(win.state.current.nodes)
    win.generation.send("more")
    win.generation.regenerate(stored.id)
    win.generation.branch(stored.id, index, int(chosen.cand_ids[1]))
    assert not win.state.generating and len(win.state.current.nodes) == n_nodes

    # ...until one is loaded: the one that wrote it is a click away, named by its file
    assert view.who.text() == ui_engine.path.stem
    assert not win.page.model_bar.load_button.isHidden()
    assert win.page.model_bar.load_button.text() == f"Load {ui_engine.path.stem}"
    qtbot.mouseClick(win.page.model_bar.load_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.state.session is not None and not win.state.loading,
                    timeout=TIMEOUT)
    assert win.composer.isEnabled() and win.page.model_bar.isHidden()
    assert win.chat.views[stored.id].action_btn.isEnabled()
    win.close()


def test_a_reply_cut_off_mid_stream_says_interrupted(
    qtbot: Any, store: Any, db: Store
) -> None:
    conv = saved("Cut", "Tell me a story", "Once upon a")
    db.save(conv)
    raw = sqlite3.connect(default_path())
    raw.execute("UPDATE nodes SET finish_reason='' WHERE role='assistant'")  # killed app
    raw.commit()
    raw.close()
    win = bare_window(qtbot, store)
    win.conversations.open(conv.id or 0)
    reply = win.state.last_reply()
    assert reply is not None and reply.finish_reason == "interrupted"
    assert "interrupted" in win.chat.views[reply.id].info.text()
    win.close()


# --- bad ground ------------------------------------------------------------------------------


def test_a_corrupt_database_is_reported_left_alone_and_the_app_works_in_memory(
    qtbot: Any, store: Any, ui_engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = default_path()
    junk = b"this is not a database" * 200
    path.write_bytes(junk)
    asked: list[str] = []

    def confirm(self: History, message: str) -> bool:
        asked.append(message)
        return False

    monkeypatch.setattr(History, "confirm_move_aside", confirm)
    use_seed(store)
    store.max_tokens = 8
    win = MainWindow(store, engine=ui_engine, restore_layout=False)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: bool(asked), timeout=2000)
    assert str(path) in asked[0] and "Traceback" not in asked[0]
    assert win.history.store is None
    assert not win.conversation_list.notice.isHidden()
    reply = send(qtbot, win)
    assert reply.traces
    send(qtbot, win, "Second")
    assert len(win.state.current.nodes) == 4
    win.action("new").trigger()
    assert len(win.conversation_list.entries) == 2  # both in memory
    win.conversation_list.list.setCurrentRow(1)
    assert len(win.state.current.nodes) == 4
    win.close()
    assert path.read_bytes() == junk
    assert [p.name for p in path.parent.iterdir() if "corrupt" in p.name] == []


def test_a_corrupt_database_can_be_moved_aside_for_a_new_history(
    qtbot: Any, store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = default_path()
    junk = b"\x00garbage" * 500
    path.write_bytes(junk)
    monkeypatch.setattr(History, "confirm_move_aside", lambda self, message: True)
    win = bare_window(qtbot, store)
    qtbot.waitUntil(lambda: win.history.store is not None, timeout=2000)
    kept = [p for p in path.parent.iterdir() if p.name.startswith("tokenscope.db.corrupt-")]
    assert len(kept) == 1 and kept[0].read_bytes() == junk
    assert win.conversation_list.notice.isHidden()
    assert win.history.store is not None and win.history.store.list() == []
    win.close()


def test_a_database_from_a_newer_version_is_refused_untouched(
    qtbot: Any, store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = default_path()
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA user_version=99")
    raw.close()
    before = path.read_bytes()
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning",
                        lambda parent, title, text, *a: warnings.append(text))
    win = bare_window(qtbot, store)
    qtbot.waitUntil(lambda: bool(warnings), timeout=2000)
    assert "newer version" in warnings[0]
    assert win.history.store is None
    win.close()
    assert path.read_bytes() == before


def test_a_read_only_database_opens_read_only(
    qtbot: Any, store: Any, db: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    conv = saved("Kept", "hello", "hi")
    db.save(conv)
    real_open = Store._open

    def read_only(self: Store) -> Any:
        connection = real_open(self)
        self.readonly = True
        return connection

    monkeypatch.setattr(Store, "_open", read_only)
    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "information",
                        lambda parent, title, text, *a: told.append(text))
    win = bare_window(qtbot, store)
    qtbot.waitUntil(lambda: bool(told), timeout=2000)
    assert "read-only" in told[0]
    assert titles(win) == ["New chat", "Kept"]
    assert not win.conversation_list.delete_button.isEnabled()
    assert not win.conversation_list.rename_button.isEnabled()
    assert win.history.writable_store() is None
    win.close()


# --- export and import -----------------------------------------------------------------------


def _without_date(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "exported"}


def test_export_to_json_then_import_gives_the_same_conversation(
    qtbot: Any, window: MainWindow, store: Any, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, ui_engine: Any,
) -> None:
    use_seed(store)
    store.max_tokens = 16
    send(qtbot, window)
    reply = window.state.last_reply()
    assert reply is not None
    window.generation.regenerate(reply.id)
    qtbot.waitUntil(lambda: not window.state.generating, timeout=TIMEOUT)
    original = window.state.current
    target = tmp_path / "out" / "chat"
    target.parent.mkdir()
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName",
        lambda *a, **k: (str(target), "JSON with every token’s details (*.json)"),
    )
    written = window.exchange.export_conversation()
    assert written == target.with_suffix(".json") and written.is_file()
    data = json.loads(written.read_text(encoding="utf-8"))
    assert data["format"] == export.FORMAT
    top = data["nodes"][1]["traces"][0]["top"]
    assert top[0]["text"] == ui_engine.piece(top[0]["token"]).decode("utf-8", "replace")

    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(written), ""))
    imported = window.exchange.import_conversation()
    assert imported is not None and imported is window.state.current
    assert imported.id is not None and original.id is not None
    assert imported.id != original.id
    assert _without_date(export.to_json(imported)) == _without_date(export.to_json(original))
    second = Store(default_path())
    try:
        # both as the store keeps them (it keeps trace numbers as float32)
        again, before = second.load(imported.id), second.load(original.id)
        assert _without_date(export.to_json(again)) == _without_date(export.to_json(before))
    finally:
        second.close()
    assert window.conversation_list.row_of(imported) == window.conversation_list.list.currentRow()

    md = tmp_path / "chat.md"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(md), "Markdown (*.md)"))
    window.exchange.export_conversation()
    assert md.read_text(encoding="utf-8").startswith(f"# {original.title}")


def test_importing_a_bad_file_shows_why(
    qtbot: Any, store: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning",
                        lambda parent, title, text, *a: warnings.append(text))
    win = bare_window(qtbot, store)
    before = titles(win)
    not_json = tmp_path / "notes.json"
    not_json.write_text("hello", encoding="utf-8")
    other_json = tmp_path / "other.json"
    other_json.write_text('{"some": "thing"}', encoding="utf-8")
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"format": export.FORMAT, "version": 1,
                                  "nodes": [{"id": 1}]}), encoding="utf-8")
    for path in (not_json, other_json, broken, tmp_path / "missing.json"):
        assert win.exchange.import_file(path) is None
    assert len(warnings) == 4
    assert "not a Tokenscope conversation" in warnings[0]
    assert "not a Tokenscope conversation export" in warnings[1]
    assert "damaged" in warnings[2]
    assert "missing.json" in warnings[3]
    assert not any("Traceback" in w for w in warnings)
    assert titles(win) == before
    win.close()


# --- the Models window -----------------------------------------------------------------------


def test_file_models_opens_one_models_window_whose_load_requests_load_the_model(
    qtbot: Any, store: Any, tiny_model: Path
) -> None:
    win = bare_window(qtbot, store)
    assert win.action("models").shortcut().toString() == "Ctrl+M"
    win.action("models").trigger()
    dialog = win.models.dialog
    assert dialog is not None and dialog.isVisible() and not dialog.isModal()
    dialog.close()
    qtbot.mouseClick(win.first_run.browse_button, Qt.MouseButton.LeftButton)
    assert win.models.dialog is dialog and dialog.isVisible()
    assert dialog.n_ctx == store.load_options().n_ctx
    dialog.load_requested.emit(str(tiny_model))
    qtbot.waitUntil(lambda: win.state.session is not None, timeout=TIMEOUT)
    assert win.state.engine is not None and win.state.engine.path == tiny_model
    shut: list[bool] = []
    dialog.shutdown = lambda: shut.append(True)
    win.close()
    assert shut == [True]
