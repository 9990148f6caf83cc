"""Repetition feeds itself: P(the sentence again) after it has appeared k times.

The context is a document start (``document_start``: BOS, or ``<|endoftext|>``) followed by
the sentence k times, separated by one space. ``P(repeat | k)`` is the probability that
the model continues with the sentence once more: the product of its tokens'
probabilities, teacher-forced, full softmax at temperature 1 (so at k = 0 it is the
plain chained probability of the sentence). It usually climbs towards 1 as k grows: the
sentence-level self-reinforcement behind repetition loops.

The second curve applies llama.cpp's penalties stage (``sampling.penalties``: repetition
penalty, frequency and presence penalties over the last ``repeat_last_n`` tokens of the
context, as ``llama_sampler_penalties`` does) and then DRY (``dry.dry_repeats`` /
``apply_dry``, as ``llama_sampler_dry_apply``; off unless ``dry_multiplier`` > 0) to the same
logits before the softmax, in llama.cpp's chain order.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..dry import apply_dry, dry_repeats
from ..engine import Engine
from ..errors import TokenscopeError
from ..sampling import Candidates, SamplerSettings, history_counts, penalties, softmax
from .common import (
    CancelFlag,
    Progress,
    ProgressFn,
    chat_prompt,
    check,
    continuation_tokens,
    log_softmax_at,
    text_of,
)

KIND = "lab.repetition"
#: the settings the second curve uses (saved with the result)
PENALTY_FIELDS = ("repeat_penalty", "frequency_penalty", "presence_penalty", "repeat_last_n",
                  "dry_multiplier", "dry_base", "dry_allowed_length", "dry_penalty_last_n")
DEFAULT_SENTENCE = "The cat sat on the mat and looked out of the window."
#: what the second curve applies unless told otherwise
DEFAULT_PENALTIES = SamplerSettings(repeat_penalty=1.3, frequency_penalty=0.0,
                                    presence_penalty=0.0, repeat_last_n=64)


@dataclass
class RepetitionPoint:
    k: int  #: times the sentence is already in the context
    n_context: int  #: context tokens before this repetition
    logprob: float  #: nats, sum over the sentence's tokens
    p_repeat: float
    token_p: list[float]
    logprob_penalized: float
    p_repeat_penalized: float
    token_p_penalized: list[float]


@dataclass
class RepetitionResult:
    model: str
    sentence: str
    first_tokens: int  #: tokens of the first occurrence
    repeat_tokens: int  #: tokens of each later occurrence (after the space)
    penalties: dict[str, Any]
    points: list[RepetitionPoint] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["kind"] = KIND
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RepetitionResult:
        return cls(d["model"], d["sentence"], d["first_tokens"], d["repeat_tokens"],
                   dict(d["penalties"]), [RepetitionPoint(**p) for p in d["points"]],
                   d.get("seconds", 0.0))

    def rows(self) -> list[dict[str, Any]]:
        return [{"k": p.k, "p_repeat": p.p_repeat, "p_repeat_penalized": p.p_repeat_penalized,
                 "logprob": p.logprob, "logprob_penalized": p.logprob_penalized,
                 "n_context": p.n_context} for p in self.points]


def document_start(engine: Engine) -> list[int]:
    """The token a document starts with: BOS where the model adds it; else GPT-2-style
    ``<|endoftext|>`` if the vocabulary has it as one special token; else BOS or EOS."""
    if engine.add_bos and engine.bos_id >= 0:
        return [engine.bos_id]
    eot = engine.tokenize("<|endoftext|>", special=True)
    if len(eot) == 1 and engine.is_special(eot[0]):
        return eot
    t = engine.bos_id if engine.bos_id >= 0 else engine.eos_id
    return [t] if t >= 0 else []


def run_repetition(
    engine: Engine, sentence: str = DEFAULT_SENTENCE, max_k: int = 8,
    settings: SamplerSettings = DEFAULT_PENALTIES, progress: ProgressFn | None = None,
    cancel: CancelFlag | None = None,
) -> RepetitionResult:
    """P(repeat | k) for k = 0 … ``max_k``, without and with ``settings``' penalties.

    Raises ``Cancelled``, ``ContextOverflowError`` (the context is too short for
    ``max_k`` repetitions), ``limits.SettingsError``, ``TokenscopeError`` (empty text)."""
    check("max_k", max_k)
    settings.check()
    sentence = sentence.strip()
    if not sentence:
        raise TokenscopeError("Type a sentence to repeat (it is empty).")
    first = engine.tokenize(sentence, special=False)
    again = continuation_tokens(engine, sentence, " " + sentence)
    ctx = document_start(engine)
    if not ctx:
        raise TokenscopeError("This model has neither a BOS nor an EOS token to start from.")
    need = len(ctx) + len(first) + max_k * len(again)
    if need >= engine.n_ctx:
        from ..errors import ContextOverflowError

        raise ContextOverflowError(need, engine.n_ctx, f"{max_k} repetitions")
    all_ids = np.arange(engine.n_vocab, dtype=np.int32)
    breakers = engine.dry_breakers(settings.dry_sequence_breakers) if settings.dry_active else {}
    prog = Progress(max_k + 1, progress, cancel, "repetition")
    result = RepetitionResult(engine.name, sentence, len(first), len(again),
                              {k: getattr(settings, k) for k in PENALTY_FIELDS})
    t0 = time.perf_counter()
    for k in range(max_k + 1):
        prog.check()
        toks = first if k == 0 else again
        n_context = len(ctx)
        engine.eval_prompt(ctx)
        raw: list[float] = []
        pen: list[float] = []
        for i, t in enumerate(toks):
            x = engine.logits()
            raw.append(float(log_softmax_at(x, t)))
            counts = history_counts(ctx, settings.repeat_last_n)
            c = penalties(Candidates(all_ids, x.copy(), by_id=True), settings, counts)
            if settings.dry_active:
                c = apply_dry(c, dry_repeats(
                    ctx, settings.dry_multiplier, settings.dry_base, settings.dry_allowed_length,
                    settings.dry_penalty_last_n, breakers))
            y = c.logits
            pen.append(float(log_softmax_at(y, t)))
            ctx = [*ctx, t]
            if i + 1 < len(toks):
                engine.eval_token(t)
        lp, lq = sum(raw), sum(pen)
        result.points.append(RepetitionPoint(
            k, n_context, lp, math.exp(lp), [math.exp(v) for v in raw],
            lq, math.exp(lq), [math.exp(v) for v in pen],
        ))
        prog.step(weight=len(toks))
    result.seconds = time.perf_counter() - t0
    return result


def draw_sentence(
    engine: Engine, request: str = "Write one short sentence about everyday life.",
    temperature: float = 0.7, seed: int = 0, max_tokens: int = 48,
) -> str:
    """A sentence written by the model (sampled at ``temperature``, full vocabulary) in
    reply to ``request``, cut after its first sentence end."""
    check("lab_temperature", temperature)
    check("max_tokens", max_tokens)
    rng = np.random.default_rng(seed)
    prompt = chat_prompt(engine, request)
    engine.eval_prompt(prompt)
    out: list[int] = []
    for _ in range(max_tokens):
        x = engine.logits()
        if temperature <= 0:
            tok = int(np.argmax(x))
        else:
            p = softmax((x / np.float32(temperature)).astype(np.float32)).astype(np.float64)
            tok = int(rng.choice(p.size, p=p / p.sum()))
        if engine.is_eog(tok):
            break
        out.append(tok)
        text = text_of(engine, out)
        if len(out) >= 3 and text.rstrip().endswith((".", "!", "?", "。", "！", "？")):
            break
        engine.eval_token(tok)
    text = text_of(engine, out).strip()
    if not text:
        raise TokenscopeError("The model wrote no sentence; type one instead.")
    return text
