"""Our sampling pipeline against llama.cpp's own samplers, stage by stage, on real logits."""

from __future__ import annotations

import ctypes

import llama_cpp
import numpy as np
import pytest

from desktop.core import sampling as S
from desktop.core.sampling import Candidates, SamplerSettings, history_counts, run_chain

TOKEN_DATA = np.dtype([("id", "<i4"), ("logit", "<f4"), ("p", "<f4")])


def llama_stage_outputs(
    logits: np.ndarray, s: SamplerSettings, history: list[int]
) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Apply llama.cpp's samplers one by one to a full-vocabulary candidate array and record
    the kept candidates (ids, logits; sorted by id) after each stage."""
    n = logits.shape[0]
    data = np.zeros(n, dtype=TOKEN_DATA)
    data["id"] = np.arange(n)
    data["logit"] = logits
    arr = llama_cpp.llama_token_data_array(
        data=data.ctypes.data_as(llama_cpp.llama_token_data_p), size=n, selected=-1, sorted=False
    )
    pen = llama_cpp.llama_sampler_init_penalties(
        n, s.repeat_last_n, s.repeat_penalty, s.frequency_penalty, s.presence_penalty
    )
    for t in history:
        llama_cpp.llama_sampler_accept(pen, t)
    samplers = [
        ("penalties", pen),
        ("top_k", llama_cpp.llama_sampler_init_top_k(s.top_k)),
        ("typical_p", llama_cpp.llama_sampler_init_typical(s.typical_p, s.min_keep)),
        ("top_p", llama_cpp.llama_sampler_init_top_p(s.top_p, s.min_keep)),
        ("min_p", llama_cpp.llama_sampler_init_min_p(s.min_p, s.min_keep)),
        ("temperature", llama_cpp.llama_sampler_init_temp(s.temperature)),
    ]
    out = []
    for name, smpl in samplers:
        llama_cpp.llama_sampler_apply(smpl, ctypes.byref(arr))
        raw = (ctypes.c_char * (arr.size * TOKEN_DATA.itemsize)).from_address(
            ctypes.addressof(arr.data.contents)
        )
        kept = np.frombuffer(raw, dtype=TOKEN_DATA).copy()
        kept = kept[np.isfinite(kept["logit"])]
        kept.sort(order="id")
        out.append((name, kept["id"], kept["logit"]))
        llama_cpp.llama_sampler_free(smpl)
    return out


SETTINGS = [
    SamplerSettings(),  # llama.cpp's defaults
    SamplerSettings(temperature=1.3, top_k=20, top_p=0.8, min_p=0.02),
    SamplerSettings(temperature=0.7, top_k=64, top_p=1.0, min_p=0.1, typical_p=0.9),
    SamplerSettings(temperature=1.0, top_k=0, top_p=0.9, min_p=0.0),
    SamplerSettings(temperature=0.0),
    SamplerSettings(
        temperature=0.9, repeat_penalty=1.3, frequency_penalty=0.2, presence_penalty=0.3,
        repeat_last_n=16,
    ),
]


def assert_same_stages(logits: np.ndarray, s: SamplerSettings, history: list[int]) -> None:
    ours = run_chain(
        Candidates(np.arange(logits.shape[0], dtype=np.int32), logits.copy(), by_id=True),
        s,
        history_counts(history, s.repeat_last_n),
    )
    for name, their_ids, their_logits in llama_stage_outputs(logits, s, history):
        mine = ours.stage(name)
        finite = np.isfinite(mine.logits)
        order = np.argsort(mine.ids[finite])
        my_ids, my_logits = mine.ids[finite][order], mine.logits[finite][order]
        np.testing.assert_array_equal(my_ids, their_ids, err_msg=f"{name}: kept sets differ")
        np.testing.assert_allclose(my_logits, their_logits, rtol=1e-5, atol=1e-5, err_msg=name)
        np.testing.assert_allclose(
            S.softmax(my_logits), S.softmax(their_logits), atol=1e-6, err_msg=name
        )


def real_logits(engine, text: str) -> list[np.ndarray]:
    """Logits after each of a few prefixes of ``text`` (copies: the view is reused)."""
    tokens = engine.tokenize(text, add_bos=engine.add_bos)
    out = []
    for cut in (len(tokens) // 3, 2 * len(tokens) // 3, len(tokens)):
        engine.eval_prompt(tokens[: max(cut, 1)])
        out.append(engine.logits().copy())
    return out


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: repr(s)[15:70])
def test_stages_match_llama_cpp_on_tiny_model(tiny_engine, settings: SamplerSettings) -> None:
    for logits in real_logits(tiny_engine, "The quick brown fox jumps over the lazy dog. 你好"):
        assert_same_stages(logits, settings, history=[5, 9, 9, 30, 31, 5, 77, 5])


@pytest.mark.slow
@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: repr(s)[15:70])
def test_stages_match_llama_cpp_on_smollm2(smol_engine, settings: SamplerSettings) -> None:
    text = "<|im_start|>user\nWrite a haiku about the sea.<|im_end|>\n<|im_start|>assistant\n"
    history = smol_engine.tokenize(text)[-24:]
    for logits in real_logits(smol_engine, text):
        assert_same_stages(logits, settings, history)


def test_top_indices_is_a_superset_of_the_top_k() -> None:
    rng = np.random.default_rng(1)
    for n in (50, 1000, 49152, 49157):
        x = rng.standard_normal(n).astype(np.float32)
        x[rng.integers(0, n, 5)] = 9.0  # ties at the top
        idx = S.top_indices(x, 64)
        got = set(idx.tolist())
        want = set(np.argsort(-x, kind="stable")[: min(64, n)].tolist())
        assert want <= got
        assert len(got) == len(idx)  # no index twice


def test_stage_order_is_llama_cpps() -> None:
    assert S.STAGE_NAMES == (
        "raw", "logit_bias", "grammar", "penalties", "dry", "top_n_sigma", "top_k",
        "typical_p", "top_p", "min_p", "xtc", "temperature", "mirostat",
    )


def test_greedy_keeps_only_the_best_and_draw_picks_it() -> None:
    c = Candidates(np.array([3, 1, 2], np.int32), np.array([0.5, 2.0, 1.0], np.float32))
    chain = run_chain(c, SamplerSettings(temperature=0.0))
    assert chain.final.ids.tolist() == [1]
    assert S.draw(chain.final, np.random.default_rng(0)) == (1, 1.0)


def test_draw_follows_the_distribution() -> None:
    c = Candidates(np.array([7, 8], np.int32), np.log(np.array([0.8, 0.2], np.float32)))
    rng = np.random.default_rng(0)
    picks = [S.draw(c, rng)[0] for _ in range(4000)]
    assert picks.count(7) / len(picks) == pytest.approx(0.8, abs=0.03)


def test_same_seed_same_choices() -> None:
    c = Candidates(np.arange(10, dtype=np.int32), np.linspace(0, 1, 10, dtype=np.float32))
    a = [S.draw(c, np.random.default_rng(42))[0] for _ in range(5)]
    b = [S.draw(c, np.random.default_rng(42))[0] for _ in range(5)]
    assert a == b


def test_settings_round_trip_through_dict() -> None:
    s = SamplerSettings(temperature=0.3, top_k=7, seed=5)
    assert SamplerSettings.from_dict({**s.to_dict(), "unknown": 1}) == s
