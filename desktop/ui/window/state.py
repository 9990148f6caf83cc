"""What the window is about right now, and the signals that say it changed.

One ``AppState`` per window. Controllers change it (a model loads, a conversation opens,
a reply streams); views subscribe to its signals and redraw themselves. Nothing here
builds a widget, so it is tested on its own.

The flows, each a straight line:

* the user clicks a token: ChatView.token_selected → ``select_token`` →
  ``token_selected`` → inspector, timeline, chat.
* a reply streams: worker → the Generation controller → ``reply_grew`` (every batch: the
  chat) and ``reply_progress`` (at most every 200 ms: the panels, the status bar).
* a conversation opens: ``open`` → ``conversation_changed`` (chat, title) → ``show_reply``
  → ``reply_shown`` (every panel).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from desktop.core.conversation import Conversation, Node

if TYPE_CHECKING:
    from desktop.core.engine import Engine
    from desktop.core.session import ChatSession


class AppState(QObject):
    """The loaded model, the open conversation, the selected reply and token, and whether
    a model loads or a reply is being written."""

    #: something enablement depends on changed (model, loading, generating, conversation)
    changed = Signal()
    #: a model was loaded (the Engine) or dropped (None)
    engine_changed = Signal(object)
    #: a model starts (True) or stops (False) loading
    loading_changed = Signal(bool)
    #: a long task's message for the status bar (None: the task ended)
    task_changed = Signal(object)
    #: a reply starts (True) or stops (False) being written
    generating_changed = Signal(bool)
    #: another conversation is open (the Conversation)
    conversation_changed = Signal(object)
    #: the open conversation's title changed
    title_changed = Signal()
    #: the conversation's selected path changed (another version of a message)
    path_changed = Signal()
    #: the user may type a message now: the composer takes the focus
    compose = Signal()
    #: a message was sent (its text); the reply is under way
    message_sent = Signal(str)
    #: the panels show this reply (a Node, or None: nothing)
    reply_shown = Signal(object)
    #: the user selected token ``index`` of reply ``node``
    token_selected = Signal(object, int)
    #: a reply is being written: its node exists now
    reply_started = Signal(object)
    #: the reply's prompt was evaluated: the node and its ContextPlan (None: not known)
    reply_prompt = Signal(object, object)
    #: the reply grew (every batch the worker sends)
    reply_grew = Signal(object)
    #: the reply grew (at most every PANEL_INTERVAL_MS: the panels follow these)
    reply_progress = Signal(object)
    #: the reply ended: the node and the reason ("eog", "length", "cancelled", ...)
    reply_finished = Signal(object, str)
    #: the generation is over and its result saved (or not): lists and titles follow
    reply_done = Signal()
    #: a message for the status bar, and how long it shows (ms)
    message = Signal(str, int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine: Engine | None = None
        self.owns_engine = False
        #: the llama.cpp build the engine runs on (backend.build_info().to_dict())
        self.build: dict[str, Any] | None = None
        self.session: ChatSession | None = None
        self.loading = False
        #: what is loading ("Loading model.gguf…"), shown in the chat and the status bar
        self.loading_message: str | None = None
        self.generating = False
        #: the reply being written (its node id), once it exists
        self.streaming_id: int | None = None
        self.current = Conversation(title="")
        #: the reply the inspector shows a token of
        self.inspected: Node | None = None
        #: the selected token: (node id, index)
        self.selected: tuple[int, int] | None = None
        #: the window is closing: no dialogs, no new work
        self.closing = False

    # --- the model ---------------------------------------------------------------------

    def set_engine(self, engine: Engine | None, build: dict[str, Any] | None = None,
                   session: ChatSession | None = None, owned: bool = False) -> None:
        """A model is ready (``engine``, with its ``session``) or gone (None)."""
        self.engine = engine
        self.session = session
        self.owns_engine = owned if engine is not None else False
        if engine is not None:
            self.build = build
        self.engine_changed.emit(engine)
        self.changed.emit()

    def set_loading(self, loading: bool, message: str | None = None) -> None:
        self.loading = loading
        self.loading_message = message if loading else None
        self.loading_changed.emit(loading)
        self.changed.emit()

    def set_task(self, message: str | None) -> None:
        self.task_changed.emit(message)

    def uses_engine(self, model: str) -> bool:
        """Whether the loaded model is the one that wrote replies of ``model``."""
        return self.engine is not None and (not model or model == self.engine.name)

    def needs_model_text(self) -> str:
        return self.tr("Load a model to continue this conversation")

    def branch_block(self, node: Node | None) -> str | None:
        """Why reply ``node`` cannot be branched now (None: it can)."""
        if self.session is None or self.engine is None:
            return self.needs_model_text()
        why_not = getattr(self.session, "branch_support", None)  # a remote server's reason
        if why_not is not None and why_not() is not None:
            return str(why_not())
        if node is not None and node.model and node.model != self.engine.name:
            return self.tr("Branching needs the model that wrote this reply (%1); %2 is "
                           "loaded.").replace("%1", node.model).replace("%2", self.engine.name)
        return None

    # --- generating --------------------------------------------------------------------

    def set_generating(self, generating: bool) -> None:
        self.generating = generating
        if not generating:
            self.streaming_id = None
        self.changed.emit()
        self.generating_changed.emit(generating)

    def start_reply(self, node: Node) -> None:
        """The reply being written exists now: nothing is selected while it streams."""
        self.streaming_id = node.id
        self.inspected = None
        self.selected = None
        self.reply_started.emit(node)

    # --- the conversation --------------------------------------------------------------

    def open(self, conv: Conversation) -> None:
        """Show ``conv``; the panels show its last reply."""
        self.current = conv
        if self.session is not None:
            self.session.conversation = conv
        self.selected = None
        self.conversation_changed.emit(conv)
        self.show_reply(self.last_reply())
        self.changed.emit()

    def last_reply(self) -> Node | None:
        for node in reversed(self.current.path()):
            if node.role == "assistant":
                return node
        return None

    def show_path(self) -> None:
        """Another version of a message was chosen: the chat and the panels follow."""
        self.selected = None
        self.path_changed.emit()
        self.show_reply(self.last_reply())

    def plan_texts(self, reply: Node) -> list[str]:
        """The contents of the messages a reply's context plan counted (system first)."""
        return [m.content for m in self.current.messages(reply.parent)]

    def show_reply(self, node: Node | None) -> None:
        """Point the panels at a reply (the last one on the path, usually)."""
        self.inspected = None
        self.reply_shown.emit(node)

    def select_token(self, node_id: int, index: int) -> None:
        """Select token ``index`` of reply ``node_id`` (a click in the chat or the
        timeline, or a script); out-of-range selections are ignored."""
        node = self.current.nodes.get(node_id)
        if node is None or not 0 <= index < len(node.traces):
            return
        self.inspected = node
        self.selected = (node_id, index)
        self.token_selected.emit(node, index)

    def say(self, text: str, ms: int) -> None:
        self.message.emit(text, ms)

