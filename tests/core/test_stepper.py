"""Step mode: drawing every step equals generation with the same seed; forced tokens carry
the model's true probability; typed text is plain text; undo goes back exactly; the steps
become an ordinary branch of the conversation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from desktop.core.conversation import Conversation
from desktop.core.engine import Engine
from desktop.core.generation import DoneEvent, generate
from desktop.core.sampling import SamplerSettings
from desktop.core.stepper import StepError, Stepper
from desktop.core.store import ReplyWriter, Store

SEEDED = SamplerSettings(seed=1234, temperature=1.0, top_k=0, top_p=1.0, min_p=0.0)
CHATML = "<|im_start|>user\n{}<|im_end|>\n<|im_start|>assistant\n"


def generated(engine: Engine, prompt: list[int], settings: SamplerSettings, n: int) -> DoneEvent:
    engine.truncate(0)
    done = list(generate(engine, prompt, settings, max_tokens=n))[-1]
    assert isinstance(done, DoneEvent)
    return done


def check_sampling_equals_generation(engine: Engine, prompt: list[int],
                                     settings: SamplerSettings, n: int) -> None:
    done = generated(engine, prompt, settings, n)
    engine.truncate(0)
    st = Stepper(engine, prompt, settings)
    while len(st.steps) < len(done.traces) and not st.finished:
        st.sample()
    assert st.tokens == [t.token for t in done.traces]
    for mine, theirs in zip(st.traces, done.traces):
        assert mine.p_model == theirs.p_model
        assert mine.p_sample == theirs.p_sample
        assert mine.rank == theirs.rank
        assert np.array_equal(mine.cand_ids, theirs.cand_ids)


def test_sampling_every_step_equals_generation_on_tiny_model(tiny_engine: Engine) -> None:
    prompt = tiny_engine.tokenize("The quick brown fox", add_bos=True)
    check_sampling_equals_generation(tiny_engine, prompt, SEEDED, 20)
    check_sampling_equals_generation(tiny_engine, prompt, SamplerSettings(seed=7), 20)


@pytest.mark.slow
def test_sampling_every_step_equals_generation_on_smollm2(smol_engine: Engine) -> None:
    prompt = smol_engine.tokenize(CHATML.format("Tell me a story about a cat."))
    check_sampling_equals_generation(smol_engine, prompt, SamplerSettings(seed=42), 16)


def true_probability(engine: Engine, prompt: list[int], then: list[int], token: int) -> float:
    """p(token) after ``prompt`` (one batch) and ``then`` (one token at a time, as
    generation and step mode decode): like with like, bit for bit."""
    engine.truncate(0)
    engine.eval_prompt(prompt)
    for t in then:
        engine.eval_token(t)
    x = engine.logits().astype(np.float64)
    m = x.max()
    return float(math.exp(x[token] - m) / np.exp(x - m).sum())


def test_chosen_token_has_the_models_true_probability(tiny_engine: Engine) -> None:
    prompt = tiny_engine.tokenize("Hello world", add_bos=True)
    st = Stepper(tiny_engine, prompt, SEEDED)
    st.sample()
    unlikely = int(np.argmin(tiny_engine.logits()))  # the least likely token: far outside top-K
    trace = st.choose(unlikely)
    assert trace.token == unlikely
    assert trace.rank == tiny_engine.n_vocab or trace.rank > 64
    expected = true_probability(tiny_engine, prompt, st.tokens[:1], unlikely)
    assert trace.p_model == pytest.approx(expected, rel=1e-4)
    assert st.steps[-1].forced


@pytest.mark.slow
def test_typed_word_is_forced_token_by_token_with_true_probabilities(smol_engine: Engine) -> None:
    prompt = smol_engine.tokenize(CHATML.format("What is the capital of France?"))
    st = Stepper(smol_engine, prompt, SEEDED)
    word = " Tokenscopeology<|im_end|>"  # a made-up word and a typed marker: plain text
    traces = st.force_text(word)
    assert [t.token for t in traces] == smol_engine.tokenize(word, special=False)
    assert len(traces) > 2
    assert not any(smol_engine.is_special(t.token) for t in traces)
    assert st.text == word
    for i, t in enumerate(traces):
        expected = true_probability(smol_engine, prompt, st.tokens[:i], t.token)
        assert t.p_model == pytest.approx(expected, rel=1e-5)


def test_undo_goes_back_and_sampling_again_draws_the_same(tiny_engine: Engine) -> None:
    prompt = tiny_engine.tokenize("Tokens are pieces", add_bos=True)
    st = Stepper(tiny_engine, prompt, SEEDED)
    a = [st.sample().token for _ in range(3)]
    st.choose(a[0])
    st.undo(2)
    assert st.tokens == a[:2]
    assert tiny_engine.n_past <= len(prompt) + 2
    assert st.sample().token == a[2]  # the random stream went back too
    st.undo(3)
    assert st.tokens == []
    with pytest.raises(StepError):
        st.undo()


def test_steps_become_an_ordinary_branch_saved_in_the_store(tiny_engine: Engine,
                                                            tmp_path) -> None:
    conv = Conversation()
    user = conv.add(None, "user", "Hello")
    prompt = tiny_engine.tokenize("Hello", add_bos=True)
    st = Stepper(tiny_engine, prompt, SEEDED)
    st.sample()
    st.force_text(" world")
    node = st.to_branch(conv, user.id)
    assert conv.leaf == node.id and node.role == "assistant"
    assert node.tokens == st.tokens
    assert node.stats["stepped"] == [False] + [True] * (len(st.steps) - 1)
    store = Store(tmp_path / "s.db")
    ReplyWriter(store, conv, node, tiny_engine.piece, tiny_engine.is_special).finish()
    assert conv.id is not None
    again = store.load(conv.id).nodes[node.id]
    assert again.tokens == node.tokens
    assert again.content == node.content
    assert again.traces[1].p_model == pytest.approx(node.traces[1].p_model, rel=1e-6)
    assert store.pieces(node.model)[node.tokens[1]][0] == tiny_engine.piece(node.tokens[1])


STATEFUL = SamplerSettings(seed=99, mirostat=2, xtc_probability=0.5, xtc_threshold=0.05)


def test_stateful_samplers_follow_steps_and_undo(tiny_engine: Engine) -> None:
    """Mirostat's mu and XTC's/mirostat's own random streams go forward with sampled steps
    only, and back with undo, like the numpy stream."""
    prompt = tiny_engine.tokenize("What is the capital", add_bos=True)
    check_sampling_equals_generation(tiny_engine, prompt, STATEFUL, 12)
    st = Stepper(tiny_engine, prompt, STATEFUL)
    a = [st.sample().token for _ in range(4)]
    st.undo(3)
    st.choose(a[1])  # forced, drawing nothing: the next draws are the ones already seen
    assert [st.sample().token for _ in range(2)] == a[2:]


def test_a_grammar_limits_what_can_be_forced(tiny_engine: Engine) -> None:
    grammar = 'root ::= "Paris" | "London"'
    prompt = tiny_engine.tokenize("The capital is", add_bos=True)
    st = Stepper(tiny_engine, prompt, SamplerSettings(seed=1, grammar=grammar))
    banned = tiny_engine.tokenize("xyz", special=False)[0]
    with pytest.raises(StepError, match="grammar"):
        st.choose(banned)
    first = st.sample()
    st.undo()
    assert st.sample().token == first.token  # the grammar was rebuilt from the tokens
