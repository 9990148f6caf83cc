"""The remote-server controller: File ▸ Connect to a server… opens the servers dialog;
connecting checks the model on the server (off the UI thread), then puts a
``RemoteChatSession`` where a loaded model's ``ChatSession`` goes, with a ``RemoteEngine``
standing in for the Engine. Everything downstream — chat, heat mode, inspector, timeline,
store, exports, status bar — then works from the server's replies as from a local model's.

The window needs no field for it: ``RemoteServers.of(window)`` makes one on first use.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop.core import servers
from desktop.core.remote import RemoteClient
from desktop.core.remote_extras import ServerExtras
from desktop.core.remote_session import RemoteChatSession, RemoteEngine
from desktop.core.servers import Server
from desktop.ui.panels._remote_texts import RemoteTexts
from desktop.ui.servers_dialog import ServersDialog
from desktop.ui.worker import TaskWorker

log = logging.getLogger(__name__)

OBJECT_NAME = "remoteServers"


class RemoteServers(QObject):
    """Connects the window to a model on a server."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.setObjectName(OBJECT_NAME)
        self.window = window
        self.state = window.state
        self.dialog: ServersDialog | None = None
        self.texts = RemoteTexts(self)
        self.state.reply_finished.connect(self._on_reply_finished)

    @classmethod
    def of(cls, window: QWidget) -> RemoteServers:
        found = window.findChild(RemoteServers, OBJECT_NAME)
        return found if found is not None else cls(window)

    @Slot()
    def open_dialog(self) -> ServersDialog:
        if self.dialog is None:
            self.dialog = ServersDialog(self.window)
            self.dialog.connect_requested.connect(self.connect_to)
        self.dialog.reload()
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog

    @Slot()
    def reconnect_last(self) -> None:
        """Connect again to the server and model the window used last."""
        last = self.window.settings_store.last_server
        if last is None:
            return
        try:
            server = servers.load_servers().get(last[0])
            if server is None:
                raise servers.ServerConfigError(
                    self.tr("The server %1 is no longer saved: connect to it again with "
                            "File ▸ Connect to a server…").replace("%1", last[0]))
        except servers.ServerConfigError as exc:  # removed since, or unreadable
            self.window.first_run.set_error(str(exc))
            return
        self.connect_to(server, last[1])

    @Slot(object, str)
    def connect_to(self, server: Server, model: str) -> None:
        """Check ``model`` on ``server`` in a worker thread, then chat with it."""
        state = self.state
        if state.generating:
            state.say(self.tr("Stop the reply first."), 4000)
            return
        if state.loading:
            return
        message = self.tr("Connecting to %1…").replace("%1", server.name)
        state.set_loading(True, message)
        state.set_task(message)

        def work(_report: Any) -> tuple[RemoteClient, str, int | None]:
            client = RemoteClient(server, servers.api_key(server))
            client.check_model(model)
            n_ctx = None
            try:
                n_ctx = ServerExtras(client).n_ctx()
            except Exception as exc:  # an optional extra: the chat works without it
                log.info("no context size from %s: %s", server.name, exc)
            return client, model, n_ctx

        worker = TaskWorker(work)
        worker.succeeded.connect(self._on_connected)
        worker.failed.connect(self._on_failed)
        worker.done.connect(self._on_done)
        self.window.threads.start(worker, "remote-connect")

    def _on_done(self) -> None:
        if self.state.loading:
            self.state.set_loading(False)
            self.state.set_task(None)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.state.set_loading(False)
        self.state.set_task(None)
        self.state.say(message, 10000)
        if not self.state.closing:
            QMessageBox.warning(self.window, self.tr("Could not connect to the server"),
                                message)

    @Slot(object, str)
    def _on_reply_finished(self, node: Any, reason: str) -> None:
        """A remote stream that dropped: the reply keeps what arrived; say why."""
        error = node.stats.get("error") if "remote" in node.stats else None
        if reason == "interrupted" and error:
            self.state.say(self.tr("The reply was cut off: %1").replace("%1", error), 15000)
        elif node.stats.get("remote", {}).get("lost_text_tokens"):
            self.state.say(self.texts.lost_text(node.stats["remote"]["lost_text_tokens"]),
                           20000)
        elif node.stats.get("remote", {}).get("not_applied"):
            self.state.say(self.texts.not_applied(node.stats["remote"]["not_applied"]), 15000)

    @Slot(object)
    def _on_connected(self, result: tuple[RemoteClient, str, int | None]) -> None:
        client, model, n_ctx = result
        client.context_size = n_ctx
        with contextlib.suppress(servers.ServerConfigError):  # saved: offered at next launch
            saved = client.server.name in servers.load_servers()
            if saved:
                self.window.settings_store.last_server = (client.server.name, model)
        w, state = self.window, self.state
        state.set_loading(False)
        state.set_task(None)
        if state.closing:
            client.client.close()
            return
        w.models.release()  # a local model gives its memory back
        settings = w.settings_store
        session = RemoteChatSession(
            client, model, settings=settings.sampler_settings(),
            max_tokens=settings.max_tokens, conversation=state.current,
            store=w.history.writable_store(),
        )
        engine = RemoteEngine(session, n_ctx)
        build = {"backend": self.tr("%1 at %2").replace("%1", client.server.kind_label)
                 .replace("%2", client.server.name), "gpu_offload": False, "remote": True,
                 "server": client.server.name,
                 "url": client.server.url}
        state.engine = engine  # vocabularies ask it when the views follow
        w.vocab.forget()
        state.set_engine(engine, build, session, True)
        w.page.first_run.set_busy(None)
        w.page.show_chat()
        state.show_reply(state.last_reply())
        state.compose.emit()
        not_applied = session.not_applied()
        if not_applied:  # the settings the user has on that the server will not read: the
            # whole list must fit next to the model label (which names model and server)
            state.say(self.texts.not_applied(not_applied), 20000)
        else:  # a model id may be a whole path (llama-cpp-python's): its file name
            name = model.replace("\\", "/").rsplit("/", 1)[-1]
            state.say(self.tr("Connected to %1 on %2").replace("%1", name).replace(
                "%2", client.server.name), 5000)
