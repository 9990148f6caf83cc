"""The rest of llama.cpp's sampler family against llama.cpp's own samplers, on real logits:
logit bias, DRY, top-nσ, XTC (same seed, same coins), dynamic temperature, mirostat v1/v2
(same seed, same draws)."""

from __future__ import annotations

import ctypes

import llama_cpp
import numpy as np
import pytest

from desktop.core.candidates import Candidates
from desktop.core.dry import apply_dry, breaker_sequences, dry_repeats
from desktop.core.llama_rng import LlamaRng
from desktop.core.modern_samplers import (
    logit_bias,
    mirostat_v1,
    mirostat_v2,
    temp_ext,
    top_n_sigma,
    xtc,
)

TOKEN_DATA = np.dtype([("id", "<i4"), ("logit", "<f4"), ("p", "<f4")])


class LlamaArray:
    """A llama_token_data_array over the full vocabulary, kept alive with its data."""

    def __init__(self, logits: np.ndarray) -> None:
        n = logits.shape[0]
        self.data = np.zeros(n, dtype=TOKEN_DATA)
        self.data["id"] = np.arange(n)
        self.data["logit"] = logits
        self.arr = llama_cpp.llama_token_data_array(
            data=self.data.ctypes.data_as(llama_cpp.llama_token_data_p), size=n, selected=-1,
            sorted=False,
        )

    def apply(self, smpl) -> None:
        llama_cpp.llama_sampler_apply(smpl, ctypes.byref(self.arr))

    def kept(self) -> tuple[np.ndarray, np.ndarray]:
        """(ids, logits) of the finite candidates, sorted by id."""
        raw = (ctypes.c_char * (self.arr.size * TOKEN_DATA.itemsize)).from_address(
            ctypes.addressof(self.arr.data.contents)
        )
        kept = np.frombuffer(raw, dtype=TOKEN_DATA).copy()
        kept = kept[np.isfinite(kept["logit"])]
        kept.sort(order="id")
        return kept["id"], kept["logit"]

    def selected_id(self) -> int:
        raw = (ctypes.c_char * (self.arr.size * TOKEN_DATA.itemsize)).from_address(
            ctypes.addressof(self.arr.data.contents)
        )
        return int(np.frombuffer(raw, dtype=TOKEN_DATA)[self.arr.selected]["id"])


def full(logits: np.ndarray) -> Candidates:
    return Candidates(np.arange(logits.size, dtype=np.int32), logits.copy(), by_id=True)


def assert_same(mine: Candidates, theirs: LlamaArray, rtol: float = 1e-5) -> None:
    ids, lg = theirs.kept()
    finite = np.isfinite(mine.logits)
    order = np.argsort(mine.ids[finite])
    np.testing.assert_array_equal(mine.ids[finite][order], ids)
    np.testing.assert_allclose(mine.logits[finite][order], lg, rtol=rtol, atol=1e-5)


