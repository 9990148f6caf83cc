"""Traced generation on real models: greedy equals llama-cpp-python, traces are truthful,
stop/cancel/EOG behave, and the stream never shows a broken character."""

from __future__ import annotations

import codecs
import math
import threading

import numpy as np
import pytest

from desktop.core.engine import Engine
from desktop.core.generation import (
    DoneEvent,
    TextEvent,
    TextStream,
    TokenEvent,
    Tracer,
    generate,
)
from desktop.core.sampling import Candidates, SamplerSettings, history_counts, run_chain

GREEDY = SamplerSettings(temperature=0.0)
CHATML = "<|im_start|>user\n{}<|im_end|>\n<|im_start|>assistant\n"


def run(engine: Engine, prompt: list[int], settings: SamplerSettings, **kw) -> DoneEvent:
    events = list(generate(engine, prompt, settings, **kw))
    done = events[-1]
    assert isinstance(done, DoneEvent)
    streamed = "".join(e.text for e in events if isinstance(e, TokenEvent | TextEvent))
    assert streamed == done.text
    return done


def plain_greedy_text(engine: Engine, prompt: list[int], n: int) -> str:
    engine.llama.reset()
    out = engine.llama.create_completion(prompt, max_tokens=n, temperature=0.0)
    engine.llama.reset()
    return out["choices"][0]["text"]


@pytest.mark.slow
def test_greedy_equals_llama_cpp_python_on_smollm2(smol_engine: Engine) -> None:
    prompt = smol_engine.tokenize(CHATML.format("What is the capital of France?"))
    done = run(smol_engine, prompt, GREEDY, max_tokens=48)
    assert "Paris" in done.text
    assert done.text == plain_greedy_text(smol_engine, prompt, 48)


def test_greedy_equals_llama_cpp_python_on_tiny_model(tiny_engine: Engine) -> None:
    prompt = tiny_engine.tokenize("The quick brown fox", add_bos=True)
    done = run(tiny_engine, prompt, GREEDY, max_tokens=24)
    # create_completion drops invalid UTF-8 from its text, so compare the token ids of
    # llama-cpp-python's own greedy loop (the one create_completion runs)
    tiny_engine.llama.reset()
    expected = []
    for tok in tiny_engine.llama.generate(prompt, temp=0.0):
        expected.append(tok)
        if tiny_engine.is_eog(tok) or len(expected) == 24:
            break
    tiny_engine.llama.reset()
    assert [t.token for t in done.traces] == expected


def test_traces_are_truthful(tiny_engine: Engine) -> None:
    prompt = tiny_engine.tokenize("Hello world", add_bos=True)
    done = run(tiny_engine, prompt, GREEDY, max_tokens=16)
    assert len(done.traces) > 0
    for i, t in enumerate(done.traces):
        assert t.index == i and t.position == len(prompt) + i
        assert 0.0 < t.p_model <= 1.0
        assert t.rank == 1 and t.cand_ids[0] == t.token  # greedy picks the top candidate
        assert t.p_sample == pytest.approx(1.0)
        probs = t.cand_probs()
        assert np.all(np.diff(probs) <= 1e-12) and probs.sum() <= 1.0 + 1e-6
        assert probs[0] == pytest.approx(t.p_model, rel=1e-5)
        assert 0.0 <= t.entropy <= np.log2(tiny_engine.n_vocab) + 1e-6


