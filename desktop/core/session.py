"""A chat session: a Conversation tree, an engine, and traced generation into its nodes.

The CLI and the window both drive this: ``send`` a message, ``regenerate`` a reply,
``branch`` a reply at a token with another candidate. Each yields generation events while
it fills the reply node (text, StepTraces, stats).
"""

from __future__ import annotations

import codecs
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from .chat import ChatTemplate, Message
from .context import ContextPlan, plan_context
from .conversation import Conversation, Node
from .engine import Engine
from .generation import DoneEvent, Event, PromptEvent, generate
from .prompt import prompt_tokenizer
from .reply_writer import record_event
from .sampling import SamplerSettings
from .store import ReplyWriter, Store
from .thinking import Markers, ThinkingBudget
from .trace import StepTrace

_PLAN_KEYS = (
    "n_ctx", "reply_reserve", "message_tokens", "message_roles", "plan_dropped",
    "generation_prompt",
)


def plan_of(node: Node) -> ContextPlan | None:
    """The context plan a stored reply was generated with (rebuilt without the model)."""
    st = node.stats
    if "message_tokens" not in st:
        return None
    return ContextPlan(
        n_ctx=st["n_ctx"], reply_reserve=st["reply_reserve"],
        message_tokens=list(st["message_tokens"]), dropped=list(st["plan_dropped"]),
        tokens=list(node.prompt_tokens), generation_prompt=st["generation_prompt"],
        roles=list(st["message_roles"]),
    )


def template_for(engine: Engine, chat_format: str | None = None) -> ChatTemplate:
    """The chat template for ``engine``'s model: its own (falling back visibly to the plain
    one when it cannot render), or, for a file without one, llama.cpp's built-in format
    for its markers or architecture (``builtin_templates.choose``). ``chat_format``
    overrides: "auto", "file", "plain" or a built-in name. The returned template's
    ``reason`` says how it was chosen."""
    from .builtin_templates import BuiltinTemplate, choose

    def text(token: int) -> str:
        return engine.piece(token).decode("utf-8", "replace") if token >= 0 else ""

    arch = engine.info.architecture or engine.metadata.get("general.architecture", "")
    choice = choose(engine.chat_template, engine.control_token_texts, arch, chat_format)
    if choice.kind == "builtin":
        return BuiltinTemplate(choice.name, choice.reason)
    source = engine.chat_template if choice.kind == "file" else None
    t = ChatTemplate.for_model(source, bos_token=text(engine.bos_id), eos_token=text(engine.eos_id))
    t.reason = t.fallback_reason or choice.reason
    return t