def logits_of(engine, text: str) -> list[np.ndarray]:
    tokens = engine.tokenize(text, add_bos=engine.add_bos)
    out = []
    for cut in (max(1, len(tokens) // 2), len(tokens)):
        engine.eval_prompt(tokens[:cut])
        out.append(engine.logits().copy())
    return out


@pytest.fixture(scope="module")
def tiny_logits(tiny_model) -> list[np.ndarray]:
    from desktop.core.engine import Engine, LoadOptions

    with Engine(tiny_model, LoadOptions(n_ctx=256, n_threads=2)) as e:
        return logits_of(e, "The quick brown fox jumps over the lazy dog. 你好")


@pytest.fixture(scope="module")
def smol_logits(smollm2) -> list[np.ndarray]:
    from desktop.core.engine import Engine, LoadOptions

    with Engine(smollm2, LoadOptions(n_ctx=256, n_threads=2)) as e:
        return logits_of(e, "<|im_start|>user\nWrite a haiku about the sea.<|im_end|>\n")


def check_stateless(logits_list: list[np.ndarray]) -> None:
    for logits in logits_list:
        bias = [(3, 5.0), (17, -2.5), (int(np.argmax(logits)), -np.inf)]
        arr = (llama_cpp.llama_logit_bias * len(bias))(*[
            llama_cpp.llama_logit_bias(t, b) for t, b in bias])
        a = LlamaArray(logits)
        a.apply(llama_cpp.llama_sampler_init_logit_bias(logits.size, len(bias), arr))
        assert_same(logit_bias(full(logits), bias), a)
        for n in (0.5, 1.0, 2.0):
            a = LlamaArray(logits)
            a.apply(llama_cpp.llama_sampler_init_top_n_sigma(n))
            assert_same(top_n_sigma(full(logits), n), a)
        for temp, delta, exp in ((0.8, 0.5, 1.0), (1.0, 0.9, 2.0), (0.7, 0.0, 1.0)):
            # dynamic temperature works on what the chain left: the top 40 here
            top = np.argsort(-logits)[:40]
            sub = np.full_like(logits, -np.inf)
            sub[top] = logits[top]
            a = LlamaArray(sub)
            llama_cpp.llama_sampler_apply(llama_cpp.llama_sampler_init_top_k(40),
                                          ctypes.byref(a.arr))
            a.apply(llama_cpp.llama_sampler_init_temp_ext(temp, delta, exp))
            mine, _ = temp_ext(Candidates(top.astype(np.int32), logits[top]), temp, delta, exp)
            assert_same(mine, a, rtol=1e-4)


def check_xtc(logits_list: list[np.ndarray]) -> None:
    for logits in logits_list:
        top = np.argsort(-logits)[:50].astype(np.int32)
        c = Candidates(top, logits[top] * np.float32(3.0))  # sharp: some tokens above 0.1
        for seed in (1, 7, 42):
            theirs = llama_cpp.llama_sampler_init_xtc(0.5, 0.1, 1, seed)
            rng = LlamaRng(seed)
            fired = 0
            for _ in range(12):  # the same coins, call after call
                sub = np.full(logits.size, -np.inf, dtype=np.float32)
                sub[c.ids] = c.logits
                a = LlamaArray(sub)
                llama_cpp.llama_sampler_apply(llama_cpp.llama_sampler_init_top_k(50),
                                              ctypes.byref(a.arr))
                a.apply(theirs)
                mine, applied = xtc(c, 0.5, 0.1, 1, rng)
                fired += applied
                assert_same(mine, a)
            assert 0 < fired < 12


def check_mirostat(logits_list: list[np.ndarray]) -> None:
    for logits in logits_list:
        for version in (1, 2):
            for seed in (3, 99):
                tau, eta = 5.0, 0.1
                theirs = (llama_cpp.llama_sampler_init_mirostat(logits.size, seed, tau, eta, 100)
                          if version == 1 else
                          llama_cpp.llama_sampler_init_mirostat_v2(seed, tau, eta))
                rng, mu = LlamaRng(seed), 2.0 * tau
                for _ in range(8):  # mu moves: the same draws step after step
                    a = LlamaArray(logits)
                    a.apply(theirs)
                    if version == 1:
                        kept, idx, mu = mirostat_v1(full(logits), tau, eta, 100, mu,
                                                    logits.size, rng)
                    else:
                        kept, idx, mu = mirostat_v2(full(logits), tau, eta, mu, rng)
                    assert int(kept.ids[idx]) == a.selected_id()


def check_dry(engine, text: str) -> None:
    breakers = ("\n", ":", "\"", "*")
    table = breaker_sequences(engine.n_vocab, engine.piece,
                              lambda t: engine.tokenize(t, special=False), breakers)
    history = engine.tokenize(text, special=False)
    engine.eval_prompt(history)
    logits = engine.logits().copy()
    for mult, base, allowed, last_n in ((0.8, 1.75, 2, -1), (1.5, 2.0, 1, 16), (0.8, 1.75, 3, 0)):
        arr = (ctypes.c_char_p * len(breakers))(*[b.encode() for b in breakers])
        smpl = llama_cpp.llama_sampler_init_dry(
            llama_cpp.llama_model_get_vocab(engine.llama.model), mult, base, allowed,
            last_n if last_n >= 0 else len(history), arr, len(breakers))
        for t in history:
            llama_cpp.llama_sampler_accept(smpl, t)
        a = LlamaArray(logits)
        a.apply(smpl)
        found = dry_repeats(history, mult, base, allowed,
                            last_n if last_n >= 0 else len(history), table)
        assert_same(apply_dry(full(logits), found), a)
        if last_n != 0:
            assert found.penalised  # the text repeats itself: something is penalised


def test_stateless_stages_match_llama_cpp_on_tiny_model(tiny_logits) -> None:
    check_stateless(tiny_logits)


def test_xtc_matches_llama_cpp_with_the_same_seed_on_tiny_model(tiny_logits) -> None:
    check_xtc(tiny_logits)


def test_mirostat_draws_match_llama_cpp_with_the_same_seed_on_tiny_model(tiny_logits) -> None:
    check_mirostat(tiny_logits)


def test_dry_matches_llama_cpp_on_tiny_model(tiny_engine) -> None:
    check_dry(tiny_engine, "the cat sat on the mat. the cat sat on the mat: the cat sat on")


@pytest.mark.slow
def test_the_family_matches_llama_cpp_on_smollm2(smol_logits, smol_engine) -> None:
    check_stateless(smol_logits)
    check_xtc(smol_logits)
    check_mirostat(smol_logits)
    check_dry(smol_engine, "I like green eggs and ham. I like green eggs and ham.\n"
                           "I like green eggs and ham. I like green eggs and")


def test_llama_rng_is_std_mt19937() -> None:
    rng = LlamaRng(5489)  # the C++ standard's check value: the 10000th output
    values = [rng.raw() for _ in range(10000)]
    assert values[-1] == 4123659995


def test_the_whole_chain_matches_llama_cpps_stage_by_stage(tiny_engine) -> None:
    from desktop.core.sampling import ChainState, SamplerSettings, history_counts, run_chain

    text = "the cat sat on the mat. the cat sat on the mat. the cat"
    history = tiny_engine.tokenize(text, special=False)
    tiny_engine.eval_prompt(history)
    logits = tiny_engine.logits().copy()
    s = SamplerSettings(
        temperature=0.9, top_k=60, top_p=0.97, min_p=0.01, repeat_penalty=1.1,
        dry_multiplier=0.8, top_n_sigma=2.5, xtc_probability=0.9, xtc_threshold=0.05,
        dynatemp_range=0.3, logit_bias=((5, 1.5),), seed=11,
    )
    state = ChainState.new(s, 11, logits.size)
    state.history = history
    state.breakers = tiny_engine.dry_breakers(s.dry_sequence_breakers)
    ours = run_chain(full(logits), s, history_counts(history, s.repeat_last_n), state)
    vocab = llama_cpp.llama_model_get_vocab(tiny_engine.llama.model)
    bias = (llama_cpp.llama_logit_bias * 1)(llama_cpp.llama_logit_bias(5, 1.5))
    pen = llama_cpp.llama_sampler_init_penalties(logits.size, s.repeat_last_n, s.repeat_penalty,
                                                 0.0, 0.0)
    breakers = (ctypes.c_char_p * 4)(*[b.encode() for b in s.dry_sequence_breakers])
    dry = llama_cpp.llama_sampler_init_dry(vocab, 0.8, 1.75, 2, len(history), breakers, 4)
    for t in history:
        llama_cpp.llama_sampler_accept(pen, t)
        llama_cpp.llama_sampler_accept(dry, t)
    theirs = [
        ("logit_bias", llama_cpp.llama_sampler_init_logit_bias(logits.size, 1, bias)),
        ("penalties", pen), ("dry", dry),
        ("top_n_sigma", llama_cpp.llama_sampler_init_top_n_sigma(2.5)),
        ("top_k", llama_cpp.llama_sampler_init_top_k(60)),
        ("typical_p", llama_cpp.llama_sampler_init_typical(1.0, 1)),
        ("top_p", llama_cpp.llama_sampler_init_top_p(0.97, 1)),
        ("min_p", llama_cpp.llama_sampler_init_min_p(0.01, 1)),
        ("xtc", llama_cpp.llama_sampler_init_xtc(0.9, 0.05, 1, 11)),
        ("temperature", llama_cpp.llama_sampler_init_temp_ext(0.9, 0.3, 1.0)),
    ]
    a = LlamaArray(logits)
    for name, smpl in theirs:
        a.apply(smpl)
        assert_same(ours.stage(name), a, rtol=1e-4)
    assert "xtc_applied" in ours.notes and ours.notes["dry"]
