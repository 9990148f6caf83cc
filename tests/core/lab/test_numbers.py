""""Random" numbers: the answer tree's probabilities on the tiny model, checked against
an independent enumeration of token paths; a peaked distribution on SmolLM2."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from desktop.core.lab.common import chat_prompt
from desktop.core.lab.numbers import (
    PROMPTS,
    TEMPERATURES,
    NumbersResult,
    numeric_tokens,
    run_numbers,
)


def _paths(pieces: dict[int, str], target: str, root: bool = True) -> list[list[int]]:
    """Every token sequence spelling ``target`` (root pieces may carry one space)."""
    out: list[list[int]] = []
    for tok, s in pieces.items():
        if not root and not (s.isascii() and s.isdigit()):
            continue
        if target.startswith(s) and s:
            rest = target[len(s):]
            if not rest:
                out.append([tok])
            else:
                out += [[tok, *p] for p in _paths(pieces, rest, False)]
    return out


def _independent_p(engine, n: int, temperature: float = 1.0, strict: bool = True) -> float:
    pieces, starts, eog = numeric_tokens(engine)
    base = chat_prompt(engine, PROMPTS["en"])
    total = 0.0
    for target in (str(n), " " + str(n)):
        for path in _paths(pieces, target):
            p = 1.0
            for i in range(len(path) + 1):
                engine.truncate(0)
                engine.eval_prompt(base + path[:i])
                x = engine.logits().astype(np.float64) / temperature
                q = np.exp(x - x.max())
                q /= q.sum()
                if i < len(path):
                    p *= q[path[i]]
                else:
                    p *= q[eog].sum() if strict else 1.0 - q[starts].sum()
            total += p
    return total


def test_tree_probabilities_match_an_enumeration_of_token_paths(tiny_engine) -> None:
    r = run_numbers(tiny_engine, samples=3, min_path_p=0.0)
    assert r.pruned_mass == 0.0
    dist = r.distribution()
    s = r.summary()
    assert sum(dist.values()) == pytest.approx(s["mass"])
    assert 0.0 < s["mass"] <= 1.0
    for n in (7, 42, 100):
        assert dist[n] == pytest.approx(_independent_p(tiny_engine, n), rel=1e-4, abs=1e-15)
    lenient = r.distribution(strict=False)
    assert lenient[42] == pytest.approx(_independent_p(tiny_engine, 42, strict=False), rel=1e-4)
    assert sum(lenient.values()) >= sum(dist.values())
    assert TEMPERATURES[9] == 0.5
    d05 = r.distribution(0.5)
    assert d05[42] == pytest.approx(_independent_p(tiny_engine, 42, 0.5), rel=1e-4, abs=1e-15)
    assert sum(r.samples.values()) == 3
    assert s["entropy_bits"] <= math.log2(100) + 1e-9
    with pytest.raises(ValueError):
        r.distribution(0.33)


def test_pruning_is_bounded_by_the_pruned_mass(tiny_engine) -> None:
    exact = run_numbers(tiny_engine, min_path_p=0.0)
    pruned = run_numbers(tiny_engine, min_path_p=1e-9)
    assert len(pruned.nodes) < len(exact.nodes) and pruned.pruned_mass > 0
    e, p = exact.distribution(), pruned.distribution()
    # (the two trees batch their evaluations differently: allow float noise of 1e-4 relative)
    assert sum(e.values()) - sum(p.values()) <= pruned.pruned_mass + 1e-4 * sum(e.values())
    assert all(-1e-4 * e[n] <= e[n] - p[n] <= pruned.pruned_mass + 1e-4 * e[n] for n in e)


def test_a_saved_tree_reweights_without_the_model(tiny_engine) -> None:
    r = run_numbers(tiny_engine)
    data = json.loads(json.dumps(r.to_dict(), allow_nan=False))
    back = NumbersResult.from_dict(data)
    for t in (1.0, 0.3, 1.5):
        for strict in (True, False):
            assert back.distribution(t, strict) == pytest.approx(r.distribution(t, strict))
    assert len(back.rows()) == 100


@pytest.mark.slow
def test_smollm2_does_not_pick_uniformly(smol_engine) -> None:
    r = run_numbers(smol_engine)
    s = r.summary()
    assert s["mass"] > 0.01  # "just the number, then the end of the turn"
    assert r.summary(strict=False)["mass"] > s["mass"]
    assert s["entropy_bits"] < math.log2(100) - 1
    assert r.pruned_mass < 1e-9