@pytest.mark.parametrize("direct", [True, False], ids=["exp-direct", "max-subtracted"])
def test_entropy_and_p_model_match_the_full_softmax(
    tiny_engine: Engine, direct: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # both ways of summing exp(logits): directly (the usual range of the maximum logit)
    # and with the maximum subtracted first (outside it)
    from desktop.core import candidates

    bounds = (-math.inf, math.inf) if direct else (math.inf, -math.inf)
    monkeypatch.setattr(candidates, "_EXP_DIRECT", bounds)
    prompt = tiny_engine.tokenize("Tokens are pieces", add_bos=True)
    tiny_engine.eval_prompt(prompt)
    x = tiny_engine.logits().astype(np.float64)
    tracer = Tracer(tiny_engine, SamplerSettings(seed=3), np.random.default_rng(3))
    t = tracer.step(0)
    p = np.exp(x - x.max())
    p /= p.sum()
    assert t.p_model == pytest.approx(p[t.token], rel=1e-4)
    assert t.entropy == pytest.approx(float(-(p * np.log2(p)).sum()), rel=1e-4)
    assert t.rank == int((p > p[t.token]).sum()) + 1


@pytest.mark.parametrize(
    "settings",
    [
        SamplerSettings(seed=1),
        SamplerSettings(seed=4, temperature=0.0),
        SamplerSettings(seed=5, top_k=64, top_p=0.5, min_p=0.2, temperature=1.5),
        SamplerSettings(seed=6, typical_p=0.8),
        SamplerSettings(seed=2, top_k=0, top_p=0.9),
        SamplerSettings(seed=3, repeat_penalty=1.5, frequency_penalty=0.5, repeat_last_n=8),
    ],
)
def test_live_chain_on_candidates_equals_full_vocabulary_chain(
    tiny_engine: Engine, settings: SamplerSettings
) -> None:
    """The tracer runs the pipeline on the top candidates only; prove nothing is lost."""
    prompt = tiny_engine.tokenize("The sampler keeps the most likely", add_bos=True)
    tiny_engine.eval_prompt(prompt)
    tracer = Tracer(tiny_engine, settings, np.random.default_rng(0))
    for i in range(6):
        x = tiny_engine.logits().copy()
        counts = history_counts(tiny_engine.context_tokens[-64:], settings.repeat_last_n)
        t = tracer.step(i)
        full = run_chain(
            Candidates(np.arange(x.size, dtype=np.int32), x, by_id=True), settings, counts
        ).final
        live = tracer.last_final
        assert sorted(live.ids.tolist()) == sorted(full.ids.tolist())
        np.testing.assert_allclose(np.sort(live.probs()), np.sort(full.probs()), atol=1e-6)
        tiny_engine.eval_token(t.token)


def test_same_seed_same_reply_and_seed_is_reported(tiny_engine: Engine) -> None:
    prompt = tiny_engine.tokenize("Hello", add_bos=True)
    a = run(tiny_engine, prompt, SamplerSettings(seed=7, temperature=1.2), max_tokens=12)
    b = run(tiny_engine, prompt, SamplerSettings(seed=7, temperature=1.2), max_tokens=12)
    assert [t.token for t in a.traces] == [t.token for t in b.traces]
    assert a.seed == b.seed == 7
    c = run(tiny_engine, prompt, SamplerSettings(temperature=1.2), max_tokens=12)
    assert isinstance(c.seed, int)


def test_max_tokens_and_second_prompt_reuses_cache(tiny_engine: Engine) -> None:
    prompt = tiny_engine.tokenize("Hello world", add_bos=True)
    done = run(tiny_engine, prompt, GREEDY, max_tokens=5)
    assert done.reason == "length" and len(done.traces) == 5
    follow = prompt + [t.token for t in done.traces] + tiny_engine.tokenize(" again")
    done2 = run(tiny_engine, follow, GREEDY, max_tokens=3)
    assert done2.prompt.n_reused >= len(prompt) + 4


def test_stop_string_ends_the_reply_without_showing_it(tiny_engine: Engine) -> None:
    prompt = tiny_engine.tokenize("Hello world", add_bos=True)
    free = run(tiny_engine, prompt, GREEDY, max_tokens=30)
    text = free.text
    assert len(text) > 6
    stop = text[3:6]
    done = run(tiny_engine, prompt, GREEDY, max_tokens=30, stop=[stop])
    assert done.reason == "stop"
    assert done.text == text[: text.find(stop)]


def test_cancel_from_another_thread_takes_effect_within_one_token(tiny_engine: Engine) -> None:
    prompt = tiny_engine.tokenize("Hello", add_bos=True)
    cancel = threading.Event()
    seen: list[int] = []
    done: list[DoneEvent] = []

    def worker() -> None:
        for ev in generate(tiny_engine, prompt, SamplerSettings(seed=1), max_tokens=400,
                           cancel=cancel):
            if isinstance(ev, TokenEvent):
                seen.append(ev.trace.index)
                if len(seen) == 3:
                    cancel.set()  # stands for the UI thread pressing Stop
                    at_cancel.set()
                    proceed.wait(5)
            elif isinstance(ev, DoneEvent):
                done.append(ev)

    at_cancel, proceed = threading.Event(), threading.Event()
    th = threading.Thread(target=worker)
    th.start()
    assert at_cancel.wait(30)
    proceed.set()
    th.join(30)
    assert done and done[0].reason == "cancelled"
    assert len(seen) == 3


def test_context_full_stops_generation(tiny_model) -> None:
    from desktop.core.engine import LoadOptions

    e = Engine(tiny_model, LoadOptions(n_ctx=32, n_threads=2))
    try:
        prompt = e.tokenize("Hello world", add_bos=True)
        done = run(e, prompt, SamplerSettings(seed=1, temperature=1.5), max_tokens=500)
        assert done.reason in ("context", "eog")
        if done.reason == "context":
            # the KV cache is full (32); the last token was sampled from its final logits
            assert len(prompt) + len(done.traces) == 32 + 1
            assert e.n_past == 32
    finally:
        e.close()


CHINESE = "你好，世界。今天天气很好。鬱"


def _assert_streams_whole_characters(pieces: list[bytes]) -> None:
    stream = TextStream()
    deltas = [stream.feed(p)[0] for p in pieces] + [stream.finish()]
    assert "".join(deltas) == b"".join(pieces).decode("utf-8")
    assert all("\ufffd" not in d for d in deltas)
    partial = [p for p in pieces if not _decodes(p)]
    assert partial, "the text should contain characters split across tokens"


def test_stream_never_shows_a_broken_character_byte_fallback(tiny_engine: Engine) -> None:
    _assert_streams_whole_characters([tiny_engine.piece(t) for t in tiny_engine.tokenize(CHINESE)])


@pytest.mark.slow
def test_stream_never_shows_a_broken_character_smollm2(smol_engine: Engine) -> None:
    _assert_streams_whole_characters([smol_engine.piece(t) for t in smol_engine.tokenize(CHINESE)])


@pytest.mark.slow
def test_chinese_reply_on_smollm2_streams_cleanly(smol_engine: Engine) -> None:
    prompt = smol_engine.tokenize(CHATML.format("请用中文回答：一年有几个月？"))
    events = list(generate(smol_engine, prompt, GREEDY, max_tokens=40))
    done = events[-1]
    raw = b"".join(t.piece for t in done.traces if not smol_engine.is_eog(t.token))
    # the stream shows every complete character (a character cut off at the end is dropped)
    assert done.text == codecs.getincrementaldecoder("utf-8")("replace").decode(raw)
    assert all("\ufffd" not in e.text for e in events if isinstance(e, TokenEvent))


def test_stop_string_split_across_tokens_is_held_back() -> None:
    stream = TextStream(["</end>"])
    assert stream.feed(b"abc</e") == ("abc", False)
    assert stream.feed(b"nd> tail") == ("", True)
    assert stream.text == "abc"
    other = TextStream(["</end>"])
    assert other.feed(b"x</e") == ("x", False)
    assert other.feed(b"ve") == ("</eve", False)


def _decodes(b: bytes) -> bool:
    try:
        b.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def test_overlapped_and_in_turn_decoding_give_the_same_reply(
    tiny_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop.core import generation

    prompt = tiny_engine.tokenize("The quick brown fox", add_bos=True)
    settings = SamplerSettings(seed=11, temperature=1.0)
    monkeypatch.setattr(generation, "OVERLAP_DECODE", True)
    tiny_engine.truncate(0)
    overlapped = run(tiny_engine, prompt, settings, max_tokens=20)
    monkeypatch.setattr(generation, "OVERLAP_DECODE", False)
    tiny_engine.truncate(0)
    in_turn = run(tiny_engine, prompt, settings, max_tokens=20)
    assert [t.token for t in overlapped.traces] == [t.token for t in in_turn.traces]
    assert [t.lse for t in overlapped.traces] == [t.lse for t in in_turn.traces]


def test_a_consumer_that_stops_early_leaves_the_engine_ready(
    tiny_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop.core import generation

    monkeypatch.setattr(generation, "OVERLAP_DECODE", True)
    prompt = tiny_engine.tokenize("Hello", add_bos=True)
    gen = generate(tiny_engine, prompt, SamplerSettings(seed=1, temperature=1.5), max_tokens=50)
    tokens = []
    for ev in gen:
        if isinstance(ev, TokenEvent):
            tokens.append(ev.trace.token)
            if len(tokens) == 3:
                break  # the decode of the third token may be in flight here
    gen.close()
    assert tiny_engine.context_tokens[: len(prompt)] == prompt
    assert tiny_engine.n_past in (len(prompt) + 2, len(prompt) + 3)
    assert tiny_engine.context_tokens[len(prompt) :] == tokens[: tiny_engine.n_past - len(prompt)]
    tiny_engine.logits()  # ready: nothing pending, logits of the last evaluated token
