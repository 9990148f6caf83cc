"""The sampling pipeline: llama.cpp's sampler chain, one small function per stage.

A stage takes the current candidates (token ids with their logits, any order unless
noted) and returns the candidates it keeps, possibly with changed logits. The chain is
data (``STAGES``) in llama.cpp's default order (common/common.h):
penalties → top_k → typical_p → top_p → min_p → temperature → dist.

Each function mirrors the corresponding ``llama_sampler_*_apply`` in llama.cpp's
``src/llama-sampler.cpp``; ``tests/core/test_sampling.py`` proves on real logits that
they keep the same candidates with the same probabilities.

Everything here runs on numpy arrays of any size: on the full vocabulary, or on a stored
subset of it for "what if" replays without the model.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from .candidates import (  # noqa: F401  (re-exported: the pipeline's vocabulary)
    Candidates,
    IdArray,
    LogitArray,
    softmax,
    top_indices,
)
from .dry import apply_dry, dry_repeats
from .llama_rng import LlamaRng
from .modern_samplers import (
    logit_bias,
    mirostat_v1,
    mirostat_v2,
    temp_ext,
    temperature_impl,
    top_n_sigma,
    xtc,
)
from .sampler_settings import SamplerSettings


def history_counts(history: Iterable[int], last_n: int) -> Counter[int]:
    """Token counts over the last ``last_n`` tokens (-1: all), as the penalties sampler keeps."""
    tokens = list(history)
    if last_n == 0:
        return Counter()
    if last_n > 0:
        tokens = tokens[-last_n:]
    return Counter(tokens)


# --- the stages ---------------------------------------------------------------------


def penalties(c: Candidates, s: SamplerSettings, counts: Mapping[int, int]) -> Candidates:
    """Repetition (multiplicative), frequency and presence penalties (llama.cpp's rules)."""
    if not s.penalties_active or not counts:
        return c
    logits = c.logits.copy()
    ids = np.fromiter(counts.keys(), dtype=np.int32, count=len(counts))
    n = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
    if c.by_id:
        pos = ids[ids < len(c)].astype(np.intp)
        n = n[ids < len(c)]
    else:
        where = {int(t): i for i, t in enumerate(c.ids)}
        found = [(where[int(t)], k) for t, k in zip(ids, n) if int(t) in where]
        pos = np.array([p for p, _ in found], dtype=np.intp)
        n = np.array([k for _, k in found], dtype=np.float32)
    if pos.size:
        x = logits[pos]
        x = np.where(
            x <= 0, x * np.float32(s.repeat_penalty), x / np.float32(s.repeat_penalty)
        ).astype(np.float32)
        x -= n * np.float32(s.frequency_penalty) + np.float32(s.presence_penalty)
        logits[pos] = x
    return Candidates(c.ids, logits, False, c.by_id)


def top_k(c: Candidates, s: SamplerSettings) -> Candidates:
    if s.top_k <= 0:
        return c
    k = min(s.top_k, len(c))
    c = c.sort() if k == len(c) or len(c) <= 4096 else _partial_sort(c, k)
    return c.take(slice(0, k), True)


def _partial_sort(c: Candidates, k: int) -> Candidates:
    part = np.argpartition(-c.logits, k - 1)[:k]
    sub = Candidates(c.ids[part], c.logits[part], False).sort()
    return sub


def typical_p(c: Candidates, s: SamplerSettings) -> Candidates:
    if s.typical_p >= 1.0:
        return c
    c = c.sort()
    p = c.probs()
    with np.errstate(divide="ignore"):
        logp = np.log(p)
    entropy = np.float32(-(p * np.where(p > 0, logp, 0)).sum(dtype=np.float32))
    shifted = np.abs(-logp - entropy)
    order = np.argsort(shifted, kind="stable")
    cum = np.cumsum(p[order], dtype=np.float32)
    over = np.nonzero(cum > np.float32(s.typical_p))[0]
    min_keep = max(1, s.min_keep)
    last = len(c)
    for i in over:  # first index where cum > p and at least min_keep kept
        if i >= min_keep - 1:
            last = int(i) + 1
            break
    return c.take(order[:last], False)


def top_p(c: Candidates, s: SamplerSettings) -> Candidates:
    if s.top_p >= 1.0:
        return c
    c = c.sort()
    cum = np.cumsum(c.probs(), dtype=np.float32)
    reached = np.nonzero(cum >= np.float32(s.top_p))[0]
    last = len(c)
    for i in reached:
        if i + 1 >= s.min_keep:
            last = int(i) + 1
            break
    return c.take(slice(0, last), True)


def min_p(c: Candidates, s: SamplerSettings) -> Candidates:
    if s.min_p <= 0.0 or len(c) == 0:
        return c
    threshold = np.float32(c.logits.max() + np.float32(math.log(s.min_p)))
    keep = np.nonzero(c.logits >= threshold)[0]
    if keep.size >= max(1, s.min_keep):
        return c.take(keep, c.sorted)
    c = c.sort()
    return c.take(slice(0, max(1, s.min_keep)), True)


def temperature(c: Candidates, s: SamplerSettings) -> Candidates:
    """Divide logits by the temperature; at temperature <= 0 only the best token stays."""
    if len(c) == 0:
        return c
    if s.temperature <= 0.0:
        best = int(np.argmax(c.logits))  # first maximum, as llama.cpp's scan
        return c.take(np.array([best]), True)
    return Candidates(c.ids, (c.logits / np.float32(s.temperature)).astype(np.float32), c.sorted)


Stage = Callable[[Candidates, SamplerSettings], Candidates]

#: The classic stages as data, in llama.cpp's default order (common/common.h).
STAGES: tuple[tuple[str, Stage], ...] = (
    ("top_k", top_k),
    ("typical_p", typical_p),
    ("top_p", top_p),
    ("min_p", min_p),
    ("temperature", temperature),
)
#: Every stage a trace records, in chain order: logit bias and the grammar first
#: (common_sampler_init),
#: penalties → DRY → top-nσ → top-k → typical-p → top-p → min-p → XTC → temperature
#: (dynamic when dynatemp_range > 0); mirostat replaces penalties … XTC and draws itself.
STAGE_NAMES: tuple[str, ...] = (
    "raw", "logit_bias", "grammar", "penalties", "dry", "top_n_sigma", "top_k", "typical_p",
    "top_p", "min_p", "xtc", "temperature", "mirostat",
)
_STAGE_INDEX = {n: i for i, n in enumerate(STAGE_NAMES)}
#: STAGE_NAMES as traces saved before the rest of the family arrived knew them
CLASSIC_STAGE_NAMES = ("raw", "penalties", "top_k", "typical_p", "top_p", "min_p",
                       "temperature")


@dataclass
class ChainResult:
    """Every stage's output, in ``STAGE_NAMES`` order; the last entry is the final
    distribution the token is drawn from. ``notes`` says what the stateful stages did
    (``xtc_applied``, ``dry`` {token: (repeat length, penalty)}, ``temperature`` used,
    ``mirostat_mu`` before the step); ``selected`` is mirostat's draw (an index into
    ``final``), None when the dist sampler draws."""

    stages: list[tuple[str, Candidates]] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)
    selected: int | None = None

    @property
    def final(self) -> Candidates:
        return self.stages[-1][1]

    def stage(self, name: str) -> Candidates:
        for n, c in self.stages:
            if n == name:
                return c
        raise KeyError(name)

    def cut_at(self, ids: IdArray) -> npt.NDArray[np.int8]:
        """For each id: the index in STAGE_NAMES of the stage that removed it, or -1 if kept."""
        out = np.full(ids.shape, -1, dtype=np.int8)
        n_before = -1
        for i, (_, c) in enumerate(self.stages):
            if len(c) == n_before:  # stages only remove: the same size is the same set
                continue
            n_before = len(c)
            if c.by_id:  # the whole vocabulary
                continue
            gone = (out == -1) & ~np.isin(ids, c.ids)
            out[gone] = i
        return out


