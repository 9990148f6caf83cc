"""StepTraces from a remote server's ``logprobs``: what a server tells, and no more.

A server gives, per generated token, its text (sometimes its UTF-8 bytes), its log
probability and the top-N alternatives with theirs (natural log, under the model's raw
distribution on llama.cpp-based servers and vLLM's default). It gives no token ids, no
logits, no full-vocabulary log-sum-exp, and nothing about the sampler's stages.

``RemoteStepTrace`` is a StepTrace built from that, so heat mode, the inspector's
candidates, the timeline, the store and exports work unchanged:

* token ids are **local**: a ``RemoteVocab`` numbers each distinct piece (bytes) the first
  time it is seen, per server and model, and the store keeps that table like a local
  model's token texts. They are *not* the server's ids (the JSON says ``token: null``).
* ``cand_logits`` are the server's log probabilities and ``lse`` is 0, so
  ``cand_probs()`` are exactly the server's probabilities (``p = exp(logprob)``).
* ``entropy`` is an **estimate** in bits (``entropy_estimate``): the top-N's own terms plus
  the remaining mass ``r`` spread over tokens no more probable than the least probable
  listed one ``p_min``: ``H ≈ -Σ p log2 p + r log2(1 / min(p_min, r))``, the least entropy
  the tail can have, so the estimate is a lower bound of the true entropy.
* ``p_sample`` is unknown (NaN) unless the request was greedy (then 1); ``history`` is
  empty, ``cand_cut`` None: the server does not reveal its sampler stages, and any replay
  over the top-N is marked approximate (``REMOTE_NOTE``).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt

from .replay import Replay
from .sampling import SamplerSettings
from .trace import TOP_N, StepTrace, piece_text

_LN2 = math.log(2.0)

#: What the inspector, the what-if view and the JSON say about a remote reply.
REMOTE_NOTE = (
    "A remote server does not reveal its sampler stages: what-if works over the top-N "
    "candidates it returned only and is approximate."
)


class RemoteVocab:
    """Local ids for the pieces a server returns (bytes -> id), stable per server+model
    when seeded with the table the store kept (``Store.pieces(model_key)``)."""

    def __init__(self, known: dict[int, tuple[bytes, bool]] | None = None) -> None:
        self._by_piece: dict[bytes, int] = {}
        self._pieces: dict[int, bytes] = {}
        for i, (piece, _special) in sorted((known or {}).items()):
            self._pieces[i] = piece
            self._by_piece.setdefault(piece, i)

    def id(self, piece: bytes) -> int:
        """The local id of ``piece`` (a new one the first time it is seen)."""
        found = self._by_piece.get(piece)
        if found is None:
            found = max(self._pieces, default=-1) + 1
            self._by_piece[piece] = found
            self._pieces[found] = piece
        return found

    def piece(self, token: int) -> bytes:
        return self._pieces.get(token, b"")

    def is_special(self, token: int) -> bool:
        return False  # a server does not say which of its tokens are special

    def __len__(self) -> int:
        return len(self._pieces)


def entropy_estimate(probs: npt.NDArray[np.float64]) -> float:
    """Entropy in bits estimated from the top-N probabilities (a lower bound; see module)."""
    p = probs[probs > 0]
    if p.size == 0:
        return 0.0
    h = float(-(p * np.log2(p)).sum())
    rest = 1.0 - float(p.sum())
    if rest > 1e-9:
        h += rest * math.log2(1.0 / min(float(p.min()), rest))
    return max(0.0, h)


def piece_of(entry: dict[str, Any]) -> bytes:
    """A returned token's bytes: its ``bytes`` field when the server sends one (OpenAI,
    vLLM: exact, even for part of a UTF-8 character), else its text encoded as UTF-8
    (llama-cpp-python drops the bytes of a partial character: its text is then "")."""
    raw = entry.get("bytes")
    if isinstance(raw, list) and all(isinstance(b, int) and 0 <= b < 256 for b in raw):
        return bytes(raw)
    return str(entry.get("token") or "").encode("utf-8")


class RemoteStepTrace(StepTrace):
    """A StepTrace from a server's logprobs (see the module docstring for each field)."""

    remote = True
    entropy_is_estimate = True

    def replay(self, settings: SamplerSettings) -> Replay:
        """The chain re-run over the returned top-N only: always approximate."""
        chain = super().replay(settings)
        chain.exact = False
        chain.reason = REMOTE_NOTE
        return chain

    def cuts(
        self, settings: SamplerSettings, recorded: bool = True
    ) -> tuple[npt.NDArray[np.int8], bool]:
        chain = self.replay(settings)
        return chain.cut_at(self.cand_ids), False

    def top(self, settings: SamplerSettings, n: int = TOP_N, chain: Any = None
            ) -> list[dict[str, Any]]:
        """The returned candidates with the server's probabilities; ``kept_by`` is None
        (the server does not say which stages kept a token)."""
        return [
            {"token": t, "p_model": p, "kept_by": None}
            for t, p in zip(self.cand_ids[:n].tolist(), self.cand_probs()[:n].tolist())
        ]

    def forced(self, token: int, piece: bytes, settings: SamplerSettings) -> StepTrace:
        """This step with ``token`` chosen instead (a branch); ``p_sample`` unknown."""
        where = np.nonzero(self.cand_ids == token)[0]
        if where.size == 0:
            raise ValueError("that token is not among the candidates the server returned")
        i = int(where[0])
        logit = float(self.cand_logits[i])
        return replace(self, token=token, piece=piece, p_model=math.exp(logit),
                       p_sample=math.nan, rank=i + 1, logit=logit, seconds=0.0)

    def to_json(self, settings: SamplerSettings, piece_of: Any = None, n: int = TOP_N
                ) -> dict[str, Any]:
        """The ``--trace`` row of a remote token: the local schema, with ``token`` null
        (a server gives no ids), ``p_sample`` null unless greedy, ``rank`` null when the
        token was not among the top-N, ``entropy_estimate`` true and ``kept_by`` null."""
        top = self.top(settings, n)
        for t in top:
            if piece_of is not None:
                t["text"] = piece_text(piece_of(t["token"]))
            t["token"] = None
        in_top = bool(np.any(self.cand_ids == self.token))
        return {
            "index": self.index,
            "position": self.position if self.position >= 0 else None,
            "token": None,
            "text": self.text,
            "p_model": self.p_model,
            "p_sample": None if math.isnan(self.p_sample) else self.p_sample,
            "rank": self.rank if in_top else None,
            "entropy": self.entropy,
            "entropy_unit": "bits",
            "entropy_estimate": True,
            "top_mass": float(self.cand_probs().sum()),
            "remote": True,
            "top": top,
        }


