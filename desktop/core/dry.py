"""DRY ("Don't Repeat Yourself"): penalise the token that would extend a repetition.

A port of ``llama_sampler_dry_apply`` (src/llama-sampler.cpp, after Koboldcpp's DRY by
pi6am): for each candidate token, the longest suffix of the context that already appeared
earlier *followed by that token* gives its repeat length n; when n >= ``allowed_length`` the
token's logit is lowered by ``multiplier · base^(n − allowed_length)``. Sequence breakers
(default ``"\\n" ":" "\\"" "*"``) stop a match from reaching across them, as in llama.cpp
(``get_overlapping_token_sequences``: a breaker may span several tokens).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .candidates import Candidates

MAX_CHAR_LEN = 40  #: llama.cpp truncates a breaker to this many characters
MAX_SEQ_LEN = 20  #: and its tail to this many tokens
FLOAT_MAX_LOG = 88.7228391

#: token -> the token sequences that, following it, complete a breaker (() = it is one)
Breakers = Mapping[int, list[tuple[int, ...]]]


def breaker_sequences(
    n_vocab: int, piece: Callable[[int], bytes], tokenize: Callable[[str], list[int]],
    breakers: Sequence[str],
) -> dict[int, list[tuple[int, ...]]]:
    """``get_overlapping_token_sequences`` for every breaker: which tokens contain a breaker
    (or its beginning, at their end) and which tokens must follow to complete it.
    One pass over the vocabulary's pieces (a second or so for 262k tokens)."""
    out: dict[int, list[tuple[int, ...]]] = {}
    words = [piece(t) for t in range(n_vocab)]
    for raw in breakers:
        if not raw:
            continue
        text = raw.encode("utf-8")[:MAX_CHAR_LEN]
        first = text[:1]
        for token, word in enumerate(words):
            if text in word:
                seqs = out.setdefault(token, [])
                if () not in seqs:
                    seqs.append(())
                continue
            pos = word.find(first)
            while pos >= 0:
                i = 1
                match = True
                while i < len(text) and pos + i < len(word):
                    if word[pos + i] != text[i]:
                        match = False
                        break
                    i += 1
                if match:
                    tail = tuple(tokenize(text[i:].decode("utf-8", "replace"))[:MAX_SEQ_LEN])
                    seqs = out.setdefault(token, [])
                    if tail not in seqs:
                        seqs.append(tail)
                pos = word.find(first, pos + 1)
    return out


@dataclass
class DryResult:
    #: token -> (repeat length, penalty subtracted from its logit)
    penalised: dict[int, tuple[int, float]] = field(default_factory=dict)


def dry_repeats(
    history: Sequence[int], multiplier: float, base: float, allowed_length: int,
    last_n: int, breakers: Breakers,
) -> DryResult:
    """The penalty per token for the next position after ``history`` (oldest first)."""
    res = DryResult()
    if multiplier == 0.0 or base < 1.0 or last_n == 0:
        return res
    window = list(history[-last_n:]) if last_n > 0 else list(history)
    n_rep = len(window)
    if n_rep <= allowed_length:
        return res

    def rat(i: int) -> int:
        return window[n_rep - 1 - i]

    rep_limit = n_rep
    for i in range(n_rep):
        seqs = breakers.get(rat(i))
        if not seqs:
            continue
        longest = -1
        for seq in seqs:
            n = len(seq)
            if longest < n <= i and all(seq[o] == rat(i - o - 1) for o in range(n)):
                longest = n
        if longest >= 0:
            rep_limit = i - longest
            break
    if rep_limit < allowed_length:
        return res

    count = [0] * n_rep
    last = n_rep - 1
    rt = lt = 0
    for k in range(1, n_rep):
        if k > rt:
            n = 0
            while n + k < n_rep and rat(n) == rat(n + k):
                n += 1
            count[last - k] = min(n, rep_limit)
            if n > 0:
                lt, rt = k, k + n - 1
        else:
            p = k - lt
            right = rt - k + 1
            if count[last - p] < right:
                count[last - k] = min(count[last - p], rep_limit)
            else:
                i = rt + 1
                while i < n_rep and rat(i) == rat(i - k):
                    i += 1
                count[last - k] = min(i - k, rep_limit)
                lt, rt = k, i - 1

    longest_for: dict[int, int] = {}
    for i in range(n_rep - 1):
        n = count[i]
        if n >= allowed_length:
            token = rat(n_rep - 2 - i)
            if longest_for.get(token, -1) < n:
                longest_for[token] = n
    max_exponent = int(FLOAT_MAX_LOG / math.log(base)) if base > 1.000001 else 0
    for token, n in longest_for.items():
        if () in breakers.get(token, []):
            continue  # a single-token breaker is never penalised
        exp = n - allowed_length
        if max_exponent > 0 and exp > max_exponent:
            exp = max_exponent
        # C++: float * std::pow(float, int) is computed in double, stored as float
        penalty = float(np.float32(float(np.float32(multiplier))
                                   * float(np.float32(base)) ** exp))
        res.penalised[token] = (n, penalty)
    return res


def apply_dry(c: Candidates, result: DryResult) -> Candidates:
    """Lower the logits of the penalised candidates (llama.cpp: ``logit -= penalty``)."""
    if not result.penalised:
        return c
    logits = c.logits.copy()
    if c.by_id:
        for t, (_, pen) in result.penalised.items():
            if 0 <= t < len(logits):
                logits[t] = np.float32(logits[t] - np.float32(pen))
    else:
        where = {int(t): i for i, t in enumerate(c.ids)}
        for t, (_, pen) in result.penalised.items():
            if t in where:
                logits[where[t]] = np.float32(logits[where[t]] - np.float32(pen))
    return Candidates(c.ids, logits, False, c.by_id)
