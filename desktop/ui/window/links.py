"""Each dock panel subscribed to the state: one small link per panel says which of the
state's signals it follows and what it shows for each. The panels themselves
(``desktop.ui.panels``) know nothing of the state; a new thing for a panel to show is a
new line in its link."""

from __future__ import annotations

from PySide6.QtCore import QObject

from desktop.core.context import ContextPlan
from desktop.core.conversation import Node
from desktop.core.engine import Engine
from desktop.core.session import plan_of
from desktop.core.thinking import ANSWER
from desktop.ui.panels import (
    ContextPanel,
    InspectorPanel,
    PerformancePanel,
    TimelinePanel,
    TokensPanel,
)
from desktop.ui.thinking_block import has_thinking, phases_of
from desktop.ui.window.gate import gate, set_gate
from desktop.ui.window.state import AppState
from desktop.ui.window.vocab import Vocabularies, unknown_piece

#: a reply with nothing in it: shows an empty timeline
EMPTY_REPLY = Node(0, "assistant", "", None)


class InspectorLink(QObject):
    """The token inspector shows the selected token; its branch button needs the model
    that wrote the reply."""

    def __init__(self, state: AppState, panel: InspectorPanel, vocab: Vocabularies) -> None:
        super().__init__(panel)
        self.state, self.panel, self.vocab = state, panel, vocab
        self._vocab_key: tuple[str, str] | None = None
        gate(panel.branch_button)
        vocab.changed.connect(self._forget_vocab)
        state.reply_shown.connect(self._clear)
        state.reply_started.connect(self._clear)
        state.token_selected.connect(self._show)
        state.changed.connect(self._update_gate)

    def _forget_vocab(self) -> None:
        self._vocab_key = None

    def _clear(self, _node: Node | None = None) -> None:
        self.panel.clear()
        self._update_gate()

    def _show(self, node: Node, index: int) -> None:
        key = self.vocab.key(node.model)
        if key != self._vocab_key:
            self._vocab_key = key
            piece, _ = self.vocab.vocab(node.model)
            self.panel.set_piece_fn(piece or unknown_piece)
        self.panel.show_token(node, index)
        self._update_gate()

    def _update_gate(self) -> None:
        set_gate(self.panel.branch_button, self.state.branch_block(self.state.inspected))


class TimelineLink(QObject):
    """The timeline follows the shown reply, and the selected token. A hidden (or
    tabbed-away) timeline skips the streaming updates and catches up when shown."""

    def __init__(self, state: AppState, panel: TimelinePanel) -> None:
        super().__init__(panel)
        self.state, self.panel = state, panel
        self.node_id: int | None = None  #: the reply it shows
        panel.token_clicked.connect(state.select_token)
        state.reply_shown.connect(self._show)
        state.reply_started.connect(self._show)
        state.reply_progress.connect(self._grew)
        state.reply_finished.connect(lambda node, _reason: self._show(node))
        state.token_selected.connect(self._select)

    def _show(self, node: Node | None) -> None:
        self.panel.set_reply(node if node is not None else EMPTY_REPLY)  # empty: clears it
        self.node_id = node.id if node is not None else None

    def _grew(self, node: Node) -> None:
        if self.panel.isVisible():
            self.panel.update_reply(node)

    def _select(self, node: Node, index: int) -> None:
        if self.node_id != node.id:
            self._show(node)
        self.panel.select(index)

    def on_visible(self, visible: bool) -> None:
        """Its dock was shown or hidden."""
        nodes = self.state.current.nodes
        node = nodes.get(self.node_id) if self.node_id else None
        if visible and node is not None:
            self.panel.update_reply(node)


class TokensLink(QObject):
    """The prompt tokens of the shown reply, named by the vocabulary that made them."""

    def __init__(self, state: AppState, panel: TokensPanel, vocab: Vocabularies) -> None:
        super().__init__(panel)
        self.state, self.panel, self.vocab = state, panel, vocab
        self._vocab_key: tuple[str, str] | None = None
        vocab.changed.connect(self._forget_vocab)
        state.reply_shown.connect(self._show)
        state.reply_prompt.connect(lambda node, _plan: self._show(node))

    def _forget_vocab(self) -> None:
        self._vocab_key = None

    def _set_vocab(self, model: str) -> None:
        key = self.vocab.key(model)
        if key == self._vocab_key:
            return
        self._vocab_key = key
        piece, special = self.vocab.vocab(model)
        # the live tokenizer only for the model the prompt was written with
        engine = self.state.engine
        tokenize = None
        if engine is not None and self.state.uses_engine(model):
            def tokenize(text: str, engine: Engine = engine) -> list[int]:
                # typed text is text: markers like <|im_end|> stay plain pieces, as in a chat
                return engine.tokenize(text, special=False)
        self.panel.set_engine_fns(piece, special, tokenize)

    def _show(self, node: Node | None) -> None:
        if node is None:
            engine = self.state.engine
            self._set_vocab(engine.name if engine is not None else "")
            self.panel.set_prompt([])
            return
        self._set_vocab(node.model)
        self.panel.set_prompt(list(node.prompt_tokens))


class ContextLink(QObject):
    """How the shown reply's prompt filled the context window, and the reply so far."""

    def __init__(self, state: AppState, panel: ContextPanel) -> None:
        super().__init__(panel)
        self.state, self.panel = state, panel
        state.reply_shown.connect(self._show)
        state.reply_prompt.connect(self._plan)
        state.reply_progress.connect(self._grew)
        state.reply_finished.connect(lambda node, _reason: self._grew(node))

    def _show(self, node: Node | None) -> None:
        plan = plan_of(node) if node is not None else None
        if node is not None and plan is not None:
            self._plan(node, plan)
        else:
            self.panel.clear()
            if node is not None and "remote" in node.stats:  # a server's reply: no plan
                self.panel.title.setText(
                    self.panel.remote_texts.context(node.stats, len(node.traces)))

    def _plan(self, node: Node, plan: ContextPlan | None) -> None:
        if plan is not None:
            self.panel.set_plan(plan, len(node.traces), self.state.plan_texts(node),
                                thinking_tokens(node))

    def _grew(self, node: Node) -> None:
        if "message_tokens" in node.stats:
            self.panel.set_reply_tokens(len(node.traces), thinking_tokens(node))
        elif "remote" in node.stats:
            self._show(node)


def thinking_tokens(node: Node) -> int:
    """Tokens of ``node`` in its thinking block, markers included (0 without one)."""
    if not node.traces or not has_thinking(node):
        return 0
    return sum(1 for p in phases_of(node) if p != ANSWER)


class PerformanceLink(QObject):
    """Where the model runs, and the shown reply's speeds."""

    def __init__(self, state: AppState, panel: PerformancePanel) -> None:
        super().__init__(panel)
        self.state, self.panel = state, panel
        state.engine_changed.connect(self._engine)
        state.reply_shown.connect(self._stats)
        state.reply_prompt.connect(lambda node, _plan: self._stats(node))
        state.reply_finished.connect(lambda node, _reason: self._stats(node))

    def _engine(self, engine: object) -> None:
        if engine is not None and self.state.engine is not None:
            self.panel.set_backend(self.state.build or {})
            self.panel.set_gpu_layers(self.state.engine.options.n_gpu_layers)

    def _stats(self, node: Node | None) -> None:
        self.panel.set_stats(dict(node.stats) if node is not None else {})