def as_remote(traces: list[StepTrace]) -> list[StepTrace]:
    """Traces read back from the store or an export, as RemoteStepTraces (same data)."""
    out: list[StepTrace] = []
    for t in traces:
        if not isinstance(t, RemoteStepTrace):
            t = RemoteStepTrace(**{f: getattr(t, f) for f in t.__dataclass_fields__})
        out.append(t)
    return out


def remote_aware(stats: dict[str, Any], traces: list[StepTrace]) -> list[StepTrace]:
    """A reply's traces as read back: RemoteStepTraces when ``stats`` mark it remote."""
    return as_remote(traces) if "remote" in stats else traces


def step_from_logprobs(
    entry: dict[str, Any], vocab: RemoteVocab, *, index: int, position: int,
    greedy: bool, seconds: float = 0.0,
) -> RemoteStepTrace:
    """One token's trace from an OpenAI-style logprobs entry
    ``{"token", "bytes", "logprob", "top_logprobs": [{"token", "bytes", "logprob"}, …]}``.

    Candidates are sorted most probable first; a repeated piece keeps its first (highest)
    entry. A chosen token the server did not list among the top-N is not a candidate (its
    ``rank`` is then N+1, a lower bound; the JSON says null)."""
    piece = piece_of(entry)
    token = vocab.id(piece)
    raw_lp = entry.get("logprob")
    lp = float(raw_lp) if raw_lp is not None else -math.inf
    pairs: dict[int, float] = {}
    for alt in sorted(entry.get("top_logprobs") or [],
                      key=lambda a: -float(a.get("logprob") or -math.inf)):
        tid = vocab.id(piece_of(alt))
        if tid not in pairs and alt.get("logprob") is not None:
            pairs[tid] = float(alt["logprob"])
    listed = token in pairs
    if listed:
        pairs[token] = max(pairs[token], lp)  # same piece twice: the chosen one's value
    ids = np.fromiter(pairs, dtype=np.int32, count=len(pairs))
    logps = np.array(list(pairs.values()), dtype=np.float32)
    order = np.argsort(-logps, kind="stable")
    ids, logps = ids[order], logps[order]
    probs = np.exp(logps.astype(np.float64))
    entropy = entropy_estimate(probs)
    rank = int(np.flatnonzero(ids == token)[0]) + 1 if listed else len(ids) + 1
    return RemoteStepTrace(
        index=index, position=position, token=token, piece=piece,
        p_model=math.exp(lp), p_sample=1.0 if greedy else math.nan, rank=rank,
        entropy=entropy, lse=0.0, logit=lp, cand_ids=ids, cand_logits=logps,
        history=np.zeros(0, dtype=np.int32), seconds=seconds,
    )


def completion_entries(logprobs: dict[str, Any]) -> list[dict[str, Any]]:
    """The legacy completions format (``tokens``, ``token_logprobs``, ``top_logprobs`` as
    ``{text: logprob}`` maps) as chat-style entries for ``step_from_logprobs``."""
    tokens = logprobs.get("tokens") or []
    lps = logprobs.get("token_logprobs") or []
    tops = logprobs.get("top_logprobs") or [None] * len(tokens)
    return [
        {"token": tok, "logprob": lp,
         "top_logprobs": [{"token": k, "logprob": v} for k, v in (top or {}).items()]}
        for tok, lp, top in zip(tokens, lps, tops)
    ]
