"""The application state on its own: no window, just its fields and signals."""

from __future__ import annotations

from typing import Any

import numpy as np

from desktop.core.conversation import Conversation
from desktop.core.trace import StepTrace
from desktop.ui.window.state import AppState


def trace(index: int, token: int) -> StepTrace:
    ids = np.array([token, token + 1], dtype=np.int32)
    return StepTrace(index=index, position=index, token=token, piece=b"x", p_model=0.7,
                     p_sample=0.7, rank=1, entropy=0.5, lse=1.3, logit=1.0, cand_ids=ids,
                     cand_logits=np.array([1.0, 0.0], dtype=np.float32),
                     history=np.array([], dtype=np.int32))


def chat(*turns: str) -> Conversation:
    """user / assistant turns; each reply has one trace per character."""
    conv = Conversation(title="t")
    parent = None
    for i, text in enumerate(turns):
        node = conv.add(parent, "user" if i % 2 == 0 else "assistant", text)
        if node.role == "assistant":
            node.traces = [trace(j, 100 + j) for j in range(len(text))]
        parent = node.id
    return conv


def record(signal: Any) -> list[tuple[Any, ...]]:
    seen: list[tuple[Any, ...]] = []
    signal.connect(lambda *args: seen.append(args))
    return seen


def test_opening_a_conversation_shows_its_last_reply(qapp: Any) -> None:
    state = AppState()
    conv = chat("hi", "hello", "more", "sure")
    opened, shown, changed = (record(state.conversation_changed), record(state.reply_shown),
                              record(state.changed))
    state.open(conv)
    assert state.current is conv
    assert opened == [(conv,)]
    reply = state.last_reply()
    assert reply is not None and reply.content == "sure"
    assert shown == [(reply,)]
    assert changed == [()]


def test_selecting_a_token_tells_who_cares_and_ignores_what_is_not_there(qapp: Any) -> None:
    state = AppState()
    conv = chat("hi", "hello")
    state.open(conv)
    reply = state.last_reply()
    assert reply is not None
    selected = record(state.token_selected)
    state.select_token(reply.id, 2)
    assert selected == [(reply, 2)]
    assert state.inspected is reply and state.selected == (reply.id, 2)
    state.select_token(reply.id, 99)  # no such token
    state.select_token(12345, 0)  # no such reply
    assert len(selected) == 1
    # showing a reply anew clears the inspected one
    state.show_reply(reply)
    assert state.inspected is None


def test_a_reply_under_way_clears_the_selection(qapp: Any) -> None:
    state = AppState()
    state.open(chat("hi", "hello"))
    reply = state.last_reply()
    assert reply is not None
    state.select_token(reply.id, 0)
    busy = record(state.generating_changed)
    state.set_generating(True)
    state.start_reply(reply)
    assert state.streaming_id == reply.id and state.inspected is None
    assert state.selected is None
    state.set_generating(False)
    assert busy == [(True,), (False,)] and state.streaming_id is None


def test_branching_needs_the_model_that_wrote_the_reply(qapp: Any, ui_engine: Any) -> None:
    state = AppState()
    conv = chat("hi", "hello")
    state.open(conv)
    reply = state.last_reply()
    assert reply is not None
    assert state.branch_block(reply) == "Load a model to continue this conversation"
    state.set_engine(ui_engine, {}, session=object(), owned=False)  # type: ignore[arg-type]
    reply.model = ui_engine.name
    assert state.branch_block(reply) is None
    reply.model = "another-model"
    block = state.branch_block(reply)
    assert block is not None and "another-model" in block and ui_engine.name in block
    assert state.uses_engine("") and not state.uses_engine("another-model")
    state.set_engine(None)
    assert state.session is None and not state.owns_engine


def test_loading_says_what_loads(qapp: Any) -> None:
    state = AppState()
    loading = record(state.loading_changed)
    state.set_loading(True, "Loading m.gguf…")
    assert state.loading and state.loading_message == "Loading m.gguf…"
    state.set_loading(False, "ignored")
    assert not state.loading and state.loading_message is None
    assert loading == [(True,), (False,)]
