"""The middle of the window: the first-run page, or the chat with its heat legend, the
"no model" bar and the composer. ``CentralStack.follow`` subscribes it to the state."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.core.conversation import Conversation, Node
from desktop.ui.chat_view import ChatView
from desktop.ui.composer import Composer
from desktop.ui.first_run import FirstRunPage
from desktop.ui.heat_legend import HeatLegend
from desktop.ui.settings_store import SettingsStore
from desktop.ui.window.gate import set_gate
from desktop.ui.window.state import AppState
from desktop.ui.window.vocab import Vocabularies

#: what heat mode can colour by
METRICS = ("probability", "entropy")


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

    load_requested = Signal(object)  #: the model file (Path) that wrote the conversation
    open_requested = Signal()
    browse_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelBar")
        self.path: Path | None = None
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.load_button = QPushButton(self)
        self.load_button.clicked.connect(self._load)
        self.open_button = QPushButton(self.tr("Open a model…"), self)
        self.open_button.clicked.connect(self.open_requested)
        self.browse_button = QPushButton(self.tr("Models…"), self)
        self.browse_button.setToolTip(self.tr("Search, download and manage models"))
        self.browse_button.clicked.connect(self.browse_requested)
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
            self.load_requested.emit(self.path)

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


class CentralStack(QStackedWidget):
    """The first-run page and the chat page, one of them shown."""

    #: heat mode's colour scale changed (one of METRICS)
    metric_changed = Signal(str)

    def __init__(self, settings: SettingsStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.first_run = FirstRunPage(self)
        self.chat_page = QWidget(self)
        layout = QVBoxLayout(self.chat_page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.legend = HeatLegend(self.chat_page)
        self.legend.metric_changed.connect(self.set_metric)
        self.legend.hide()
        self.chat = WindowChat(self.chat_page)
        self.model_bar = ModelBar(self.chat_page)
        self.model_bar.hide()
        self.composer = Composer(self.chat_page)
        layout.addWidget(self.legend)
        layout.addWidget(self.chat, 1)
        layout.addWidget(self.model_bar)
        layout.addWidget(self.composer)
        self.addWidget(self.first_run)
        self.addWidget(self.chat_page)
        self.setCurrentWidget(self.chat_page)
        self.state: AppState | None = None
        self.vocab: Vocabularies | None = None

    def show_chat(self) -> None:
        self.setCurrentWidget(self.chat_page)

    def show_first_run(self) -> None:
        self.setCurrentWidget(self.first_run)

    # --- heat mode -----------------------------------------------------------------------

    def set_heat(self, on: bool) -> None:
        self.legend.setVisible(on)
        self.chat.set_heat(on)
        self.settings.heat_mode = on

    def set_metric(self, metric: str) -> None:
        if metric not in METRICS:
            return
        self.legend.set_metric(metric)
        self.chat.set_heat(self.chat.heat_mode, metric)
        self.settings.heat_metric = metric
        self.metric_changed.emit(metric)

    # --- following the state -------------------------------------------------------------

    def follow(self, state: AppState, vocab: Vocabularies) -> None:
        """Subscribe the chat, the composer and the model bar to ``state``."""
        self.state, self.vocab = state, vocab
        chat = self.chat
        chat.token_selected.connect(state.select_token)
        state.conversation_changed.connect(self._on_conversation)
        state.engine_changed.connect(self._on_engine)
        state.loading_changed.connect(lambda _on: chat.set_notice(state.loading_message))
        state.changed.connect(self._update_gates)
        state.generating_changed.connect(self._on_generating)
        state.path_changed.connect(self._on_path)
        state.message_sent.connect(lambda _text: chat.scroll_to_bottom())
        state.reply_started.connect(self._on_started)
        state.reply_prompt.connect(lambda node, _plan: chat.update_node(node.id))
        state.reply_grew.connect(lambda node: chat.update_node(node.id))
        state.token_selected.connect(self._on_token)
        state.compose.connect(self.composer.edit.setFocus)

    def _on_conversation(self, conv: Conversation) -> None:
        assert self.state is not None
        self._update_vocab()
        self._name_models(conv)
        self.chat.set_conversation(conv)
        self._update_model_bar()
        if self.state.engine is None and not self.state.loading:
            self.setCurrentWidget(self.chat_page if conv.nodes else self.first_run)

    def _on_engine(self, engine: object) -> None:
        if engine is None:
            return
        state = self.state
        assert state is not None and state.engine is not None
        # the file's name: what the user chose (general.name can be a training run's id)
        self.chat.model_names[state.engine.name] = state.engine.path.stem
        self._update_vocab()
        self.chat.rebuild()

    def _on_generating(self, generating: bool) -> None:
        if not generating:
            self.chat.rebuild()

    def _on_path(self) -> None:
        self.chat.selected = None
        self.chat.rebuild()

    def _on_started(self, node: Node) -> None:
        self.chat.set_busy(True, node.id)
        self.chat.selected = None
        self.chat.rebuild()

    def _on_token(self, node: Node, index: int) -> None:
        if self.chat.selected != (node.id, index):  # a click in the timeline
            self.chat.select_token(node.id, index, notify=False)

    def _update_vocab(self) -> None:
        """Heat mode groups special tokens apart: the vocabulary of the conversation's
        replies (the model's, or the stored one)."""
        assert self.state is not None and self.vocab is not None
        reply = self.state.last_reply()
        _, special = self.vocab.vocab(reply.model if reply is not None else "")
        self.chat.is_special = special

    def _name_models(self, conv: Conversation) -> None:
        """Show each reply's model by the name of the file it was loaded from, as the
        status bar does (the name inside a GGUF can be a training run's id)."""
        for node in conv.nodes.values():
            if node.model and node.model not in self.chat.model_names:
                file = self.settings.model_file(node.model)
                if file:
                    self.chat.model_names[node.model] = Path(file).stem

    def _update_model_bar(self) -> None:
        assert self.state is not None
        reply = self.state.last_reply()
        if reply is None or not reply.model:
            self.model_bar.set_model(None)
            return
        file = self.settings.model_file(reply.model)
        path = Path(file) if file and Path(file).is_file() else None
        self.model_bar.set_model(self.chat.model_names.get(reply.model, reply.model), path)

    def _update_gates(self) -> None:
        """What needs a model, or no reply under way, is on or off (with a reason)."""
        state = self.state
        assert state is not None
        gen, loading = state.generating, state.loading
        composer = self.composer
        can_chat = state.session is not None and not loading
        composer.setEnabled(can_chat)
        composer.set_busy(gen)
        if not can_chat and not loading:
            hint = (state.needs_model_text() if state.current.nodes
                    else self.tr("Load a model to start chatting"))
            composer.edit.setPlaceholderText(hint)
            composer.button.setToolTip(hint)
            composer.edit.setToolTip(hint)
        else:
            composer.edit.setToolTip("")
        self.chat.set_busy(gen, state.streaming_id if gen else None)
        self.chat.set_needs_model(None if state.session is not None
                                  else state.needs_model_text())
        self.model_bar.setVisible(state.engine is None and not loading)
