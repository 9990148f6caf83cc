"""The engine and traced generation end to end on both real test models: SmolLM2-135M
(49k-token vocabulary) and Gemma 3 270M (262k tokens, the test of everything that scales
with the vocabulary). Compared with llama-cpp-python's own loop on the same context."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import pytest

from desktop.core.engine import Engine, LoadOptions
from desktop.core.generation import DoneEvent, TokenEvent, Tracer, generate
from desktop.core.sampling import SamplerSettings

pytestmark = pytest.mark.slow

GREEDY = SamplerSettings(temperature=0.0)
PROMPTS = {
    "smollm2": (
        "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n"
    ),
    # a base model (no chat template in the file): a question-and-answer layout
    "gemma3": "Question: What is the capital of France?\nAnswer:",
}


@pytest.fixture(scope="module", params=["smollm2", "gemma3"])
def real(request: pytest.FixtureRequest) -> Iterator[tuple[str, Engine]]:
    engine = Engine(request.getfixturevalue(request.param), LoadOptions(n_ctx=2048, n_threads=2))
    yield request.param, engine
    engine.close()


def prompt_of(name: str, engine: Engine) -> list[int]:
    return engine.tokenize(PROMPTS[name], add_bos=engine.add_bos)


def test_greedy_equals_llama_cpp_python(real: tuple[str, Engine]) -> None:
    name, engine = real
    prompt = prompt_of(name, engine)
    done = [e for e in generate(engine, prompt, GREEDY, max_tokens=24)][-1]
    assert isinstance(done, DoneEvent)
    assert "Paris" in done.text
    ours = [t.token for t in done.traces]
    engine.llama.reset()
    expected: list[int] = []
    for tok in engine.llama.generate(prompt, temp=0.0):
        expected.append(tok)
        if engine.is_eog(tok) or len(expected) == len(ours):
            break
    engine.llama.reset()
    assert ours == expected


def test_traces_match_the_full_softmax(real: tuple[str, Engine]) -> None:
    name, engine = real
    engine.eval_prompt(prompt_of(name, engine))
    tracer = Tracer(engine, SamplerSettings(seed=5), np.random.default_rng(5))
    for i in range(4):
        x = engine.logits().astype(np.float64)
        p = np.exp(x - x.max())
        p /= p.sum()
        t = tracer.step(i)
        assert t.position == engine.n_past
        assert t.p_model == pytest.approx(p[t.token], rel=1e-4, abs=1e-9)
        entropy = float(-(p[p > 0] * np.log2(p[p > 0])).sum())
        assert t.entropy == pytest.approx(entropy, rel=1e-3, abs=1e-6)
        assert t.rank == int((x > x[t.token]).sum()) + 1
        # nothing of vocabulary size is kept per token
        assert all(
            a.size < engine.n_vocab // 8
            for a in vars(t).values() if isinstance(a, np.ndarray)
        )
        engine.eval_token(t.token)


def test_prefix_reuse_evaluates_only_new_tokens(real: tuple[str, Engine]) -> None:
    name, engine = real
    prompt = prompt_of(name, engine)
    engine.truncate(0)  # the whole prompt in one batch (the reference below does the same)
    done = [e for e in generate(engine, prompt, GREEDY, max_tokens=8)][-1]
    assert isinstance(done, DoneEvent)
    reply = [t.token for t in done.traces]
    follow = prompt + reply + engine.tokenize(" And of Italy?")
    s = engine.eval_prompt(follow)
    # the last reply token was sampled but never evaluated: it is new, as is the question
    assert s.n_reused == len(prompt) + len(reply) - 1
    assert s.n_evaluated == len(follow) - s.n_reused
    assert engine.context_tokens == follow
    # the same logits as llama-cpp-python's own evaluation of the same tokens, split alike
    # (the prompt as a batch, the reply token by token, then the rest as a batch: batched
    # and single-token decoding use different kernels)
    ours = engine.logits().copy()
    engine.llama.reset()
    engine.llama.eval(prompt)
    for t in reply[:-1]:
        engine.llama.eval([t])
    engine.llama.eval(follow[s.n_reused :])
    np.testing.assert_allclose(engine.logits(), ours, atol=1e-3)
    engine.truncate(0)


def test_cancel_takes_effect_within_one_token(real: tuple[str, Engine]) -> None:
    name, engine = real
    cancel = threading.Event()
    seen = 0
    done = None
    for ev in generate(engine, prompt_of(name, engine), SamplerSettings(seed=1),
                       max_tokens=200, cancel=cancel):
        if isinstance(ev, TokenEvent):
            seen += 1
            if seen == 2:
                cancel.set()
        elif isinstance(ev, DoneEvent):
            done = ev
    assert done is not None
    assert done.reason in ("cancelled", "eog") and seen == len(done.traces)
    if done.reason == "cancelled":
        assert seen == 2
