"""Remote servers: add, edit and remove them, list a server's models, connect to one.

The API key is typed into a password field and goes straight to the keyring
(``core.servers.add_server``); it is never shown back, logged or kept in a widget after a
save. Listing models runs off the UI thread; its errors are shown in the dialog as the
core's one-line messages.
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

import desktop.ui.compat  # noqa: F401  (first: a PySide6 bug work-around)
from desktop.core import servers
from desktop.core.errors import TokenscopeError
from desktop.core.limits import LIMITS
from desktop.core.servers import KINDS, Server

log = logging.getLogger(__name__)


class _Relay(QObject):
    """Carries a background thread's result to the UI thread (queued signals)."""

    models = Signal(str, object)  #: server name, list of model ids
    failed = Signal(str, str)  #: server name, message


class ServersDialog(QDialog):
    """``connect_requested(Server, model_id)`` when the user connects."""

    connect_requested = Signal(object, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("serversDialog")
        self.setWindowTitle(self.tr("Remote servers"))
        self.resize(760, 420)
        self._relay = _Relay(self)
        self._relay.models.connect(self._on_models)
        self._relay.failed.connect(self._on_failed)

        outer = QHBoxLayout(self)
        left = QVBoxLayout()
        self.list = QListWidget(self)
        self.list.setObjectName("serverList")
        self.list.currentItemChanged.connect(self._on_pick)
        left.addWidget(self.list, 1)
        row = QHBoxLayout()
        self.new_button = QPushButton(self.tr("New"), self)
        self.new_button.clicked.connect(self.new_server)
        self.remove_button = QPushButton(self.tr("Remove"), self)
        self.remove_button.clicked.connect(self.remove_selected)
        row.addWidget(self.new_button)
        row.addWidget(self.remove_button)
        left.addLayout(row)
        outer.addLayout(left, 1)

        right = QVBoxLayout()
        intro = QLabel(self.tr(
            "Chat with a model served elsewhere: vLLM, llama.cpp's llama-server, LM Studio, "
            "Ollama or any OpenAI-compatible server. Probabilities come from the server's "
            "logprobs; a server does not reveal its sampler stages."), self)
        intro.setWordWrap(True)
        right.addWidget(intro)
        form = QFormLayout()
        self.name = QLineEdit(self)
        self.name.setObjectName("serverName")
        self.url = QLineEdit(self)
        self.url.setObjectName("serverUrl")
        self.url.setPlaceholderText("http://gpu-box:8000/v1")
        self.kind = QComboBox(self)
        self.kind.setObjectName("serverKind")
        for kind, label in KINDS.items():
            self.kind.addItem(label, kind)
        self.key = QLineEdit(self)
        self.key.setObjectName("serverKey")
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.key.setAccessibleName(self.tr("API key"))
        self.top = QSpinBox(self)
        self.top.setObjectName("serverTop")
        lim = LIMITS["top_logprobs"]
        self.top.setRange(int(lim.low), int(lim.high))
        self.top.setValue(20)
        self.template = QLineEdit(self)
        self.template.setObjectName("serverTemplate")
        self.template.setPlaceholderText(self.tr("chatml, or a Jinja file (for branching)"))
        form.addRow(self.tr("Name"), self.name)
        form.addRow(self.tr("URL"), self.url)
        form.addRow(self.tr("Kind"), self.kind)
        form.addRow(self.tr("API key"), self.key)
        form.addRow(self.tr("Top-N per token"), self.top)
        form.addRow(self.tr("Chat template"), self.template)
        right.addLayout(form)
        self.save_button = QPushButton(self.tr("Save"), self)
        self.save_button.setObjectName("serverSave")
        self.save_button.clicked.connect(self.save)
        right.addWidget(self.save_button, 0, Qt.AlignmentFlag.AlignRight)

        models_row = QHBoxLayout()
        self.models_button = QPushButton(self.tr("List models"), self)
        self.models_button.setObjectName("serverModels")
        self.models_button.clicked.connect(self.refresh_models)
        self.models = QComboBox(self)
        self.models.setObjectName("serverModelChoice")
        self.models.setMinimumWidth(240)
        models_row.addWidget(self.models_button)
        models_row.addWidget(self.models, 1)
        right.addLayout(models_row)
        self.status = QLabel(self)
        self.status.setObjectName("serverStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        right.addWidget(self.status)
        right.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.connect_button = QPushButton(self.tr("Connect"), self)
        self.connect_button.setObjectName("serverConnect")
        self.connect_button.setDefault(True)
        self.connect_button.clicked.connect(self._connect)
        close = QPushButton(self.tr("Close"), self)
        close.clicked.connect(self.reject)
        buttons.addWidget(self.connect_button)
        buttons.addWidget(close)
        right.addLayout(buttons)
        outer.addLayout(right, 2)
        self.reload()
        self._update()

    # --- the list ----------------------------------------------------------------------

    def reload(self, select: str | None = None) -> None:
        self.list.clear()
        try:
            saved = servers.load_servers()
        except TokenscopeError as exc:
            self._say(str(exc), error=True)
            saved = {}
        for s in saved.values():
            item = QListWidgetItem(f"{s.name}\n{s.url}", self.list)
            item.setData(Qt.ItemDataRole.UserRole, s)
            if s.name == select:
                self.list.setCurrentItem(item)
        if self.list.currentItem() is None and self.list.count():
            self.list.setCurrentRow(0)

    def selected(self) -> Server | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    @Slot()
    def _on_pick(self) -> None:
        s = self.selected()
        if s is None:
            return
        self.name.setText(s.name)
        self.url.setText(s.url)
        self.kind.setCurrentIndex(max(0, self.kind.findData(s.kind)))
        self.key.clear()
        has_key = servers.api_key(s) is not None
        self.key.setPlaceholderText(
            self.tr("saved in the keyring (type to replace)") if has_key
            else self.tr("none (type one if the server needs it)"))
        self.top.setValue(s.top_logprobs)
        self.template.setText(s.template)
        self.models.clear()
        self._say("")
        self._update()
        self.refresh_models()  # a saved server: its models at once (off the UI thread)

    @Slot()
    def new_server(self) -> None:
        self.list.setCurrentRow(-1)
        for field in (self.name, self.url, self.key, self.template):
            field.clear()
        self.key.setPlaceholderText(self.tr("none (type one if the server needs it)"))
        self.kind.setCurrentIndex(self.kind.findData("openai"))
        self.top.setValue(20)
        self.models.clear()
        self.name.setFocus()
        self._update()

    @Slot()
    def save(self) -> bool:
        """Save the form (the key, if typed, to the keyring). False with a message when
        the entry or the key cannot be kept."""
        server = Server(self.name.text().strip(), self.url.text().strip(),
                        str(self.kind.currentData()), self.top.value(),
                        self.template.text().strip())
        key = self.key.text().strip() or None
        old = self.selected()
        try:
            if old is not None and old.name != server.name:  # a rename keeps the key
                where = servers.rename_server(old.name, server, key)
            else:
                where = servers.add_server(server, key)
        except TokenscopeError as exc:
            self._say(str(exc), error=True)
            return False
        self.key.clear()
        self.reload(select=server.name)
        self._say(self.tr("Saved. The API key is in %1.").replace("%1", where) if where
                  else self.tr("Saved."))
        return True

    @Slot()
    def remove_selected(self) -> None:
        s = self.selected()
        if s is None:
            return
        try:
            servers.remove_server(s.name)
        except TokenscopeError as exc:
            self._say(str(exc), error=True)
            return
        self.reload()
        if self.list.count() == 0:
            self.new_server()
        self._say(self.tr("Removed %1 and its API key.").replace("%1", s.name))

    # --- models and connecting ---------------------------------------------------------

    @Slot()
    def refresh_models(self) -> None:
        """Ask the selected (or just typed and saved) server for its models, off the UI
        thread."""
        server = self.selected()
        typed = (self.name.text().strip(), self.url.text().strip(), self.key.text().strip())
        if server is None or typed[:2] != (server.name, server.url) or typed[2]:
            if not self.save():  # what was typed is saved first (the key to the keyring)
                return
            server = self.selected()
        if server is None:
            return
        self.models_button.setEnabled(False)
        self._say(self.tr("Asking %1 for its models…").replace("%1", server.name))

        def work() -> None:
            from desktop.core.remote import RemoteClient

            try:
                names = RemoteClient(server, servers.api_key(server)).models()
            except TokenscopeError as exc:
                self._relay.failed.emit(server.name, str(exc))
            except Exception as exc:  # reported, not raised
                log.exception("listing models failed")
                self._relay.failed.emit(server.name, f"{type(exc).__name__}: {exc}")
            else:
                self._relay.models.emit(server.name, names)

        threading.Thread(target=work, name="server-models", daemon=True).start()

    @Slot(str, object)
    def _on_models(self, name: str, names: list[str]) -> None:
        self.models_button.setEnabled(True)
        if not self._is_selected(name):  # an answer for a server no longer selected
            return
        self.models.clear()
        self.models.addItems(names)
        self._say(self.tr("Models on %1: %2").replace("%1", name)
                  .replace("%2", str(len(names))))
        self._update()

    @Slot(str, str)
    def _on_failed(self, name: str, message: str) -> None:
        self.models_button.setEnabled(True)
        if not self._is_selected(name):
            return
        self._say(message, error=True)
        self._update()

    @Slot()
    def _connect(self) -> None:
        server, model = self.selected(), self.models.currentText()
        if server is None or not model:
            return
        self.connect_requested.emit(server, model)
        self.accept()

    def _is_selected(self, name: str) -> bool:
        server = self.selected()
        return server is not None and server.name == name

    def _update(self) -> None:
        self.remove_button.setEnabled(self.selected() is not None)
        self.connect_button.setEnabled(self.selected() is not None and self.models.count() > 0)

    def _say(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setProperty("error", error)
        self.status.setStyleSheet("color: #c0392b;" if error else "")
