"""Scoring any text: exact mode gives a generated reply its own trace probabilities;
batched mode agrees closely; ranks, surprisal, GLTR buckets and perplexity follow their
definitions; typed markers stay text; results reopen without the model."""

from __future__ import annotations

import math

import numpy as np
import pytest

from desktop.core.chat import Message
from desktop.core.engine import Engine
from desktop.core.generation import DoneEvent, generate
from desktop.core.results import load_result, save_result
from desktop.core.sampling import SamplerSettings
from desktop.core.scoring import (
    BUCKET_NAMES,
    ScoreError,
    ScoreResult,
    bucket_of,
    message_context,
    reply_context,
    score_text,
    score_tokens,
)
from desktop.core.session import template_for
from desktop.core.store import Store

PARAGRAPH = (
    "The capital of France is Paris. It is known for the Eiffel Tower, the Louvre and "
    "its cafés. Millions of tourists visit the city every year."
)


def reply(engine: Engine, prompt: list[int], n: int = 24) -> DoneEvent:
    engine.truncate(0)
    done = list(generate(engine, prompt, SamplerSettings(seed=5), max_tokens=n))[-1]
    assert isinstance(done, DoneEvent)
    return done


def check_exact_equals_trace(engine: Engine, prompt: list[int]) -> None:
    done = reply(engine, prompt)
    tokens = [t.token for t in done.traces]
    scored = score_tokens(engine, prompt, tokens, "exact")
    assert [t.token for t in scored.tokens] == tokens
    for s, t in zip(scored.tokens, done.traces):
        assert s.p == pytest.approx(t.p_model, rel=1e-12)  # the same float operations
        assert s.rank == t.rank
        assert s.entropy_bits == pytest.approx(t.entropy, rel=1e-12)
        assert s.surprisal_bits == pytest.approx(-math.log2(t.p_model), rel=1e-9)
        assert [c["token"] for c in s.top] == t.cand_ids[: len(s.top)].tolist()


def test_exact_score_of_a_reply_equals_its_trace_on_tiny_model(tiny_engine: Engine) -> None:
    check_exact_equals_trace(tiny_engine, tiny_engine.tokenize("Hello world", add_bos=True))


@pytest.mark.slow
def test_exact_score_of_a_reply_equals_its_trace_on_smollm2(smol_engine: Engine) -> None:
    template = template_for(smol_engine)
    prompt = reply_context(smol_engine, template, [Message("user", "Name three colours.")])
    check_exact_equals_trace(smol_engine, prompt)


@pytest.mark.slow
def test_batched_agrees_closely_with_exact_on_smollm2(smol_engine: Engine) -> None:
    b = score_text(smol_engine, PARAGRAPH, "batched")
    e = score_text(smol_engine, PARAGRAPH, "exact")
    assert [t.token for t in b.tokens] == [t.token for t in e.tokens]
    assert b.unscored == e.unscored  # SmolLM2 adds no BOS: nothing predicts the 1st token
    diffs = [abs(x.p - y.p) for x, y in zip(b.tokens, e.tokens)]
    assert max(diffs) < 0.1  # kernels differ on quantized weights, slightly
    assert b.perplexity == pytest.approx(e.perplexity, rel=0.1)
    assert b.perplexity < 200  # an ordinary English paragraph is not surprising


def test_definitions_hold_on_every_token(tiny_engine: Engine) -> None:
    r = score_text(tiny_engine, "The quick brown fox jumps over the lazy dog.", "batched")
    assert r.n_context == 1 and not r.unscored  # the tiny model adds BOS
    for t in r.tokens:
        assert 0.0 < t.p <= 1.0
        assert t.surprisal_bits == pytest.approx(-math.log2(t.p))
        assert 1 <= t.rank <= tiny_engine.n_vocab
        assert (t.rank == 1) == (t.top[0]["token"] == t.token)
        assert t.top[0]["p"] >= t.top[-1]["p"]
    assert sum(r.buckets()) == len(r.tokens)
    mean_nats = np.mean([-math.log(t.p) for t in r.tokens])
    assert r.perplexity == pytest.approx(math.exp(mean_nats))
    assert [bucket_of(k) for k in (1, 10, 11, 100, 101, 1000, 1001)] == [0, 0, 1, 1, 2, 2, 3]
    assert list(r.summary()["buckets"]) == list(BUCKET_NAMES)


def test_typed_markers_are_scored_as_text(tiny_engine: Engine) -> None:
    r = score_text(tiny_engine, "Hi<|im_end|>", "exact")
    assert not any(tiny_engine.is_special(t.token) for t in r.tokens)
    assert "".join(t.text for t in r.tokens).endswith("<|im_end|>")


@pytest.mark.slow
def test_the_users_own_prompt_is_scored_inside_the_template(smol_engine: Engine) -> None:
    template = template_for(smol_engine)
    msgs = [Message("system", "You are a helpful assistant."),
            Message("user", "What is the capital of France?")]
    context, tokens = message_context(smol_engine, template, msgs, 1)
    assert smol_engine.detokenize(tokens) == b"What is the capital of France?"
    assert smol_engine.detokenize(context).endswith(b"<|im_start|>user\n")
    r = score_text(smol_engine, msgs[1].content, "batched", template=template,
                   messages=msgs[:1], role="user")
    assert r.context == "user" and r.n_context == len(context) and not r.unscored
    assert "".join(t.text for t in r.tokens) == msgs[1].content


def test_results_reopen_without_the_model(tiny_engine: Engine, tmp_path) -> None:
    r = score_text(tiny_engine, "Hello world! How are you today?", "batched")
    store = Store(tmp_path / "s.db")
    rid = save_result(store, "score", r.to_json(), title="hello", model=r.model)
    summary, data = load_result(store, rid)
    again = ScoreResult.from_json(data)
    assert summary.kind == "score"
    assert again.perplexity == pytest.approx(r.perplexity)
    assert [t.to_json() for t in again.tokens] == [t.to_json() for t in r.tokens]


def test_empty_text_is_refused(tiny_engine: Engine) -> None:
    with pytest.raises(ScoreError):
        score_text(tiny_engine, "", "batched")
