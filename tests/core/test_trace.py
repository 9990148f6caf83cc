"""StepTrace: compact serialisation, what-if replay, the JSON row, honest token text."""

from __future__ import annotations

import numpy as np
import pytest

from desktop.core.generation import DoneEvent, generate
from desktop.core.sampling import STAGE_NAMES, SamplerSettings
from desktop.core.trace import STORED_CANDIDATES, StepTrace, piece_text


def traces(engine, settings: SamplerSettings, n: int = 12) -> list[StepTrace]:
    prompt = engine.tokenize("Hello world", add_bos=True)
    done = list(generate(engine, prompt, settings, max_tokens=n))[-1]
    assert isinstance(done, DoneEvent)
    return done.traces


def test_piece_text_is_honest_about_partial_utf8() -> None:
    assert piece_text("你".encode()) == "你"
    assert piece_text(b"\xe4\xbd") == "<0xE4><0xBD>"
    assert piece_text(b"a\xe4") == "a<0xE4>"


def test_round_trip_through_bytes(tiny_engine) -> None:
    for t in traces(tiny_engine, SamplerSettings(seed=4, repeat_penalty=1.2)):
        blob = t.to_bytes()
        back = StepTrace.from_bytes(blob)
        assert len(blob) < 1200
        assert (back.index, back.position, back.token, back.piece, back.rank) == (
            t.index, t.position, t.token, t.piece, t.rank,
        )
        assert back.p_model == pytest.approx(t.p_model, rel=1e-6)
        assert back.entropy == pytest.approx(t.entropy, rel=1e-6)
        np.testing.assert_array_equal(back.cand_ids, t.cand_ids)
        np.testing.assert_array_equal(back.cand_logits, t.cand_logits)
        np.testing.assert_array_equal(back.history, t.history)


def test_stores_at_least_64_candidates_and_enough_to_replay(tiny_engine) -> None:
    s = SamplerSettings(seed=5)
    for t in traces(tiny_engine, s):
        assert len(t.cand_ids) >= STORED_CANDIDATES
        final = t.replay(s).final
        assert t.token in final.ids  # the chosen token survives a replay of its own settings
        i = int(np.nonzero(final.ids == t.token)[0][0])
        assert final.probs()[i] == pytest.approx(t.p_sample, rel=1e-5)


def test_what_if_changes_the_distribution_without_the_model(tiny_engine) -> None:
    t = traces(tiny_engine, SamplerSettings(seed=6))[0]
    hot = t.replay(SamplerSettings(temperature=2.0, top_k=50, top_p=1.0, min_p=0.0)).final
    greedy = t.replay(SamplerSettings(temperature=0.0)).final
    assert len(greedy) == 1 and greedy.ids[0] == t.cand_ids[0]
    assert len(hot) == 50


def test_json_row_matches_the_documented_schema(tiny_engine) -> None:
    s = SamplerSettings(temperature=0.0)
    for t in traces(tiny_engine, s):
        row = t.to_json(s, tiny_engine.piece)
        assert {"index", "token", "text", "p_model", "p_sample", "entropy", "top"} <= set(row)
        top = row["top"]
        assert top[0]["token"] == row["token"]  # greedy: the chosen token is first
        ps = [c["p_model"] for c in top]
        assert ps == sorted(ps, reverse=True) and sum(ps) <= 1.0 + 1e-9
        # the stages that ran (greedy: top-k, top-p, min-p with the defaults, temperature)
        assert top[0]["kept_by"] == [n for n in STAGE_NAMES[1:] if n in s.active_stages()]
        assert "grammar" not in top[0]["kept_by"] and "temperature" in top[0]["kept_by"]
        assert all(isinstance(c["text"], str) for c in top)
        # under greedy decoding every other candidate is cut at the temperature stage
        assert all(not c["kept_by"] or c["kept_by"][-1] != "temperature" for c in top[1:])


def grammar_reply(engine) -> list[StepTrace]:
    """A greedy reply under a grammar whose words the tiny model would not pick itself."""
    prompt = engine.tokenize("Answer:", add_bos=True)
    done = [e for e in generate(engine, prompt, SamplerSettings(
        temperature=0.0, grammar='root ::= "yes, certainly" | "no, never"'), max_tokens=12)][-1]
    assert isinstance(done, DoneEvent)
    return done.traces


def test_grammar_forced_marks_the_tokens_a_grammar_chose_not_the_model(tiny_engine) -> None:
    forced = [t for t in grammar_reply(tiny_engine) if t.grammar_forced]
    assert forced  # within a word the grammar leaves one way on
    for t in forced:
        assert t.p_sample == 1.0 and t.rank > 1  # the model wanted something else
    tiny_engine.truncate(0)
    prompt = tiny_engine.tokenize("Answer:", add_bos=True)
    free = [e for e in generate(tiny_engine, prompt, SamplerSettings(temperature=0.0),
                                max_tokens=8)][-1]
    assert isinstance(free, DoneEvent)
    assert not any(t.grammar_forced for t in free.traces)  # greedy alone forces nothing
