"""The trace tells the truth at every setting: what generation records comes from the chain
that actually ran, and a what-if replay equals the full-vocabulary chain wherever it claims
to be exact."""

from __future__ import annotations

import numpy as np
import pytest

from desktop.core.generation import Tracer
from desktop.core.sampling import (
    STAGE_NAMES,
    Candidates,
    SamplerSettings,
    history_counts,
    run_chain,
)

SETTINGS = [
    SamplerSettings(top_k=0, top_p=0.9, min_p=0.0, temperature=1.0),
    SamplerSettings(top_k=0, top_p=0.95, min_p=0.05),
    SamplerSettings(top_k=40),
    SamplerSettings(top_k=100, top_p=0.9, min_p=0.0),
    SamplerSettings(top_k=200, top_p=0.98, min_p=0.01, temperature=1.2),
    SamplerSettings(top_k=0, typical_p=0.9, top_p=1.0, min_p=0.0),
    SamplerSettings(top_k=100, typical_p=0.7, top_p=0.9),
    SamplerSettings(top_k=0, top_p=1.0, min_p=0.1, temperature=0.7),
    SamplerSettings(top_k=0, top_p=1.0, min_p=0.0, temperature=0.0),
    SamplerSettings(top_k=0, top_p=0.9, repeat_penalty=1.3, presence_penalty=0.5,
                    repeat_last_n=32),
    SamplerSettings(top_k=30, repeat_penalty=1.5, frequency_penalty=0.3),
]


def full_chain_steps(engine, prompt: list[int], s: SamplerSettings, n: int, seed: int):
    """Generate ``n`` tokens with the Tracer and, at every step, the full-vocabulary chain
    computed independently from a copy of the same logits."""
    engine.eval_prompt(prompt)
    tracer = Tracer(engine, s, np.random.default_rng(seed))
    out = []
    for i in range(n):
        logits = engine.logits().copy()
        history = engine.context_tokens
        counts = history_counts(history, s.repeat_last_n if s.repeat_last_n >= 0 else 0)
        if s.repeat_last_n < 0:
            counts = history_counts(history, -1)
        full = run_chain(
            Candidates(np.arange(logits.size, dtype=np.int32), logits, by_id=True), s, counts
        )
        trace = tracer.step(i)
        out.append((trace, full))
        if engine.is_eog(trace.token):
            break
        engine.eval_token(trace.token)
    return out


def check(engine, prompt: list[int], n: int, seeds: int = 2) -> tuple[int, int]:
    exact_steps = total = 0
    for k, s in enumerate(SETTINGS):
        for seed in (k, 100 + k)[:seeds]:
            for trace, full in full_chain_steps(engine, prompt, s, n, seed):
                want_cut = full.cut_at(trace.cand_ids)
                # (a) recorded: always the chain that ran
                np.testing.assert_array_equal(trace.cand_cut, want_cut, err_msg=repr(s))
                fin = full.final
                where = np.nonzero(fin.ids == trace.token)[0]
                assert where.size == 1, "the drawn token is in the final distribution"
                assert trace.p_sample == pytest.approx(float(fin.probs()[where[0]]), rel=1e-5)
                # the JSON rows come from the recorded cuts
                active = s.active_stages()
                for row, c in zip(trace.top(s), want_cut[:20].tolist(), strict=True):
                    passed = STAGE_NAMES[1:] if c < 0 else STAGE_NAMES[1:c]
                    assert row["kept_by"] == [n for n in passed if n in active]
                # (b) replay: equal wherever it claims exactness
                rep = trace.replay(s)
                total += 1
                if rep.exact:
                    exact_steps += 1
                    np.testing.assert_array_equal(
                        rep.cut_at(trace.cand_ids), want_cut, err_msg=f"{s} {rep.reason}"
                    )
                    got = dict(zip(rep.final.ids.tolist(), rep.final.probs().tolist()))
                    want = dict(zip(fin.ids.tolist(), fin.probs().tolist()))
                    assert set(got) == set(want)
                    for t, p in want.items():
                        assert got[t] == pytest.approx(p, rel=1e-4, abs=1e-7)
                    for i in range(len(rep.stages)):
                        rep.stage_probs(i)  # defined for every stage
                else:
                    assert rep.reason
                # branching to another kept candidate gives its exact final probability
                kept = [int(t) for t in fin.ids if t in trace.cand_ids and t != trace.token]
                if kept:
                    forced = trace.forced(kept[0], b"", s)
                    j = int(np.nonzero(fin.ids == kept[0])[0][0])
                    assert forced.p_sample == pytest.approx(float(fin.probs()[j]), rel=1e-4)
    return exact_steps, total


def test_recorded_and_replayed_equal_the_full_chain_on_tiny_model(tiny_engine) -> None:
    prompt = tiny_engine.tokenize("The quick brown fox", add_bos=True)
    exact, total = check(tiny_engine, prompt, 8)
    assert 0 < exact < total  # some replays are exact, some honestly approximate


@pytest.mark.slow
def test_recorded_and_replayed_equal_the_full_chain_on_smollm2(smol_engine) -> None:
    prompt = smol_engine.tokenize(
        "<|im_start|>user\nTell me a story about a dragon.<|im_end|>\n<|im_start|>assistant\n"
    )
    exact, total = check(smol_engine, prompt, 10, seeds=1)
    assert 0 < exact < total


def test_replay_of_a_v1_trace_without_recorded_cuts_still_works(tiny_engine) -> None:
    s = SamplerSettings(top_k=0, top_p=0.9)
    trace, full = full_chain_steps(tiny_engine, [1, 5, 6], s, 1, 3)[0]
    trace.cand_cut = None
    cut, exact = trace.cuts(s)
    if exact:
        np.testing.assert_array_equal(cut, full.cut_at(trace.cand_ids))
    blob_v1 = trace.to_bytes()
    assert trace.from_bytes(blob_v1).cand_cut is None


@pytest.mark.parametrize("s", [
    SamplerSettings(top_k=40, dry_multiplier=2.0, dry_allowed_length=1, seed=3),
    SamplerSettings(top_k=40, xtc_probability=0.7, xtc_threshold=0.02, seed=4),
    SamplerSettings(top_k=30, dry_multiplier=1.5, xtc_probability=1.0, xtc_threshold=0.05,
                    dynatemp_range=0.4, seed=5),
], ids=["dry", "xtc", "dry+xtc+dynatemp"])
def test_replay_follows_what_dry_and_xtc_recorded(tiny_engine, s: SamplerSettings) -> None:
    from desktop.core.generation import DoneEvent, generate

    prompt = tiny_engine.tokenize("the cat sat on the mat. the cat sat on the mat. the",
                                  add_bos=True)
    done = list(generate(tiny_engine, prompt, s, max_tokens=16))[-1]
    assert isinstance(done, DoneEvent)
    exact = 0
    for t in done.traces:
        rep = t.replay(s)
        if not rep.exact:
            continue
        exact += 1
        np.testing.assert_array_equal(rep.cut_at(t.cand_ids), t.cand_cut)
        where = np.nonzero(rep.final.ids == t.token)[0]
        assert rep.final.probs()[where[0]] == pytest.approx(t.p_sample, rel=1e-4)
    assert exact == len(done.traces)  # top-k within the stored candidates: all exact
