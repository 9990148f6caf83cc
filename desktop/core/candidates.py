"""Candidates: token ids with their logits, the currency of every sampling stage."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

IdArray = npt.NDArray[np.int32]
LogitArray = npt.NDArray[np.float32]


@dataclass
class Candidates:
    """Token ids and their (float32) logits; ``sorted`` means by logit, descending."""

    ids: IdArray
    logits: LogitArray
    sorted: bool = False
    #: True when ``ids`` is exactly ``arange(n_vocab)``: lookups by id are direct indexing.
    by_id: bool = False

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def sort(self) -> Candidates:
        if self.sorted:
            return self
        order = np.argsort(-self.logits, kind="stable")
        return Candidates(self.ids[order], self.logits[order], True)

    def take(self, index: npt.NDArray[np.intp] | slice, keep_sorted: bool) -> Candidates:
        return Candidates(self.ids[index], self.logits[index], keep_sorted)

    def probs(self) -> npt.NDArray[np.float32]:
        """Softmax over these candidates (float32, as llama.cpp computes it)."""
        return softmax(self.logits)


def softmax(logits: LogitArray) -> npt.NDArray[np.float32]:
    top = logits.max() if logits.size else 0.0
    if not np.isfinite(top):
        return np.full(logits.shape, 1.0 / max(1, logits.size), dtype=np.float32)
    e = np.exp(logits - top, dtype=np.float32)
    e /= e.sum(dtype=np.float32)
    return e


_LN2 = math.log(2.0)
#: The range of the maximum logit in which ``exp(logits)`` is summed without subtracting
#: the maximum first: float32 neither overflows (e^60 times a million-token vocabulary,
#: times a logit, stays far below 3.4e38) nor loses a term that matters (what underflows is
#: more than 47 nats below the maximum: < 1e-20 of the sum each).
_EXP_DIRECT = (-40.0, 60.0)


def lse_entropy(
    x: LogitArray, m: float, buf: LogitArray | None = None
) -> tuple[float, float]:
    """Log-sum-exp of the logits ``x`` (shape (n_vocab,), float32) in nats, and the
    entropy of ``softmax(x)`` in bits: ``H = (lse - sum(p * x)) / ln 2``. ``m`` is the
    maximum logit; ``buf``, optional scratch space shaped like ``x``.

    float32 exp and sums, as llama.cpp's ``llama_sampler_softmax_impl`` computes a softmax;
    where the maximum logit allows (almost always) the exps are summed directly, one pass
    over the vocabulary less (~0.1 ms on 262k logits). Generation and scoring both use it,
    so a scored token gets exactly its trace's numbers.
    """
    buf = np.empty_like(x) if buf is None else buf
    if _EXP_DIRECT[0] <= m <= _EXP_DIRECT[1]:
        np.exp(x, out=buf)
        shift = 0.0
    else:
        np.subtract(x, np.float32(m), out=buf)
        np.exp(buf, out=buf)
        shift = m
    z = float(buf.sum())
    lse = shift + math.log(z)
    return lse, max(0.0, (lse - float(np.dot(buf, x)) / z) / _LN2)


def top_indices(x: LogitArray, k: int, groups: int = 32) -> npt.NDArray[np.intp]:
    """Indices of at least the ``k`` largest values of ``x`` (a superset, unordered).

    Much faster than ``argpartition`` on a vocabulary-sized array, and reads ``x`` once:
    view ``x`` as ``groups`` rows, take the column maxima, and keep the entries at or
    above the k-th largest column maximum (k columns reach it, so at least k values do);
    only those columns are searched.
    """
    cols = x.shape[0] // groups
    if cols <= k:
        return np.arange(x.shape[0])
    n = cols * groups
    grid = x[:n].reshape(groups, cols)
    col_max = grid.max(axis=0)
    threshold = np.partition(col_max, cols - k)[cols - k]
    sel = np.flatnonzero(col_max >= threshold)
    rows, where = np.nonzero(grid[:, sel] >= threshold)
    idx = rows * cols + sel[where]
    if n < x.shape[0]:
        idx = np.concatenate((idx, np.arange(n, x.shape[0])))
    return idx
