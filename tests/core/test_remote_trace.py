"""StepTraces from a server's logprobs: local ids, the server's probabilities, an entropy
estimate that is a lower bound, honest about what the server does not say."""

from __future__ import annotations

import math

import numpy as np

from desktop.core.remote_trace import (
    RemoteStepTrace,
    RemoteVocab,
    entropy_estimate,
    step_from_logprobs,
)
from desktop.core.sampling import SamplerSettings
from desktop.core.trace import StepTrace


def _entry(token: str, lp: float, top: list[tuple[str, float]], raw: list[int] | None = None
           ) -> dict[str, object]:
    return {"token": token, "logprob": lp, "bytes": raw,
            "top_logprobs": [{"token": t, "logprob": v} for t, v in top]}


def test_probabilities_are_the_servers_and_ids_are_stable() -> None:
    vocab = RemoteVocab()
    top = [("Paris", math.log(0.7)), (" Lyon", math.log(0.2)), ("P", math.log(0.05))]
    t = step_from_logprobs(_entry(" Lyon", math.log(0.2), top), vocab, index=0, position=9,
                           greedy=False)
    assert isinstance(t, StepTrace) and t.text == " Lyon"
    assert np.allclose(t.cand_probs(), [0.7, 0.2, 0.05])
    assert t.rank == 2 and math.isclose(t.p_model, 0.2)
    assert math.isnan(t.p_sample)  # the server does not reveal the final distribution
    again = step_from_logprobs(_entry("Paris", math.log(0.7), top), vocab, index=1,
                               position=10, greedy=True)
    assert again.cand_ids.tolist() == t.cand_ids.tolist() and again.p_sample == 1.0
    row = t.to_json(SamplerSettings(), vocab.piece)
    assert row["token"] is None and row["p_sample"] is None and row["entropy_estimate"]
    assert [c["text"] for c in row["top"]] == ["Paris", " Lyon", "P"]
    assert all(c["kept_by"] is None and c["token"] is None for c in row["top"])


def test_bytes_give_partial_utf8_honestly() -> None:
    vocab = RemoteVocab()
    e = _entry("\\xe4\\xbd", -0.1, [("\\xe4\\xbd", -0.1), ("\\xe5", -3.0)], [0xE4, 0xBD])
    e["top_logprobs"][1]["bytes"] = [0xE5]  # type: ignore[index]
    t = step_from_logprobs(e, vocab, index=0, position=0, greedy=True)
    assert t.piece == b"\xe4\xbd" and t.text == "<0xE4><0xBD>"
    assert vocab.piece(int(t.cand_ids[1])) == b"\xe5"


def test_a_chosen_token_outside_the_top_n_is_no_candidate() -> None:
    t = step_from_logprobs(_entry("z", math.log(0.01), [("a", -0.1), ("b", -3.0)]),
                           RemoteVocab(), index=0, position=0, greedy=False)
    assert t.rank == 3 and t.token not in t.cand_ids.tolist()
    assert t.to_json(SamplerSettings())["rank"] is None


def test_what_if_is_always_approximate() -> None:
    t = step_from_logprobs(_entry("a", -0.1, [("a", -0.1), ("b", -2.5)]), RemoteVocab(),
                           index=0, position=0, greedy=True)
    chain = t.replay(SamplerSettings(temperature=0.0))
    assert not chain.exact and "does not reveal" in chain.reason
    assert t.cuts(SamplerSettings())[1] is False
    branched = t.forced(int(t.cand_ids[1]), b"b", SamplerSettings())
    assert isinstance(branched, RemoteStepTrace) and branched.rank == 2
    assert math.isclose(branched.p_model, math.exp(-2.5), rel_tol=1e-6)


def test_the_entropy_estimate_is_a_lower_bound_on_a_real_distribution(tiny_engine) -> None:
    e = tiny_engine
    e.eval_prompt(e.tokenize("The quick brown", add_bos=True))
    x = e.logits().astype(np.float64)
    p = np.exp(x - x.max())
    p /= p.sum()
    true_h = float(-(p[p > 0] * np.log2(p[p > 0])).sum())
    top = np.sort(p)[::-1][:20]
    est = entropy_estimate(top)
    assert est <= true_h + 1e-9
    naive = float(-(top * np.log2(top)).sum())  # the top-N terms alone
    assert abs(est - true_h) < abs(naive - true_h)
