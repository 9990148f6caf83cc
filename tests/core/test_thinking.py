"""Thinking blocks: parsed across token boundaries and while streaming, a thinking budget
that closes the block, and a Qwen3-style template's handling of past thinking."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.core.chat import ChatTemplate, Message
from desktop.core.thinking import (
    ANSWER,
    MARKER,
    THINK,
    Markers,
    ThinkingBudget,
    opens_thinking,
    split_thinking,
    token_phases,
)

# Qwen3's template, reduced to what matters here: past thinking is dropped from history,
# enable_thinking=false writes an empty block, and the generation prompt opens none.
QWEN3_TEMPLATE = (
    "{%- for m in messages %}"
    "{%- if m.role == 'assistant' %}"
    "{{ '<|im_start|>assistant\\n' + m.content.split('</think>')[-1].lstrip('\\n') "
    "+ '<|im_end|>\\n' }}"
    "{%- else %}{{ '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}"
    "{%- if enable_thinking is defined and enable_thinking is false %}"
    "{{ '<think>\\n\\n</think>\\n\\n' }}{%- endif %}{%- endif %}"
)


def test_phases_whole_and_split_markers() -> None:
    whole = [b"<think>", b"Let", b" me", b"</think>", b"Hi"]
    assert token_phases(whole) == [MARKER, THINK, THINK, MARKER, ANSWER]
    split = [b"<th", b"ink>", b"hmm", b"</", b"think", b">", b"OK"]
    assert token_phases(split) == [MARKER, MARKER, THINK, MARKER, MARKER, MARKER, ANSWER]
    # a reply whose prompt opened the block (R1 distills)
    assert token_phases([b"so", b"</think>", b"Yes"], starts_inside=True) == [
        THINK, MARKER, ANSWER]
    # a Chinese character split across tokens inside the block
    assert token_phases([b"<think>", "好".encode()[:2], "好".encode()[2:], b"</think>"]) == [
        MARKER, THINK, THINK, MARKER]
    assert token_phases([b"no thinking here"]) == [ANSWER]


def test_split_and_opens() -> None:
    assert split_thinking("<think>plan</think>answer") == ("plan", "answer")
    assert split_thinking("plan</think>answer", starts_inside=True) == ("plan", "answer")
    assert split_thinking("<think>still going") == ("still going", "")
    assert opens_thinking("...assistant\n<think>\n") and not opens_thinking("<think></think>")


def test_budget_counts_thinking_tokens_while_streaming() -> None:
    b = ThinkingBudget(3)
    for piece in (b"<think>", b"a", b"b"):
        b.feed(piece)
    assert b.inside and not b.over and b.used == 2
    b.feed(b"c")
    assert b.over
    for piece in (b"</", b"think>"):
        b.feed(piece)
    assert not b.inside and not b.over


def test_qwen3_style_template_drops_past_thinking_and_can_switch_it_off() -> None:
    t = ChatTemplate(QWEN3_TEMPLATE)
    msgs = [Message("user", "Hi"), Message("assistant", "<think>\nsecret plan\n</think>\n\nHello!"),
            Message("user", "Again")]
    p = t.render_prompt(msgs)
    assert "secret plan" not in p.text and "Hello!" in p.text
    assert "<|im_start|>user\nAgain" in p.text
    # content that the template rewrote is still located (search), so typed text stays text
    assert any(p.text[a:b] == "Again" for a, b in p.content)
    t.extra_context["enable_thinking"] = False
    assert t.render(msgs).endswith("<|im_start|>assistant\n<think>\n\n</think>\n\n")


def test_thinking_budget_closes_the_block_in_a_real_generation(tmp_path: Path) -> None:
    from desktop.core.engine import Engine, LoadOptions
    from desktop.core.generation import DoneEvent
    from desktop.core.sampling import SamplerSettings
    from desktop.core.session import ChatSession
    from tests.models import spm_vocab_with, write_tiny_spm_model

    template = QWEN3_TEMPLATE.replace("{{ '<|im_start|>assistant\\n' }}",
                                      "{{ '<|im_start|>assistant\\n<think>\\n' }}")
    vocab = spm_vocab_with(["<|im_start|>", "<|im_end|>", "<think>", "</think>"])
    path = write_tiny_spm_model(tmp_path / "qwen3ish.gguf", vocab=vocab, chat_template=template)
    with Engine(path, LoadOptions(n_ctx=512, n_threads=2)) as e:
        session = ChatSession(e, SamplerSettings(seed=2, temperature=1.0), max_tokens=30,
                              thinking_budget=5)
        done = list(session.send("Think about it"))[-1]
        assert isinstance(done, DoneEvent)
        node = session.conversation.nodes[session.conversation.leaf]
        assert node.stats["thinking_starts_inside"] is True
        phases = token_phases([t.piece for t in node.traces], starts_inside=True)
        assert phases.count(THINK) <= 5 + 1  # the budget, then the block was closed
        if MARKER in phases:  # unless an end of turn came first
            closing = [t for t in node.traces if t.notes and t.notes.get("forced")]
            assert closing and "</think>" in b"".join(t.piece for t in closing).decode()
            assert all(0.0 <= t.p_model <= 1.0 for t in closing)  # the model's own numbers


@pytest.mark.parametrize("markers", [Markers(), Markers("<reasoning>", "</reasoning>")])
def test_markers_are_configurable(markers: Markers) -> None:
    pieces = [markers.open.encode(), b"x", markers.close.encode(), b"y"]
    assert token_phases(pieces, markers) == [MARKER, THINK, MARKER, ANSWER]
