"""The rest of llama.cpp's sampler family, one small function each: logit bias, top-nσ,
XTC, dynamic temperature and mirostat (v1, v2). Each mirrors its ``llama_sampler_*_apply``
in llama.cpp's src/llama-sampler.cpp; ``tests/core/test_modern_samplers.py`` proves on real
logits that they keep the same candidates with the same logits (random ones with the same
seed, through ``llama_rng``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .candidates import Candidates, softmax
from .llama_rng import LlamaRng

_F32 = np.float32


def logit_bias(c: Candidates, bias: Sequence[tuple[int, float]]) -> Candidates:
    """Add a bias to some tokens' logits (``llama_sampler_logit_bias_apply``; -inf bans)."""
    if not bias:
        return c
    logits = c.logits.copy()
    if c.by_id:
        for t, b in bias:
            if 0 <= t < len(logits):
                logits[t] = _F32(logits[t] + _F32(b))
    else:
        where = {int(t): i for i, t in enumerate(c.ids)}
        for t, b in bias:
            if t in where:
                logits[where[t]] = _F32(logits[where[t]] + _F32(b))
    return Candidates(c.ids, logits, False, c.by_id)


def top_n_sigma(c: Candidates, n: float) -> Candidates:
    """Keep the tokens whose logit is within ``n`` standard deviations of the best
    (``llama_sampler_top_n_sigma_apply``: mean and std over the finite logits, float)."""
    if n <= 0.0 or len(c) <= 1:
        return c
    x = c.logits
    finite = x[x != -np.inf]
    if finite.size == 0:
        return c
    mx = _F32(finite.max())
    mean = _F32(np.sum(finite, dtype=np.float32)) / _F32(finite.size)
    std = _F32(math.sqrt(float(np.sum((finite.astype(np.float64) - float(mean)) ** 2))
                         / finite.size))
    keep = np.nonzero(x >= mx - _F32(n) * std)[0]
    return c.take(keep, c.sorted)


def xtc(c: Candidates, probability: float, threshold: float, min_keep: int,
        rng: LlamaRng | None) -> tuple[Candidates, bool]:
    """Exclude Top Choices: with chance ``probability``, drop every token above
    ``threshold`` except the least likely of them (``llama_sample_xtc_apply``).
    Returns the candidates and whether the coin said "apply" (the RNG is drawn exactly
    when llama.cpp draws it, so the same seed gives the same coins)."""
    if probability <= 0.0 or threshold > 0.5 or len(c) < 2 or rng is None:
        return c, False
    if rng.uniform_float() > probability:
        return c, False
    return xtc_cut(c, threshold, min_keep), True


def xtc_cut(c: Candidates, threshold: float, min_keep: int) -> Candidates:
    """XTC's cut once its coin said "apply": every token at or above ``threshold`` but the
    least likely of them goes (if at least ``min_keep`` stay)."""
    if len(c) < 2:
        return c
    c = c.sort()
    p = softmax(c.logits)
    above = np.nonzero(p >= _F32(threshold))[0]
    pos_last = 0
    if above.size and above[0] == 0:  # contiguous from the top
        run = np.nonzero(np.diff(above) != 1)[0]
        pos_last = int(above[run[0]] if run.size else above[-1])
    if len(c) - pos_last >= min_keep and pos_last > 0:
        return c.take(slice(pos_last, None), True)
    return c


def temp_ext(c: Candidates, temp: float, delta: float, exponent: float) -> tuple[Candidates, float]:
    """Temperature, dynamic when ``delta`` > 0 (``llama_sampler_temp_ext_apply``): the
    temperature moves within temp ± delta with the normalised entropy of the candidates,
    raised to ``exponent``. Returns the candidates and the temperature used."""
    if delta > 0.0:
        if len(c) <= 1:
            return c, temp
        min_t, max_t = max(0.0, temp - delta), temp + delta
        max_entropy = _F32(-math.log(1.0 / len(c)))
        c = c.sort()
        p = softmax(c.logits)
        nz = p[p > 0]
        entropy = _F32(-np.sum(nz * np.log(nz), dtype=np.float32))
        norm = entropy / max_entropy
        t = float(_F32(min_t) + (_F32(max_t) - _F32(min_t)) * _F32(norm ** _F32(exponent)))
    else:
        t = temp
    return temperature_impl(c, t), t


def temperature_impl(c: Candidates, t: float) -> Candidates:
    """``llama_sampler_temp_impl``: divide by ``t``; at ``t`` <= 0 only the best stays."""
    if len(c) == 0:
        return c
    if t <= 0.0:
        best = int(np.argmax(c.logits))
        return c.take(np.array([best]), True)
    return Candidates(c.ids, (c.logits / _F32(t)).astype(np.float32), c.sorted)


def mirostat_v1(
    c: Candidates, tau: float, eta: float, m: int, mu: float, n_vocab: int, rng: LlamaRng
) -> tuple[Candidates, int, float]:
    """Mirostat 1.0 (``llama_sampler_mirostat_apply``): estimate the Zipf exponent from the
    top ``m`` tokens, keep the top k that targets surprise ``tau`` (bits), draw, and move
    ``mu``. Returns (kept candidates, index of the drawn one in them, the new mu)."""
    c = c.sort()
    p = softmax(c.logits)
    sum_tb = sum_tt = _F32(0.0)
    for i in range(min(m - 1, len(c) - 1)):
        t_i = _F32(math.log((i + 2) / (i + 1)))
        b_i = _F32(math.log(float(p[i]) / float(p[i + 1]))) if p[i + 1] > 0 else _F32(np.inf)
        sum_tb += t_i * b_i
        sum_tt += t_i * t_i
    s_hat = sum_tb / sum_tt
    eps = s_hat - _F32(1.0)
    k = _F32(float(eps * _F32(2.0 ** mu)) / (1.0 - float(n_vocab) ** -float(eps))) \
        ** (_F32(1.0) / s_hat)
    kept = max(int(k) if np.isfinite(k) else len(c), 1)
    c = c.take(slice(0, min(kept, len(c))), True)
    return _draw_and_update(c, tau, eta, mu, rng)


def mirostat_v2(
    c: Candidates, tau: float, eta: float, mu: float, rng: LlamaRng
) -> tuple[Candidates, int, float]:
    """Mirostat 2.0 (``llama_sampler_mirostat_v2_apply``): keep the tokens whose surprise
    (−log2 p) is at most ``mu``, draw, and move ``mu`` towards ``tau``."""
    c = c.sort()
    p = softmax(c.logits)
    over = np.nonzero(-np.log2(p) > _F32(mu))[0]
    n = int(over[0]) if over.size else len(c)
    c = c.take(slice(0, max(1, n)), True)
    return _draw_and_update(c, tau, eta, mu, rng)


def _draw_and_update(
    c: Candidates, tau: float, eta: float, mu: float, rng: LlamaRng
) -> tuple[Candidates, int, float]:
    p = softmax(c.logits)
    idx = rng.discrete(p)
    observed = float(-np.log2(p[idx]))
    return c, idx, float(_F32(mu) - _F32(eta) * _F32(observed - tau))
