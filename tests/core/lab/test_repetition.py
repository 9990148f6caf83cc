"""Repetition: P(repeat) at k = 0 is the sentence's chained probability; the penalties
curve applies sampling.penalties; on SmolLM2 repetition feeds itself."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from desktop.core.lab.common import continuation_tokens, log_softmax_at
from desktop.core.lab.repetition import (
    RepetitionResult,
    document_start,
    draw_sentence,
    run_repetition,
)
from desktop.core.sampling import Candidates, SamplerSettings, history_counts, penalties

SENTENCE = "Hello world! How are you today?"


def test_p_repeat_at_k0_is_the_chained_token_probability(tiny_engine) -> None:
    s = SamplerSettings(repeat_penalty=1.5, frequency_penalty=0.2, repeat_last_n=64)
    r = run_repetition(tiny_engine, SENTENCE, max_k=3, settings=s)
    assert [p.k for p in r.points] == [0, 1, 2, 3]
    start = document_start(tiny_engine)
    first = tiny_engine.tokenize(SENTENCE, special=False)
    again = continuation_tokens(tiny_engine, SENTENCE, " " + SENTENCE)
    assert (r.first_tokens, r.repeat_tokens) == (len(first), len(again))
    lp = lq = 0.0
    ids = np.arange(tiny_engine.n_vocab, dtype=np.int32)
    for i, t in enumerate(first):
        tiny_engine.truncate(0)
        ctx = start + first[:i]
        tiny_engine.eval_prompt(ctx)
        x = tiny_engine.logits()
        lp += float(log_softmax_at(x, t))
        y = penalties(Candidates(ids, x.copy(), by_id=True), s, history_counts(ctx, 64)).logits
        lq += float(log_softmax_at(y, t))
    assert r.points[0].p_repeat == pytest.approx(math.exp(lp), rel=1e-4)
    assert r.points[0].p_repeat_penalized == pytest.approx(math.exp(lq), rel=1e-4)
    assert r.points[0].p_repeat == pytest.approx(np.prod(r.points[0].token_p), rel=1e-9)
    assert [p.n_context for p in r.points] == [
        len(start), len(start) + len(first), len(start) + len(first) + len(again),
        len(start) + len(first) + 2 * len(again)]
    back = RepetitionResult.from_dict(json.loads(json.dumps(r.to_dict(), allow_nan=False)))
    assert back.rows() == r.rows()


def test_without_penalties_both_curves_agree(tiny_engine) -> None:
    r = run_repetition(tiny_engine, SENTENCE, max_k=2, settings=SamplerSettings())
    for p in r.points:
        assert p.p_repeat_penalized == pytest.approx(p.p_repeat)


def test_dry_lowers_a_repeat_once_the_sentence_is_in_the_context(tiny_engine) -> None:
    s = SamplerSettings(repeat_penalty=1.0, dry_multiplier=0.8, dry_allowed_length=2)
    r = run_repetition(tiny_engine, SENTENCE, max_k=2, settings=s)
    assert r.points[0].p_repeat_penalized == pytest.approx(r.points[0].p_repeat)  # nothing seen
    assert r.points[2].p_repeat_penalized < r.points[2].p_repeat
    assert r.penalties["dry_multiplier"] == 0.8


def test_the_model_can_write_the_sentence(tiny_engine) -> None:
    assert draw_sentence(tiny_engine, max_tokens=8)


@pytest.mark.slow
def test_smollm2_repetition_feeds_itself(smol_engine) -> None:
    r = run_repetition(smol_engine, max_k=5)
    p = [pt.p_repeat for pt in r.points]
    assert p[5] > p[0]
    assert p[5] > p[1]
