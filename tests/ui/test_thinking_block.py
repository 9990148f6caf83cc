"""A thinking reply renders collapsed, with its own heat, and the answer without it."""

from __future__ import annotations

from pathlib import Path

from desktop.core.engine import Engine, LoadOptions
from desktop.core.sampling import SamplerSettings
from desktop.core.session import ChatSession
from desktop.core.thinking import THINK
from desktop.ui.chat_view import ChatView
from desktop.ui.thinking_block import phases_of
from tests.core.test_thinking import QWEN3_TEMPLATE
from tests.models import spm_vocab_with, write_tiny_spm_model


def test_a_thinking_reply_renders_collapsed_with_its_own_heat(qtbot, tmp_path: Path) -> None:
    template = QWEN3_TEMPLATE.replace("{{ '<|im_start|>assistant\\n' }}",
                                      "{{ '<|im_start|>assistant\\n<think>\\n' }}")
    vocab = spm_vocab_with(["<|im_start|>", "<|im_end|>", "<think>", "</think>"])
    path = write_tiny_spm_model(tmp_path / "q.gguf", vocab=vocab, chat_template=template)
    with Engine(path, LoadOptions(n_ctx=512, n_threads=2)) as e:
        session = ChatSession(e, SamplerSettings(seed=2, temperature=1.0), max_tokens=30,
                              thinking_budget=6)
        list(session.send("Think about it"))
        node = session.conversation.nodes[session.conversation.leaf]
        assert phases_of(node).count(THINK) == 6
        chat = ChatView()
        qtbot.addWidget(chat)
        chat.is_special = e.is_special
        chat.resize(500, 700)
        chat.show()
        chat.set_conversation(session.conversation)
        view = chat.views[node.id]
        block = view.thinking
        assert block is not None and not block.isHidden() and block.body.isHidden()
        assert "6" in block.toggle.text()  # "Thinking (6 tokens)"
        think_text = "".join(t.text for t, p in zip(node.traces, phases_of(node), strict=True)
                             if p == THINK)
        assert "</think>" not in view.body.toPlainText()
        block.toggle.click()  # expand
        assert not block.body.isHidden()
        assert block.body.toPlainText().strip() == think_text.strip()
        chat.set_heat(True)  # its own heat colouring: one anchor per thinking span
        html = block.body.toHtml()
        assert html.count(f"tok:{node.id}:") >= 1
        assert "background-color" in html


def test_thinking_has_its_own_share_in_the_context_gauge_and_the_timeline(qtbot) -> None:
    from desktop.core.context import ContextPlan
    from desktop.core.conversation import Node
    from desktop.ui.panels import TimelinePanel
    from desktop.ui.panels.context import context_parts
    from desktop.ui.panels.timeline import thinking_range

    plan = ContextPlan(n_ctx=100, reply_reserve=20, message_tokens=[5, 10], dropped=[],
                       tokens=list(range(15)), generation_prompt=0, roles=["system", "user"])
    parts = context_parts(plan, 30, 8)
    assert parts["thinking"] == 8 and parts["reply"] == 22 and sum(parts.values()) == 100

    import numpy as np

    from desktop.core.trace import StepTrace

    def trace(i: int, piece: bytes) -> StepTrace:
        return StepTrace(i, i, 1, piece, 0.5, 0.5, 1, 1.0, 0.0, 0.0,
                         np.array([1], np.int32), np.array([0.0], np.float32),
                         np.array([], np.int32))

    node = Node(id=3, parent=1, role="assistant", content="")
    node.traces = [trace(i, p) for i, p in enumerate(
        [b"<think>", b"a", b"b", b"</think>", b"yes"])]
    assert thinking_range(node) == (0, 3)
    panel = TimelinePanel()
    qtbot.addWidget(panel)
    panel.set_reply(node)
    assert panel.chart.thinking == (0, 3)
    panel.chart.grab()  # paints the band without error
