"""Compare two models on the same text: what the second one loses (or gains).

Both models must have the same vocabulary (e.g. two quantizations of one model, or a base
and an instruct model): the text is tokenized once (by model A, as plain text) and both
models score the same token ids at the same positions. Per token: each model's
probability and rank of the actual token, whether their first choices agree, and the
Kullback–Leibler divergence of B's next-token distribution from A's,

    KL(A‖B) = Σ_v p_A(v) · log2(p_A(v) / p_B(v))   (bits; over the whole vocabulary)

A is the reference (e.g. the higher-precision file): KL(A‖B) is the extra bits per token
spent coding A's predictions with B's, the measure llama.cpp's ``llama-perplexity
--kl-divergence`` reports (in nats there) for a quantized model against its base.
Totals: mean KL, top-1 agreement (%), perplexity of each model on the text.

Models with different vocabularies are refused (``VocabularyMismatchError``): their token
ids mean different things, and comparing distributions over different token sets has no
sound per-token definition.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from .engine import Engine
from .errors import TokenscopeError
from .scoring import MODES, ScoreError, logit_rows, raw_context
from .trace import piece_text

_LN2 = math.log(2.0)


class VocabularyMismatchError(TokenscopeError):
    """The two models' token ids do not mean the same pieces of text."""


def check_same_vocabulary(a: Engine, b: Engine) -> None:
    """Raise ``VocabularyMismatchError`` unless every token id has the same bytes in both
    models (and both vocabularies have the same size)."""
    if a.n_vocab != b.n_vocab:
        raise VocabularyMismatchError(
            f"The vocabularies differ: {a.name} has {a.n_vocab} tokens and {b.name} has "
            f"{b.n_vocab}, so their token ids mean different things and they cannot be "
            "compared token by token. Compare two files of the same model (e.g. two "
            "quantizations) instead."
        )
    for t in range(a.n_vocab):
        if a.piece(t) != b.piece(t):
            raise VocabularyMismatchError(
                f"Token {t} is {a.piece(t)!r} in {a.name} but {b.piece(t)!r} in {b.name}: "
                "the vocabularies differ, so the models cannot be compared token by token."
            )


def log_softmax(x: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    """Natural-log probabilities of a logits row (float64)."""
    y = x.astype(np.float64)
    m = y.max()
    return y - (m + math.log(float(np.exp(y - m).sum())))


def kl_bits(logp_a: npt.NDArray[np.float64], logp_b: npt.NDArray[np.float64]) -> float:
    """KL(A‖B) in bits from two log-probability rows (natural log), clamped at 0."""
    pa = np.exp(logp_a)
    return max(0.0, float(np.dot(pa, logp_a - logp_b)) / _LN2)


@dataclass
class CompareRow:
    index: int
    token: int
    text: str
    p_a: float
    p_b: float
    rank_a: int  #: 1-based rank of the actual token under A
    rank_b: int
    kl_bits: float  #: KL(A‖B) of the two next-token distributions here
    top1_a: int  #: A's most likely token here
    top1_b: int
    top1_a_text: str = ""
    top1_b_text: str = ""

    @property
    def agree(self) -> bool:
        return self.top1_a == self.top1_b

    @property
    def rank_shift(self) -> int:
        """rank under B minus rank under A (positive: B found the token less likely)."""
        return self.rank_b - self.rank_a

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "agree": self.agree, "rank_shift": self.rank_shift}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> CompareRow:
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


@dataclass
class CompareResult:
    model_a: str
    model_b: str
    mode: str
    rows: list[CompareRow]
    unscored: list[dict[str, Any]] = field(default_factory=list)

    @property
    def mean_kl_bits(self) -> float:
        return float(np.mean([r.kl_bits for r in self.rows])) if self.rows else 0.0

    @property
    def max_kl_bits(self) -> float:
        return max((r.kl_bits for r in self.rows), default=0.0)

    @property
    def top1_agreement(self) -> float:
        """Share of positions where both models' first choice is the same (0…1)."""
        return sum(r.agree for r in self.rows) / len(self.rows) if self.rows else 1.0

    def perplexity(self, which: str) -> float:
        """exp(mean -ln p) of the text under model "a" or "b"."""
        ps = [r.p_a if which == "a" else r.p_b for r in self.rows]
        if not ps:
            return float("nan")
        return math.exp(-float(np.mean(np.log(np.maximum(ps, 1e-300)))))

    def summary(self) -> dict[str, Any]:
        return {
            "model_a": self.model_a, "model_b": self.model_b, "mode": self.mode,
            "n_tokens": len(self.rows), "kl_direction": "KL(A||B)", "kl_unit": "bits",
            "mean_kl_bits": self.mean_kl_bits, "max_kl_bits": self.max_kl_bits,
            "top1_agreement": self.top1_agreement,
            "perplexity_a": self.perplexity("a"), "perplexity_b": self.perplexity("b"),
        }

    def to_json(self) -> dict[str, Any]:
        return {**self.summary(), "unscored": self.unscored,
                "rows": [r.to_json() for r in self.rows]}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> CompareResult:
        return cls(d["model_a"], d["model_b"], d["mode"],
                   [CompareRow.from_json(r) for r in d["rows"]], d.get("unscored", []))


def compare_tokens(
    a: Engine, b: Engine, context: list[int], tokens: list[int], mode: str = "batched",
) -> CompareResult:
    """Score ``tokens`` after ``context`` with both models (see the module's text).
    ``a`` and ``b`` may be the same engine only in batched mode."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    check_same_vocabulary(a, b)
    if not tokens:
        raise ScoreError("There is no text to compare.")
    unscored: list[dict[str, Any]] = []
    if not context:
        unscored = [{"token": tokens[0], "text": piece_text(a.piece(tokens[0]))}]
        context, tokens = tokens[:1], tokens[1:]
    if a is b and mode == "exact":
        raise ScoreError("Exact mode needs two loaded engines (one per model).")
    rows: list[CompareRow] = []
    for i, (xa, xb) in enumerate(zip(logit_rows(a, context, tokens, mode),
                                     logit_rows(b, context, tokens, mode))):
        tok = tokens[i]
        la, lb = log_softmax(xa), log_softmax(xb)
        ta, tb = int(np.argmax(la)), int(np.argmax(lb))
        rows.append(CompareRow(
            index=i + len(unscored), token=tok, text=piece_text(a.piece(tok)),
            p_a=math.exp(la[tok]), p_b=math.exp(lb[tok]),
            rank_a=int(np.count_nonzero(la > la[tok])) + 1,
            rank_b=int(np.count_nonzero(lb > lb[tok])) + 1,
            kl_bits=kl_bits(la, lb), top1_a=ta, top1_b=tb,
            top1_a_text=piece_text(a.piece(ta)), top1_b_text=piece_text(b.piece(tb)),
        ))
    return CompareResult(a.path.name, b.path.name, mode, rows, unscored)


def compare_text(a: Engine, b: Engine, text: str, mode: str = "batched") -> CompareResult:
    """Compare the two models on ``text`` as raw text (after BOS when model A adds one),
    tokenized by A as plain text. Raises ``VocabularyMismatchError`` when B tokenizes the
    text differently."""
    if not text:
        raise ScoreError("There is no text to compare.")
    check_same_vocabulary(a, b)
    tokens = a.tokenize(text, special=False)
    if b.tokenize(text, special=False) != tokens:
        raise VocabularyMismatchError(
            f"{a.name} and {b.name} split this text into different tokens; "
            "they cannot be compared token by token."
        )
    return compare_tokens(a, b, raw_context(a), tokens, mode)
