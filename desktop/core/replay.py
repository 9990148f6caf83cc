"""What-if replay of a stored step: the sampler chain re-run on the stored candidates only,
and an honest verdict on whether that equals what the full vocabulary would give.

A StepTrace keeps the top-K candidates by raw logit (K >= 64), the log-sum-exp of the raw
logits over the *whole* vocabulary and the penalties' history. The rest of the vocabulary
(the "tail") is known only by its total probability mass (1 - the stored candidates'
mass) and an upper bound on its logits (the lowest stored top-K logit). A stage whose
decision depends on the tail is replayed exactly when that summary suffices:

* top-k with ``k`` at most the stored count keeps only stored candidates when the k-th
  best of them (after penalties) is at or above the tail's bound;
* top-p over a set that still contains the tail normalises with the full log-sum-exp
  (exact) and is exact when its cut falls within the stored candidates;
* min-p is exact when the tail's bound lies below its threshold;
* greedy decoding is exact when the best stored candidate beats the tail's bound.

Anything else (typical-p over the tail, top-k above the stored count, a final
distribution that keeps the tail, penalties on tokens that were not stored) makes the
replay ``exact = False``: the UI and the JSON then say "approximate". A cut whose
cumulative probability lies within 1e-5 of top-p is also reported approximate (float
rounding could move it by one token).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from .dry import DryResult, apply_dry
from .modern_samplers import logit_bias, temp_ext, xtc_cut
from .sampling import (
    STAGE_NAMES,
    Candidates,
    ChainResult,
    SamplerSettings,
    history_counts,
    min_p,
    penalties,
    top_k,
    top_p,
    typical_p,
)

#: Candidates stored per token (by raw logit). At least 64, so what-if is exact for top_k <= 64.
STORED_CANDIDATES = 64
_TOP_P_MARGIN = 1e-5


@dataclass
class Replay(ChainResult):
    """A ChainResult over the stored candidates, plus whether it is exact."""

    exact: bool = True
    #: why it is not exact (empty when exact)
    reason: str = ""
    #: per stage: log of the total weight (sum of exp(logit)) of the candidates the sampler
    #: holds there, tail included while it is still in play; None where it is unknown
    log_totals: tuple[float | None, ...] = ()

    def stage_probs(self, index: int) -> npt.NDArray[np.float64]:
        """Probabilities of the stage's stored candidates as the sampler sees them there
        (normalised over the tail too while it is still in play)."""
        c = self.stages[index][1]
        total = self.log_totals[index] if index < len(self.log_totals) else None
        if total is None:
            return c.probs().astype(np.float64)
        return np.exp(c.logits.astype(np.float64) - total)


def _logsumexp(x: npt.NDArray[np.float32]) -> float:
    if x.size == 0:
        return -math.inf
    m = float(x.max())
    return m + math.log(float(np.exp(x.astype(np.float64) - m).sum()))


def replay(
    cand_ids: npt.NDArray[np.int32],
    cand_logits: npt.NDArray[np.float32],
    lse: float,
    history: npt.NDArray[np.int32],
    s: SamplerSettings,
    notes: dict[str, Any] | None = None,
    cand_cut: npt.NDArray[np.int8] | None = None,
) -> Replay:
    """Re-run the chain on the stored candidates (sorted by raw logit) with settings ``s``.

    ``lse`` is the log-sum-exp of the raw logits over the whole vocabulary (nats).
    Mirrors ``sampling.run_chain`` stage by stage; see the module docstring for when the
    result is exact. ``notes`` and ``cand_cut`` (what generation recorded) let the stateful
    stages be replayed as they ran: XTC's coin, DRY's penalties on the stored candidates and
    the grammar's mask of them.
    """
    notes = notes or {}
    out = Replay()
    totals: list[float | None] = []

    def mark(why: str) -> None:
        if out.exact:
            out.exact, out.reason = False, why

    c = Candidates(cand_ids, cand_logits, sorted=True)
    head = cand_logits[:STORED_CANDIDATES]
    tail_bound = float(head.min()) if head.size else -math.inf
    stored_mass = float(np.exp(cand_logits.astype(np.float64) - lse).sum())
    tail_mass = max(0.0, 1.0 - stored_mass)
    tail = tail_mass > 1e-12  # the tail is still in play
    log_tail = lse + math.log(tail_mass) if tail else -math.inf

    def record(name: str, cand: Candidates) -> None:
        out.stages.append((name, cand))
        totals.append(float(np.logaddexp(_logsumexp(cand.logits), log_tail)) if tail else None)

    record("raw", c)
    if s.logit_bias:
        stored = set(cand_ids.tolist())
        if tail and any(t not in stored for t, _ in s.logit_bias):
            mark("the logit bias touches tokens that were not stored")
        c = logit_bias(c, s.logit_bias)
    record("logit_bias", c)
    tail_mass_known = True
    if s.grammar:
        if cand_cut is None:
            mark("the grammar's mask was not recorded")
        else:  # the recorded mask of the stored candidates; the tail's is unknown
            masked = set(cand_ids[cand_cut == STAGE_NAMES.index("grammar")].tolist())
            c = c.take(np.array([i for i, t in enumerate(c.ids.tolist()) if t not in masked],
                                dtype=np.intp), c.sorted)
            tail_mass_known = False
    record("grammar", c)
    miro = s.mirostat in (1, 2)
    for name, on in (("top_n_sigma", s.top_n_sigma > 0.0 and not miro),
                     ("mirostat", miro)):
        if on:
            mark(f"{name} is not replayed from the stored candidates")
    counts = history_counts(history.tolist(), s.repeat_last_n)
    if miro:
        counts = Counter()
    if s.penalties_active and counts:
        if tail and any(t not in set(cand_ids.tolist()) for t in counts):
            mark("the penalties touch tokens that were not stored")
        c = penalties(c, s, counts)
    record("penalties", c)
    if s.dry_active and not miro:
        dry = notes.get("dry")
        if dry is None:
            mark("DRY's matches were not recorded for this token")
        else:
            c = apply_dry(c, DryResult({int(t): (int(n), float(p)) for t, (n, p) in dry.items()}))
            if int(notes.get("dry_n_penalised", 0)) > len(dry):
                tail_mass_known = False  # it also lowered tokens that were not stored
    record("dry", c)
    record("top_n_sigma", c)
    if miro:  # mirostat replaces the chain: only the temperature is replayed
        s = replace(s, top_k=0, typical_p=1.0, top_p=1.0, min_p=0.0, dynatemp_range=0.0)

    if s.top_k > 0:
        c = c.sort()
        if tail:
            if not (s.top_k <= len(c) and float(c.logits[s.top_k - 1]) >= tail_bound):
                mark(f"top-k {s.top_k} reaches beyond the {len(cand_ids)} stored candidates")
            tail = False
        c = top_k(c, s)
    record("top_k", c)

    if s.typical_p < 1.0 and tail:
        mark("typical-p over the whole vocabulary needs the candidates that were not stored")
        tail = False
    c = typical_p(c, s)
    record("typical_p", c)

    if s.top_p < 1.0 and tail and not tail_mass_known:
        mark("top-p needs the mass of the candidates that were not stored")
        tail = False
        c = top_p(c, s)
    elif s.top_p < 1.0 and tail:
        c = c.sort()
        total = float(np.logaddexp(_logsumexp(c.logits), log_tail))
        cum = np.cumsum(np.exp(c.logits.astype(np.float64) - total).astype(np.float32),
                        dtype=np.float32)
        reached = np.nonzero(cum >= np.float32(s.top_p))[0]
        reached = reached[reached + 1 >= s.min_keep]
        if reached.size:
            last = int(reached[0])
            if abs(float(cum[last]) - s.top_p) < _TOP_P_MARGIN:
                mark("top-p's cut lies within rounding of a candidate's cumulative probability")
            c = c.take(slice(0, last + 1), True)
        else:
            mark("top-p keeps candidates beyond the stored ones")
        tail = False
    else:
        c = top_p(c, s)
    record("top_p", c)

    if s.min_p > 0.0 and tail and len(c):
        threshold = float(c.logits.max()) + math.log(s.min_p)
        if tail_bound >= threshold:
            mark("min-p keeps candidates beyond the stored ones")
        tail = False
    c = min_p(c, s)
    record("min_p", c)

    if s.xtc_active and not miro:
        if "xtc_applied" not in notes:
            mark("XTC's coin was not drawn for this token")
        elif notes["xtc_applied"]:
            if tail:
                mark("XTC cut while candidates that were not stored were in play")
            c = xtc_cut(c, s.xtc_threshold, s.min_keep)
    record("xtc", c)
    if tail:
        if s.temperature > 0.0:
            mark("the final distribution includes candidates that were not stored")
        elif len(c) and float(c.logits.max()) < tail_bound:
            mark("a candidate that was not stored could be the best")
        tail = False
    c = temp_ext(c, s.temperature, s.dynatemp_range, s.dynatemp_exponent)[0]
    record("temperature", c)
    record("mirostat", c)
    out.log_totals = tuple(totals)
    return out