@dataclass
class ChatSession:
    engine: Engine
    settings: SamplerSettings = field(default_factory=SamplerSettings)
    system: str | None = None
    max_tokens: int = 512
    conversation: Conversation = field(default_factory=Conversation)
    template: ChatTemplate | None = None
    #: the chat format asked for ("auto", "file", "plain" or a llama.cpp built-in name)
    chat_format: str | None = None
    #: most tokens a reply may think (inside <think>…</think>) before the block is closed
    thinking_budget: int | None = None
    #: for templates that support it (Qwen3): False asks the model not to think
    enable_thinking: bool | None = None
    markers: Markers = field(default_factory=Markers)
    last_plan: ContextPlan | None = None
    last_done: DoneEvent | None = None
    #: where replies are saved while they stream (None: not saved)
    store: Store | None = None
    last_writer: ReplyWriter | None = None

    def __post_init__(self) -> None:
        if self.template is None:
            self.template = template_for(self.engine, self.chat_format)
        if self.enable_thinking is not None:
            self.template.extra_context["enable_thinking"] = self.enable_thinking
        if self.system:
            self.conversation.system = self.system

    @property
    def messages(self) -> list[Message]:
        """The selected branch as messages (a new list: changing it changes nothing)."""
        return self.conversation.messages()

    def reset(self) -> None:
        """Start a new, empty conversation (same system prompt); the old one is kept in the
        store if it was saved."""
        self.conversation = Conversation()
        if self.system:
            self.conversation.system = self.system
        self.last_plan = self.last_done = None

    def reply_reserve(self) -> int:
        return min(self.max_tokens, self.engine.n_ctx // 4)

    def plan(self, messages: list[Message]) -> ContextPlan:
        assert self.template is not None
        e = self.engine
        tokenize = prompt_tokenizer(e, e.bos_id if e.add_bos else None)
        return plan_context(messages, self.template, tokenize, e.n_ctx, self.reply_reserve())

    # --- the three ways to get a reply -----------------------------------------------

    def send(self, user_text: str, cancel: threading.Event | None = None) -> Iterator[Event]:
        """Add a user message after the selected leaf and generate the reply."""
        before = self.conversation.leaf
        user = self.conversation.add(self.conversation.leaf, "user", user_text)
        return self._reply_or_undo(user, before, cancel)

    def regenerate(self, reply_id: int, cancel: threading.Event | None = None) -> Iterator[Event]:
        """A new version of an assistant reply (a sibling), with the current settings."""
        parent = self.conversation.nodes[reply_id].parent
        assert parent is not None
        return self._reply_to(self.conversation.nodes[parent], cancel)

    def edit(
        self, user_id: int, text: str, cancel: threading.Event | None = None
    ) -> Iterator[Event]:
        """Resend an edited user message as a new branch."""
        before = self.conversation.leaf
        parent = self.conversation.nodes[user_id].parent
        user = self.conversation.add(parent, "user", text)
        return self._reply_or_undo(user, before, cancel)

    def branch(
        self, reply_id: int, index: int, token: int, cancel: threading.Event | None = None
    ) -> Iterator[Event]:
        """Continue reply ``reply_id`` from token ``index`` with ``token`` instead: a sibling
        reply that shares the tokens before ``index`` (their KV cache is reused)."""
        old = self.conversation.nodes[reply_id]
        settings = old.settings or self.settings
        forced = old.traces[index].forced(token, self.engine.piece(token), settings)
        kept = [*old.traces[:index], forced]
        node = self.conversation.add(
            old.parent, "assistant", "", settings=settings, prompt_tokens=list(old.prompt_tokens),
            branched_at=index, dropped=list(old.dropped), model=self.engine.name,
        )
        node.traces = kept
        node.stats.update({k: v for k, v in old.stats.items() if k in _PLAN_KEYS})
        return self._run(node, [*old.prompt_tokens, *(t.token for t in kept)], cancel, kept)

    # --- machinery -----------------------------------------------------------------

    def _reply_or_undo(
        self, user: Node, previous: int | None, cancel: threading.Event | None
    ) -> Iterator[Event]:
        """Reply to a new user message; if it cannot be answered (too long for the context,
        a template error), take the message back out so the conversation is unchanged."""
        try:
            return self._reply_to(user, cancel)
        except Exception:
            self.conversation.remove(user.id)
            self.conversation.leaf = previous
            raise

    def _reply_to(self, user: Node, cancel: threading.Event | None) -> Iterator[Event]:
        plan = self.plan(self.conversation.messages(user.id))
        self.last_plan = plan
        path = self.conversation.path(user.id)
        offset = 1 if self.conversation.system else 0
        dropped = [path[i - offset].id for i in plan.dropped if i >= offset]
        node = self.conversation.add(
            user.id, "assistant", "", settings=self.settings, prompt_tokens=list(plan.tokens),
            dropped=dropped, model=self.engine.name,
        )
        node.stats.update(
            n_ctx=plan.n_ctx, reply_reserve=plan.reply_reserve,
            message_tokens=plan.message_tokens, message_roles=plan.roles,
            plan_dropped=plan.dropped, generation_prompt=plan.generation_prompt,
        )
        return self._run(node, plan.tokens, cancel, [])

    def _run(
        self, node: Node, prompt: list[int], cancel: threading.Event | None,
        prefix: list[StepTrace],
    ) -> Iterator[Event]:
        assert self.template is not None
        settings = node.settings or self.settings
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        node.content = decoder.decode(b"".join(t.piece for t in prefix))
        node.traces = list(prefix)
        writer = None
        if self.store is not None:
            writer = ReplyWriter(
                self.store, self.conversation, node, self.engine.piece, self.engine.is_special
            )
            writer.update(force=True)  # the user's message is safe before generation starts
        self.last_writer = writer
        before = prompt[: len(prompt) - len(prefix)]  # the prompt without the kept reply
        context = self.engine.detokenize(before[-256:]).decode("utf-8", "replace")
        # only a block the template opened at the very end of the prompt counts: a typed
        # "<think>" in a message is text, never the start of the reply's thinking
        inside = context.rstrip().endswith(self.markers.open)
        node.stats["thinking_starts_inside"] = inside
        budget = None
        if self.thinking_budget is not None:
            budget = ThinkingBudget(self.thinking_budget, self.markers, inside)
            for t in prefix:
                budget.feed(t.piece)
        for event in generate(
            self.engine, prompt, settings, max_tokens=max(1, self.max_tokens - len(prefix)),
            stop=self.template.stops, cancel=cancel, first_index=len(prefix), thinking=budget,
        ):
            if isinstance(event, PromptEvent):
                node.stats.update(
                    n_prompt=event.stats.n_prompt, n_reused=event.stats.n_reused,
                    n_evaluated=event.stats.n_evaluated, prompt_seconds=event.stats.seconds,
                )
            elif isinstance(event, DoneEvent):
                node.stats["seed"] = event.seed
                self.last_done = event
            record_event(node, event, writer)
            yield event
