"""The window against llama-cpp-python's server on loopback (the tiny model): add the
server, pick its model, chat with heat mode, inspect a token, branch, stop, and reopen
the conversation after a restart — offscreen, with no traceback on errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keyring.core
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from desktop.core import paths, servers
from desktop.core.remote_session import RemoteChatSession
from desktop.core.remote_trace import RemoteStepTrace
from desktop.core.sampling import SamplerSettings
from desktop.ui.main_window import MainWindow
from desktop.ui.window.remote import RemoteServers
from tests.memory_keyring import MemoryKeyring
from tests.remote_server import LoopbackServer, free_port, llama_cpp_server, tiny_server

__all__ = ["tiny_server"]
TIMEOUT = 30_000


@pytest.fixture
def ring(monkeypatch: pytest.MonkeyPatch) -> MemoryKeyring:
    backend = MemoryKeyring()
    monkeypatch.setattr(keyring.core, "_keyring_backend", backend)
    monkeypatch.delenv(servers.ENV_KEY, raising=False)
    (paths.config_dir() / "servers.json").unlink(missing_ok=True)
    return backend


def new_window(qtbot: Any, store: Any, history: Path) -> MainWindow:
    win = MainWindow(store, probe_build=False, restore_layout=False, history=history)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def connect(qtbot: Any, win: MainWindow, url: str, name: str = "loop") -> Any:
    """File ▸ Connect to a server…, fill in the form, list the models, connect."""
    win.action("servers").trigger()
    dialog = RemoteServers.of(win).dialog
    assert dialog is not None and dialog.isVisible()
    dialog.new_server()
    dialog.name.setText(name)
    dialog.url.setText(url)
    dialog.kind.setCurrentIndex(dialog.kind.findData("llama-cpp-python"))
    dialog.key.setText("sk-ui-secret")
    dialog.template.setText("chatml")
    qtbot.mouseClick(dialog.models_button, Qt.MouseButton.LeftButton)
    return dialog


def connected(qtbot: Any, win: MainWindow, url: str) -> None:
    """Connect through the dialog (the only model on the server) and wait until chatting."""
    dialog = connect(qtbot, win, url)
    qtbot.waitUntil(lambda: dialog.models.count() == 1, timeout=TIMEOUT)
    qtbot.mouseClick(dialog.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: isinstance(win.state.session, RemoteChatSession)
                    and not win.state.loading, timeout=TIMEOUT)


def test_chat_inspect_branch_stop_and_reopen(
    qtbot: Any, store: Any, tmp_path: Path, ring: MemoryKeyring, tiny_server: LoopbackServer
) -> None:
    store.save_preset("greedy", SamplerSettings(temperature=0.0, seed=1))
    store.preset_name = "greedy"
    store.max_tokens = 24
    history = tmp_path / "history.db"
    win = new_window(qtbot, store, history)
    dialog = connect(qtbot, win, tiny_server.url)
    qtbot.waitUntil(lambda: dialog.models.count() == 1, timeout=TIMEOUT)
    assert dialog.models.currentText() == tiny_server.model
    assert ring.store[("tokenscope", "server:loop")] == "sk-ui-secret"
    assert "sk-ui-secret" not in (paths.config_dir() / "servers.json").read_text()
    qtbot.mouseClick(dialog.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: isinstance(win.state.session, RemoteChatSession)
                    and not win.state.loading, timeout=TIMEOUT)
    assert "@ loop" in win.status.model_label.text()
    assert win.performance.fields["gpu"].text() == "on the server"

    # chat with heat mode
    win.action("heat").setChecked(True)
    win.composer.edit.setPlainText("Hello there")
    qtbot.keyClick(win.composer.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not win.state.generating, timeout=TIMEOUT)
    reply = win.state.last_reply()
    assert reply is not None and len(reply.traces) > 3
    assert all(isinstance(t, RemoteStepTrace) for t in reply.traces)
    qtbot.waitUntil(lambda: reply.id in win.chat.views, timeout=5000)
    view = win.chat.views[reply.id]
    assert f"tok:{reply.id}:" in view.body.toHtml()  # heat-mode token anchors
    tip = view._tooltip(f"tok:{reply.id}:{view.spans[1].start}")
    assert tip is not None and "≈" in tip  # the entropy is an estimate; no token id
    assert win.status.speed_label.text().endswith("tok/s")
    assert "about" in win.context_panel.title.text()  # an estimate, said so
    assert "estimate" in win.context_panel.title.text()
    assert "read by the server" in win.performance.fields["prompt"].text()
    assert win.performance.fields["reused"].text() == "not reported by the server"

    # inspect a token: the server's candidates, said plainly what is not known
    win.state.select_token(reply.id, 1)
    inspector = win.inspector
    qtbot.waitUntil(lambda: inspector.scroll_area.isVisible(), timeout=5000)
    header = inspector.header.text()
    assert "no token id" in header and "estimate from the top" in header
    assert "does not reveal its sampler stages" in inspector.note.text()
    assert "approximate" in inspector.whatif_status.text()
    assert inspector.chart.rows[0].token == reply.traces[1].cand_ids[0]

    # branch from another candidate
    chosen = reply.traces[1].token
    other = next(i for i, r in enumerate(inspector.chart.rows) if r.token != chosen)
    inspector.chart.select_row(other)
    assert inspector.branch_button.isEnabled()
    qtbot.mouseClick(inspector.branch_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not win.state.generating, timeout=TIMEOUT)
    branched = win.state.last_reply()
    assert branched is not None and branched.branched_at == 1
    assert branched.traces[1].token != chosen and len(branched.traces) > 2

    # stop a reply
    store.max_tokens = 400
    win.composer.edit.setPlainText("Tell me more")
    qtbot.keyClick(win.composer.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: (r := win.state.last_reply()) is not None and r is not branched
                    and len(r.traces) > 0, timeout=TIMEOUT)
    win.generation.stop()
    qtbot.waitUntil(lambda: not win.state.generating, timeout=TIMEOUT)
    stopped = win.state.last_reply()
    assert stopped is not None and stopped.finish_reason == "cancelled"
    conv_id = win.state.current.id
    win.close()

    # after a restart, with no server connected: the conversation reopens inspectable
    again = new_window(qtbot, store, history)
    conv = again.conversations.open(conv_id or 0)
    assert conv is not None
    back = conv.nodes[reply.id]
    assert isinstance(back.traces[0], RemoteStepTrace) and back.stats["remote"]["server"]
    again.state.select_token(back.id, 1)
    qtbot.waitUntil(lambda: again.inspector.scroll_area.isVisible(), timeout=5000)
    assert "no token id" in again.inspector.header.text()
    label = again.inspector.chart.rows[0].label
    assert not label.startswith("#")  # candidate texts from the store
    again.close()


def test_a_refused_connection_is_a_message_not_a_traceback(
    qtbot: Any, store: Any, tmp_path: Path, ring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: warnings.append(a[2]))
    win = new_window(qtbot, store, tmp_path / "h.db")
    dialog = connect(qtbot, win, f"http://127.0.0.1:{free_port()}/v1", "gone")
    qtbot.waitUntil(lambda: "Could not connect" in dialog.status.text(), timeout=TIMEOUT)
    assert dialog.models.count() == 0 and not dialog.connect_button.isEnabled()
    # connecting straight to a server that is gone: a warning, and the window stays as it was
    RemoteServers.of(win).connect_to(servers.resolve("gone"), "m")
    qtbot.waitUntil(lambda: bool(warnings), timeout=TIMEOUT)
    assert "Could not connect" in warnings[0] and win.state.session is None
    win.close()


def test_a_server_killed_mid_reply_keeps_the_reply_and_says_why(
    qtbot: Any, store: Any, tmp_path: Path, ring: MemoryKeyring, tiny_model: Path
) -> None:
    store.save_preset("greedy", SamplerSettings(temperature=0.0, seed=1))
    store.preset_name = "greedy"
    store.max_tokens = 3000
    said: list[str] = []
    with llama_cpp_server(tiny_model, tmp_path, n_ctx=4096) as srv:
        win = new_window(qtbot, store, tmp_path / "h.db")
        win.state.message.connect(lambda text, _ms: said.append(text))
        dialog = connect(qtbot, win, srv.url)
        qtbot.waitUntil(lambda: dialog.models.count() == 1, timeout=TIMEOUT)
        qtbot.mouseClick(dialog.connect_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: win.state.session is not None and not win.state.loading,
                        timeout=TIMEOUT)
        win.generation.send("Hello there")
        qtbot.waitUntil(lambda: (r := win.state.last_reply()) is not None
                        and len(r.traces) > 2, timeout=TIMEOUT)
        srv.kill()
        qtbot.waitUntil(lambda: not win.state.generating, timeout=TIMEOUT)
    reply = win.state.last_reply()
    assert reply is not None and reply.finish_reason == "interrupted"
    assert len(reply.traces) > 2 and reply.content
    assert any(text.startswith("The reply was cut off") for text in said)
    win.close()


def test_the_dialog_adds_edits_renames_and_removes(qtbot: Any, ring: MemoryKeyring) -> None:
    from desktop.ui.servers_dialog import ServersDialog

    dialog = ServersDialog()
    qtbot.addWidget(dialog)
    dialog.new_server()
    dialog.name.setText("box")
    dialog.url.setText("http://10.0.0.9:8080")
    dialog.kind.setCurrentIndex(dialog.kind.findData("llama-server"))
    dialog.key.setText("sk-box")
    assert dialog.save() and dialog.key.text() == ""  # the key left the widget
    assert servers.resolve("box").url == "http://10.0.0.9:8080/v1"
    assert "keyring" in dialog.key.placeholderText()
    dialog.name.setText("workstation")  # a rename keeps the key
    dialog.top.setValue(10)
    assert dialog.save()
    saved = servers.load_servers()
    assert list(saved) == ["workstation"] and saved["workstation"].top_logprobs == 10
    assert servers.api_key(saved["workstation"]) == "sk-box"
    dialog.url.setText("not a url")
    assert not dialog.save() and "not a server URL" in dialog.status.text()
    dialog.reload(select="workstation")
    dialog.remove_selected()
    assert servers.load_servers() == {} and ring.store == {}


def test_settings_the_server_does_not_read_are_said_on_connect_and_in_the_inspector(
    qtbot: Any, store: Any, tmp_path: Path, ring: MemoryKeyring, tiny_server: LoopbackServer
) -> None:
    store.save_preset("dry", SamplerSettings(temperature=0.0, seed=1, dry_multiplier=0.8))
    store.preset_name = "dry"
    store.max_tokens = 6
    win = new_window(qtbot, store, tmp_path / "history.db")
    connected(qtbot, win, tiny_server.url)
    said = win.statusBar().currentMessage()
    assert "does not read these settings" in said and "DRY" in said

    win.composer.edit.setPlainText("Hello")
    qtbot.keyClick(win.composer.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not win.state.generating, timeout=TIMEOUT)
    reply = win.state.last_reply()
    assert reply is not None and reply.stats["remote"]["not_applied"] == ["DRY"]
    assert reply.settings is not None and not reply.settings.dry_active  # what was applied
    said = win.statusBar().currentMessage()
    if reply.stats["remote"].get("lost_text_tokens"):  # the tiny model's byte tokens: the
        assert "without their text" in said  # incomplete text is said first
    else:
        assert "DRY" in said
    win.state.select_token(reply.id, 0)
    qtbot.waitUntil(lambda: win.inspector.scroll_area.isVisible(), timeout=5000)
    note = win.inspector.note.text()
    assert "does not read these settings" in note and "DRY" in note
    win.close()


def test_a_reply_the_server_sampled_under_a_grammar_shows_only_the_models_probabilities(
    qtbot: Any, store: Any, tmp_path: Path, ring: MemoryKeyring, tiny_server: LoopbackServer
) -> None:
    """The server does not say which candidates its grammar allowed: replaying the later
    stages without it would strike out the very token the server chose."""
    store.save_preset("yn", SamplerSettings(temperature=0.0, seed=1,
                                            grammar='root ::= "yes" | "no"'))
    store.preset_name = "yn"
    store.max_tokens = 4
    win = new_window(qtbot, store, tmp_path / "history.db")
    connected(qtbot, win, tiny_server.url)
    win.composer.edit.setPlainText("Answer")
    qtbot.keyClick(win.composer.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not win.state.generating, timeout=TIMEOUT)
    reply = win.state.last_reply()
    assert reply is not None and reply.content in ("yes", "no")
    win.state.select_token(reply.id, 0)
    inspector = win.inspector
    qtbot.waitUntil(lambda: inspector.scroll_area.isVisible(), timeout=5000)
    assert len(inspector.strip.counts) == 1  # the raw distribution only
    assert "grammar" in inspector.note.text()
    chosen = [r for r in inspector.chart.rows if r.chosen]
    assert chosen and chosen[0].cut < 0  # never shown as cut
    win.close()


def test_the_welcome_page_offers_to_connect_to_a_server(
    qtbot: Any, store: Any, tmp_path: Path, ring: MemoryKeyring
) -> None:
    win = new_window(qtbot, store, tmp_path / "history.db")
    assert win.stack.currentWidget() is win.first_run  # no model yet
    qtbot.mouseClick(win.first_run.server_button, Qt.MouseButton.LeftButton)
    dialog = RemoteServers.of(win).dialog
    assert dialog is not None and dialog.isVisible()
    win.close()


def test_the_last_server_is_offered_again_at_launch_not_dialled(
    qtbot: Any, store: Any, tmp_path: Path, ring: MemoryKeyring, tiny_server: LoopbackServer,
    tiny_model: Path,
) -> None:
    history = tmp_path / "history.db"
    win = new_window(qtbot, store, history)
    connected(qtbot, win, tiny_server.url)
    win.close()

    again = new_window(qtbot, store, history)  # "after a restart"
    assert again.state.session is None and again.stack.currentWidget() is again.first_run
    button = again.first_run.reconnect_button
    assert button.isVisible() and "on loop" in button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: isinstance(again.state.session, RemoteChatSession)
                    and not again.state.loading, timeout=TIMEOUT)
    assert again.state.session.model == tiny_server.model
    # a local model loaded afterwards is what the next launch starts with
    again.models.load(tiny_model)
    qtbot.waitUntil(lambda: again.state.engine is not None
                    and not isinstance(again.state.session, RemoteChatSession)
                    and not again.state.loading, timeout=TIMEOUT)
    assert store.last_server is None
    again.close()


def test_picking_a_saved_server_lists_its_models_by_itself(
    qtbot: Any, store: Any, tmp_path: Path, ring: MemoryKeyring, tiny_server: LoopbackServer
) -> None:
    win = new_window(qtbot, store, tmp_path / "history.db")
    dialog = connect(qtbot, win, tiny_server.url)  # saves the server
    qtbot.waitUntil(lambda: dialog.models.count() == 1, timeout=TIMEOUT)
    dialog.close()
    win.action("servers").trigger()  # opened again: the saved server is picked ...
    assert dialog.isVisible() and dialog.selected() is not None
    # ... and its models come without pressing "List models"
    qtbot.waitUntil(lambda: dialog.connect_button.isEnabled(), timeout=TIMEOUT)
    assert dialog.models.currentText() == tiny_server.model
    win.close()


def test_settings_while_connected_say_what_is_local_and_what_the_server_ignores(
    qtbot: Any, store: Any, tmp_path: Path, ring: MemoryKeyring, tiny_server: LoopbackServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from desktop.ui.settings_dialog import SettingsDialog

    win = new_window(qtbot, store, tmp_path / "history.db")
    connected(qtbot, win, tiny_server.url)
    shown: list[SettingsDialog] = []

    def accept_with_xtc(self: SettingsDialog) -> int:
        shown.append(self)
        store.save_preset("xtc", SamplerSettings(temperature=0.0, xtc_probability=0.5))
        store.preset_name = "xtc"
        return 1

    monkeypatch.setattr(SettingsDialog, "exec", accept_with_xtc)
    win.preferences.open_settings()
    assert "Connected to loop" in shown[0].server_note.text()
    said = win.statusBar().currentMessage()
    assert "does not read these settings" in said and "XTC" in said
    win.close()
