"""A chat session: messages, the template, the context plan, and traced generation."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from .chat import ChatTemplate, Message
from .context import ContextPlan, plan_context
from .engine import Engine
from .generation import DoneEvent, Event, generate
from .sampling import SamplerSettings


@dataclass
class ChatSession:
    engine: Engine
    settings: SamplerSettings = field(default_factory=SamplerSettings)
    system: str | None = None
    max_tokens: int = 512
    messages: list[Message] = field(default_factory=list)
    template: ChatTemplate | None = None
    last_plan: ContextPlan | None = None
    last_done: DoneEvent | None = None

    def __post_init__(self) -> None:
        if self.template is None:
            e = self.engine
            self.template = ChatTemplate(
                e.chat_template,
                bos_token=e.piece(e.bos_id).decode("utf-8", "replace") if e.bos_id >= 0 else "",
                eos_token=e.piece(e.eos_id).decode("utf-8", "replace") if e.eos_id >= 0 else "",
            )

    def conversation(self, user_text: str) -> list[Message]:
        msgs = [Message("system", self.system)] if self.system else []
        return [*msgs, *self.messages, Message("user", user_text)]

    def reply_reserve(self) -> int:
        return min(self.max_tokens, self.engine.n_ctx // 4)

    def plan(self, user_text: str) -> ContextPlan:
        assert self.template is not None
        e = self.engine
        return plan_context(
            self.conversation(user_text),
            self.template,
            e.tokenize,
            e.n_ctx,
            self.reply_reserve(),
            e.bos_id if e.add_bos else None,
        )

    def send(self, user_text: str, cancel: threading.Event | None = None) -> Iterator[Event]:
        """Plan the context, generate a reply, and append both turns when it is done."""
        assert self.template is not None
        plan = self.plan(user_text)
        self.last_plan = plan
        for event in generate(
            self.engine,
            plan.tokens,
            self.settings,
            max_tokens=self.max_tokens,
            stop=self.template.stops,
            cancel=cancel,
        ):
            if isinstance(event, DoneEvent):
                self.last_done = event
                self.messages += [Message("user", user_text), Message("assistant", event.text)]
            yield event
