"""The needle experiment: exact layout and teacher-forced scores on the tiny model; a
sensible heatmap on SmolLM2."""

from __future__ import annotations

import json
import math
import threading

import numpy as np
import pytest

from desktop.core.errors import ContextOverflowError
from desktop.core.lab.common import Cancelled, ProgressInfo, log_softmax_at
from desktop.core.lab.needle import NEEDLES, Haystack, NeedleResult, run_needle
from desktop.core.limits import SettingsError


def test_the_needle_is_at_its_token_offset_on_a_sentence_boundary(tiny_engine) -> None:
    hay = Haystack(tiny_engine, NEEDLES["en"], 300)
    n = len(hay.needle_tokens)
    for length in (100, 300):
        for depth in (0.0, 30.0, 50.0, 100.0):
            pos = hay.position(length, depth)
            tokens, offset = hay.prompt(length, pos)
            assert offset == len(hay.head) + pos
            assert tokens[:len(hay.head)] == hay.head
            assert tokens[offset:offset + n] == hay.needle_tokens
            assert tokens[len(hay.head):offset] == hay.filler[:pos]
            assert tokens[offset + n: offset + n + length - pos] == hay.filler[pos:length]
            assert pos in hay.boundaries or pos == length
            assert len(tokens) + len(hay.answer_tokens) == length + hay.overhead
            # the nearest boundary: no other boundary is closer to the requested depth
            target = depth / 100 * length
            assert all(abs(b - target) >= abs(pos - target)
                       for b in hay.boundaries if b <= length)
        assert hay.position(length, 0.0) == 0
        assert hay.position(length, 100.0) == length
    text = tiny_engine.detokenize(hay.needle_tokens).decode()
    assert text.strip() == NEEDLES["en"].needle


def test_each_cell_scores_the_answer_teacher_forced(tiny_engine) -> None:
    seen: list[ProgressInfo] = []
    r = run_needle(tiny_engine, [64, 160], [0, 50, 100], progress=seen.append)
    assert [i.done for i in seen] == list(range(1, 7))
    assert seen[-1].eta == 0.0
    assert len(r.cells) == 6 and len(r.grid()) == 3 and len(r.grid()[0]) == 2
    hay = Haystack(tiny_engine, NEEDLES["en"], 160)
    for cell in (r.cell(160, 50.0), r.cell(64, 0.0)):
        tokens, offset = hay.prompt(cell.length, cell.pos)
        assert offset == cell.offset and len(tokens) == cell.n_prompt
        # independently: evaluate each prefix from scratch and read the next token's logits
        lp, greedy = 0.0, True
        for i, t in enumerate(hay.answer_tokens):
            tiny_engine.truncate(0)
            tiny_engine.eval_prompt(tokens + hay.answer_tokens[:i])
            x = tiny_engine.logits()
            lp += float(log_softmax_at(x, t))
            greedy = greedy and int(np.argmax(x)) == t
        assert cell.logprob == pytest.approx(lp, abs=1e-3)
        assert cell.p_answer == pytest.approx(math.exp(lp), rel=1e-3)
        assert cell.greedy == greedy


def test_results_survive_json(tiny_engine) -> None:
    r = run_needle(tiny_engine, [32], [0, 100], lang="zh")
    data = json.loads(json.dumps(r.to_dict(), allow_nan=False))
    assert data["kind"] == "lab.needle"
    back = NeedleResult.from_dict(data)
    assert back.grid() == r.grid() and back.needle == NEEDLES["zh"]
    assert {row["depth"] for row in r.rows()} == {0.0, 100.0}


def test_limits_and_cancel(tiny_engine) -> None:
    with pytest.raises(ContextOverflowError):
        run_needle(tiny_engine, [tiny_engine.n_ctx], [50])
    with pytest.raises(SettingsError):
        run_needle(tiny_engine, [64], [101])
    stop = threading.Event()

    def report(info: ProgressInfo) -> None:
        if info.done == 2:
            stop.set()

    with pytest.raises(Cancelled):
        run_needle(tiny_engine, [32, 64], [0, 50, 100], progress=report, cancel=stop)


@pytest.mark.slow
def test_smollm2_finds_the_needle_in_a_short_haystack(smol_engine) -> None:
    r = run_needle(smol_engine, [128, 512], [0, 50, 100])
    assert len(r.cells) == 6
    assert sum(c.greedy for c in r.cells) >= 3
    assert np.mean([c.p_answer for c in r.cells]) > 0.2
