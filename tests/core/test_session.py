"""A chat session over the conversation tree: send, regenerate, edit, branch at a token."""

from __future__ import annotations

from desktop.core.generation import DoneEvent
from desktop.core.sampling import SamplerSettings
from desktop.core.session import ChatSession


def test_send_fills_the_reply_node(tiny_engine) -> None:
    s = ChatSession(tiny_engine, SamplerSettings(seed=1), system="Be brief.", max_tokens=10)
    events = list(s.send("Hello"))
    assert isinstance(events[-1], DoneEvent)
    reply = s.conversation.nodes[s.conversation.leaf]
    assert reply.role == "assistant" and reply.content == events[-1].text
    assert len(reply.traces) == len(events[-1].traces)
    assert reply.prompt_tokens == s.last_plan.tokens
    assert reply.stats["n_prompt"] == len(reply.prompt_tokens)
    assert [m.role for m in s.messages] == ["system", "user", "assistant"]


def test_branch_at_a_token_reuses_the_cache_and_makes_a_sibling(tiny_engine) -> None:
    s = ChatSession(tiny_engine, SamplerSettings(seed=2), max_tokens=12)
    list(s.send("Hello"))
    reply = s.conversation.nodes[s.conversation.leaf]
    alt = int(reply.traces[3].cand_ids[1])
    list(s.branch(reply.id, 3, alt))
    new = s.conversation.nodes[s.conversation.leaf]
    assert s.conversation.siblings(new.id) == [reply.id, new.id]
    assert new.branched_at == 3
    assert [t.token for t in new.traces[:3]] == [t.token for t in reply.traces[:3]]
    assert new.traces[3].token == alt and new.traces[3].rank == 2
    assert [t.index for t in new.traces] == list(range(len(new.traces)))
    # the prompt and the 3 shared tokens plus the swapped one came from the KV cache
    assert new.stats["n_reused"] >= len(reply.prompt_tokens) + 3
    assert s.conversation.switch_sibling(new.id, -1) == reply.id


def test_regenerate_and_edit_make_versions(tiny_engine) -> None:
    s = ChatSession(tiny_engine, SamplerSettings(seed=3, temperature=1.5), max_tokens=8)
    list(s.send("Hello"))
    first = s.conversation.leaf
    list(s.regenerate(first))
    assert len(s.conversation.siblings(first)) == 2
    user = s.conversation.nodes[first].parent
    list(s.edit(user, "Hello again"))
    assert len(s.conversation.siblings(user)) == 2
    assert s.messages[-2].content == "Hello again"


def test_a_message_that_cannot_fit_leaves_the_conversation_unchanged(tiny_model) -> None:
    import pytest

    from desktop.core.engine import Engine, LoadOptions
    from desktop.core.errors import ContextOverflowError

    e = Engine(tiny_model, LoadOptions(n_ctx=128, n_threads=2))
    try:
        s = ChatSession(e, SamplerSettings(seed=1), max_tokens=8)
        list(s.send("Hello"))
        before = (dict(s.conversation.nodes), s.conversation.leaf)
        with pytest.raises(ContextOverflowError):
            s.send("word " * 300)
        assert (dict(s.conversation.nodes), s.conversation.leaf) == before
    finally:
        e.close()