@dataclass
class ChainState:
    """What the stateful samplers carry from one token to the next (one per reply).

    ``history``: the context before the position being sampled (DRY reads it);
    ``breakers``: DRY's processed sequence breakers for this model (``dry.breaker_sequences``).
    XTC and mirostat draw from their own ``std::mt19937`` seeded with the reply's seed, as
    llama.cpp's samplers do.
    """

    seed: int
    n_vocab: int
    mirostat_mu: float = 10.0
    history: Sequence[int] = ()
    breakers: Mapping[int, list[tuple[int, ...]]] = field(default_factory=dict)
    xtc_rng: LlamaRng | None = None
    mirostat_rng: LlamaRng | None = None
    #: the live grammar (``grammar.Grammar``), advanced by the caller after each draw
    grammar: Any = None

    @classmethod
    def new(cls, s: SamplerSettings, seed: int, n_vocab: int) -> ChainState:
        return cls(seed=seed, n_vocab=n_vocab, mirostat_mu=2.0 * s.mirostat_tau,
                   xtc_rng=LlamaRng(seed), mirostat_rng=LlamaRng(seed))


def run_chain(
    c: Candidates, s: SamplerSettings, counts: Mapping[int, int] | None = None,
    state: ChainState | None = None,
) -> ChainResult:
    """Run every stage in order and record each one's output.

    Without ``state`` the stateful stages (DRY, XTC, mirostat) pass their input through
    and say so in ``notes["skipped"]``."""
    r = ChainResult([("raw", c)])
    skipped: list[str] = []

    def add(name: str, cand: Candidates) -> Candidates:
        r.stages.append((name, cand))
        return cand

    c = add("logit_bias", logit_bias(c, s.logit_bias))
    if s.grammar:
        if state is None or state.grammar is None:
            skipped.append("grammar")
        else:
            before = len(c)
            c = state.grammar.mask(c)
            r.notes["grammar_masked"] = before - len(c)
    c = add("grammar", c)
    miro = s.mirostat in (1, 2)
    c = add("penalties", c if miro else penalties(c, s, counts or {}))
    if s.dry_active and not miro:
        if state is None:
            skipped.append("dry")
        else:
            found = dry_repeats(state.history, s.dry_multiplier, s.dry_base,
                                s.dry_allowed_length, s.dry_penalty_last_n, state.breakers)
            r.notes["dry"] = found.penalised
            c = apply_dry(c, found)
    c = add("dry", c)
    c = add("top_n_sigma", c if miro else top_n_sigma(c, s.top_n_sigma))
    for name, stage in STAGES[:-1]:
        c = add(name, c if miro else stage(c, s))
    if s.xtc_active and not miro:
        if state is None:
            skipped.append("xtc")
        else:
            c, r.notes["xtc_applied"] = xtc(c, s.xtc_probability, s.xtc_threshold,
                                            s.min_keep, state.xtc_rng)
    c = add("xtc", c)
    if miro:
        c, r.notes["temperature"] = temperature_impl(c, s.temperature), s.temperature
    else:
        c, r.notes["temperature"] = temp_ext(c, s.temperature, s.dynatemp_range,
                                             s.dynatemp_exponent)
    c = add("temperature", c)
    if miro and state is not None and state.mirostat_rng is not None and len(c):
        r.notes["mirostat_mu"] = state.mirostat_mu
        if s.mirostat == 1:
            c, r.selected, state.mirostat_mu = mirostat_v1(
                c, s.mirostat_tau, s.mirostat_eta, 100, state.mirostat_mu, state.n_vocab,
                state.mirostat_rng)
        else:
            c, r.selected, state.mirostat_mu = mirostat_v2(
                c, s.mirostat_tau, s.mirostat_eta, state.mirostat_mu, state.mirostat_rng)
    elif miro:
        skipped.append("mirostat")
    add("mirostat", c)
    if skipped:
        r.notes["skipped"] = skipped
    return r


