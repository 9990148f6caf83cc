"""The context budget: oldest turns dropped first, system and input never, clear overflow."""

from __future__ import annotations

import pytest

from desktop.core.chat import ChatTemplate, Message
from desktop.core.context import plan_context
from desktop.core.errors import ContextOverflowError
from desktop.core.prompt import prompt_tokenizer
from desktop.core.tiny_model import CHATML_TEMPLATE

T = ChatTemplate(CHATML_TEMPLATE)


def conversation(turns: int) -> list[Message]:
    msgs = [Message("system", "You are terse.")]
    for i in range(turns):
        msgs += [Message("user", f"question {i} " * 5), Message("assistant", f"answer {i} " * 5)]
    return [*msgs, Message("user", "the current question")]


def test_everything_fits(tiny_engine) -> None:
    msgs = conversation(2)
    plan = plan_context(msgs, T, prompt_tokenizer(tiny_engine, None), 512, 64)
    assert plan.dropped == []
    assert sum(plan.message_tokens) + plan.generation_prompt == len(plan.tokens)
    assert sum(plan.totals().values()) == 512


def test_oldest_turns_are_dropped_first_never_system_or_input(tiny_engine) -> None:
    msgs = conversation(8)
    full = plan_context(msgs, T, prompt_tokenizer(tiny_engine, None), 4096, 64)
    n_ctx = len(full.tokens) + 64 - 60  # room for all but ~2 turns
    plan = plan_context(msgs, T, prompt_tokenizer(tiny_engine, None), n_ctx, 64)
    assert plan.dropped and plan.dropped == sorted(plan.dropped)
    assert plan.dropped[0] == 1  # the first user message after the system prompt
    assert 0 not in plan.dropped and len(msgs) - 1 not in plan.dropped
    # whole turns go: a dropped user message takes its reply with it
    for i in plan.dropped:
        if msgs[i].role == "user":
            assert i + 1 in plan.dropped
    kept = [m for i, m in enumerate(msgs) if i not in plan.dropped]
    assert len(plan.tokens) == len(tiny_engine.tokenize(T.render(kept)))
    assert len(plan.tokens) + 64 <= n_ctx
    assert sum(plan.totals().values()) == n_ctx


def test_input_that_cannot_fit_is_a_clear_error(tiny_engine) -> None:
    msgs = [Message("system", "sys"), Message("user", "word " * 400)]
    with pytest.raises(ContextOverflowError, match="context window holds 256"):
        plan_context(msgs, T, prompt_tokenizer(tiny_engine, None), 256, 32)
