"""The context budget: what of a conversation fits in n_ctx, and what must be dropped.

Policy: the system prompt and the current input are never dropped; when the rest does not
fit with room for the reply, the oldest turns go first (a user message together with the
replies that answer it). When even system + input + reply reserve do not fit, the input
is refused with ``ContextOverflowError``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .chat import ChatTemplate, Message, RenderedPrompt
from .errors import ContextOverflowError


@dataclass
class ContextPlan:
    n_ctx: int
    reply_reserve: int
    #: per message of the conversation (same order): its token count under the template
    message_tokens: list[int]
    #: indices of messages dropped to make room (oldest first)
    dropped: list[int]
    #: the exact prompt the model receives, after the template
    tokens: list[int] = field(default_factory=list)
    #: tokens the template adds after the last message (the generation prompt)
    generation_prompt: int = 0
    roles: list[str] = field(default_factory=list)

    def kept(self) -> list[int]:
        return [i for i in range(len(self.message_tokens)) if i not in self.dropped]

    def totals(self) -> dict[str, int]:
        """Tokens by part: system, earlier turns, input, reply reserve, free (sums to n_ctx)."""
        kept = self.kept()
        last = len(self.message_tokens) - 1
        system = sum(self.message_tokens[i] for i in kept if self.roles[i] == "system")
        user_input = (self.message_tokens[last] + self.generation_prompt) if kept else 0
        used = len(self.tokens)
        earlier = max(0, used - system - user_input)
        reserve = min(self.reply_reserve, max(0, self.n_ctx - used))
        return {
            "system": system,
            "earlier": earlier,
            "input": user_input,
            "reply": reserve,
            "free": self.n_ctx - used - reserve,
        }


def _message_counts(
    template: ChatTemplate, messages: Sequence[Message], count: Callable[[RenderedPrompt], int]
) -> tuple[list[int], int]:
    """Tokens each message adds to the rendered prompt, and the generation prompt's."""
    counts, before = [], 0
    for i in range(len(messages)):
        n = count(template.render_prompt(messages[: i + 1], add_generation_prompt=False))
        counts.append(max(0, n - before))
        before = n
    gen = count(template.render_prompt(messages, add_generation_prompt=True)) - before
    return counts, max(0, gen)


def plan_context(
    messages: Sequence[Message],
    template: ChatTemplate,
    tokenize: Callable[[RenderedPrompt], list[int]],
    n_ctx: int,
    reply_reserve: int,
) -> ContextPlan:
    """Fit ``messages`` (the last one is the current input) into ``n_ctx`` tokens.

    ``tokenize`` turns a rendered prompt into the model's tokens, BOS included where the
    model wants it (``prompt.prompt_tokenizer``: message content is always plain text).
    """
    if not messages:
        raise ValueError("no messages")

    def tokens_of(msgs: Sequence[Message]) -> list[int]:
        return tokenize(template.render_prompt(msgs, True))

    counts, gen = _message_counts(template, messages, lambda t: len(tokenize(t)))
    roles = [m.role for m in messages]
    last = len(messages) - 1
    droppable = [i for i in range(last) if roles[i] != "system"]
    dropped: list[int] = []
    while True:
        kept = [m for i, m in enumerate(messages) if i not in dropped]
        tokens = tokens_of(kept)
        if len(tokens) + reply_reserve <= n_ctx:
            return ContextPlan(n_ctx, reply_reserve, counts, dropped, tokens, gen, roles)
        remaining = [i for i in droppable if i not in dropped]
        if not remaining:
            minimum = len(tokens) + reply_reserve
            raise ContextOverflowError(
                minimum, n_ctx, "This message (with the system prompt and room for a reply)"
            )
        # drop the oldest turn: a message and the non-user replies that follow it
        first = remaining[0]
        dropped.append(first)
        for j in remaining[1:]:
            if roles[j] == "user":
                break
            dropped.append(j)