def final_candidates(c: Candidates, s: SamplerSettings) -> Candidates:
    """The chain's final output only (see ``final_and_cuts``)."""
    return final_and_cuts(c, s)[0]


def final_and_cuts(
    c: Candidates, s: SamplerSettings, counts: Mapping[int, int] | None = None
) -> tuple[Candidates, npt.NDArray[np.int8]]:
    """The chain's final output, and for each input candidate (same order) the index in
    ``STAGE_NAMES`` of the stage that cut it (-1: kept to the end). What generation
    records per token: it comes from the chain that actually ran.

    For the common case (candidates sorted, no penalties, no typical-p) every stage keeps
    a prefix of the sorted candidates, so this takes a handful of array operations instead
    of one pass per stage; the tests hold it equal to ``run_chain``.
    """
    counts = counts or {}
    if (not c.sorted or (s.penalties_active and counts) or s.typical_p < 1.0
            or s.min_keep > 1 or s.modern_active):
        chain = run_chain(c, s, counts)
        return chain.final, chain.cut_at(c.ids)
    logits = c.logits[: s.top_k] if s.top_k > 0 else c.logits
    n_k = n = logits.shape[0]
    if s.top_p < 1.0 and n > 1:
        cum = np.cumsum(softmax(logits), dtype=np.float32)
        n = min(n, int(np.searchsorted(cum, np.float32(s.top_p), side="left")) + 1)
    n_p = n
    if s.min_p > 0.0 and n > 1:
        threshold = np.float32(logits[0] + np.float32(math.log(s.min_p)))
        n = max(1, min(n, int(np.count_nonzero(logits[:n] >= threshold))))
    n_m = n
    if s.temperature <= 0.0:
        n = 1
    kept = logits[:n] if s.temperature <= 0.0 else logits[:n] / np.float32(s.temperature)
    cut = np.full(len(c), -1, dtype=np.int8)
    cut[n:n_m] = _STAGE_INDEX["temperature"]
    cut[n_m:n_p] = _STAGE_INDEX["min_p"]
    cut[n_p:n_k] = _STAGE_INDEX["top_p"]
    cut[n_k:] = _STAGE_INDEX["top_k"]
    return Candidates(c.ids[:n], kept.astype(np.float32, copy=False), True), cut


def draw(final: Candidates, rng: np.random.Generator) -> tuple[int, float]:
    """Pick a token from the final distribution; returns (token id, its probability)."""
    if len(final) == 1:
        return int(final.ids[0]), 1.0
    p = final.probs()
    cum = np.cumsum(p, dtype=np.float64)
    i = int(np.searchsorted(cum, rng.random() * cum[-1], side="right"))
    i = min(i, len(final) - 1)
    return int(final.ids[i]), float(p[i])
