"""StepTrace: what the model and the sampler did for one generated token.

Stored per token (about 0.8 KB): the chosen token and its probabilities, the entropy of
the model's full distribution, the top-K candidates by raw logit (K >= 64) with those
logits, the log-sum-exp over the whole vocabulary, and the recent context tokens the
penalties look at. That is enough to re-run the sampling pipeline with other settings
without the model ("what if"): exactly for the top-K, which covers top_k <= K.

Entropy is in **bits** (log base 2) throughout the app.
"""

from __future__ import annotations

import codecs
import json
import math
import struct
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from .replay import STORED_CANDIDATES, Replay, replay
from .sampling import (
    CLASSIC_STAGE_NAMES,
    STAGE_NAMES,
    Candidates,
    ChainResult,
    SamplerSettings,
    history_counts,
    penalties,
)

__all__ = ["STORED_CANDIDATES", "TOP_N", "StepTrace", "piece_text"]

#: a version-2 cut index (CLASSIC_STAGE_NAMES; -1 kept) -> today's (indexed with -1 last)
_CLASSIC_TO_NOW = np.array(
    [STAGE_NAMES.index(n) for n in CLASSIC_STAGE_NAMES] + [-1], dtype=np.int8
)
#: Candidates shown in the trace JSON and the inspector by default.
TOP_N = 20


def _hex_bytes(err: UnicodeError) -> tuple[str, int]:
    assert isinstance(err, UnicodeDecodeError)
    bad = err.object[err.start : err.end]
    return "".join(f"<0x{b:02X}>" for b in bad), err.end


codecs.register_error("tokenscope-hex", _hex_bytes)


def _notes_bytes(notes: dict[str, Any] | None) -> bytes:
    blob = json.dumps(notes, separators=(",", ":")).encode() if notes else b""
    return struct.pack("<I", len(blob)) + blob


def piece_text(piece: bytes) -> str:
    """A token's bytes as text, honest about partial UTF-8: b'\\xe4\\xbd' -> '<0xE4><0xBD>'."""
    return piece.decode("utf-8", errors="tokenscope-hex")


@dataclass
class StepTrace:
    index: int  #: 0-based index of the token within the reply
    position: int  #: position in the context window (its KV cache slot)
    token: int
    piece: bytes  #: the token's raw bytes (may be part of a UTF-8 character)
    p_model: float  #: probability under the raw model: softmax of the logits
    p_sample: float  #: probability under the final sampling distribution
    rank: int  #: 1-based rank of the token under the raw model
    entropy: float  #: entropy of the model's full distribution, in bits
    lse: float  #: log-sum-exp of the raw logits over the whole vocabulary
    logit: float  #: raw logit of the chosen token
    cand_ids: npt.NDArray[np.int32]  #: top-K candidates by raw logit, most probable first
    cand_logits: npt.NDArray[np.float32]
    history: npt.NDArray[np.int32]  #: context tokens before this one (the penalties' window)
    seconds: float = 0.0  #: time from the previous token (or the prompt's end) to this one
    #: per stored candidate: the index in STAGE_NAMES of the stage that cut it (-1: kept),
    #: recorded from the chain that actually ran (None in traces saved before it existed)
    cand_cut: npt.NDArray[np.int8] | None = None
    #: what the stateful stages did (``generation.trace_notes``): XTC's coin, the dynamic
    #: temperature, mirostat's mu, DRY's penalties; None when none of them ran
    notes: dict[str, Any] | None = None

    @property
    def text(self) -> str:
        return piece_text(self.piece)

    @property
    def grammar_forced(self) -> bool:
        """The grammar left the sampler no other choice (``p_sample`` 1) and cut a
        candidate the model found more likely: the token is the grammar's, not the
        model's pick (its low ``p_model`` is no sign the model was unsure of its words)."""
        cut = self.cand_cut
        if cut is None or self.p_sample < 1.0 - 1e-6:
            return False
        from .sampling import STAGE_NAMES

        grammar = STAGE_NAMES.index("grammar")
        where = np.flatnonzero(self.cand_ids == self.token)
        above = cut[: int(where[0])] if where.size else cut
        return bool((above == grammar).any())

    def cand_probs(self) -> npt.NDArray[np.float64]:
        """Raw model probabilities of the stored candidates."""
        return np.exp(self.cand_logits.astype(np.float64) - self.lse)

    def replay(self, settings: SamplerSettings) -> Replay:
        """Re-run the sampling pipeline on the stored candidates with ``settings``; its
        ``exact`` says whether that equals the full-vocabulary chain (see ``replay``)."""
        return replay(self.cand_ids, self.cand_logits, self.lse, self.history, settings,
                      self.notes, self.cand_cut)

    def cuts(
        self, settings: SamplerSettings, recorded: bool = True
    ) -> tuple[npt.NDArray[np.int8], bool]:
        """Per stored candidate, the stage that cut it (-1: kept), and whether that is exact.

        With ``recorded`` (``settings`` are the ones this token was sampled with) the cuts
        recorded during generation are used: they are always exact. Otherwise a replay.
        """
        if recorded and self.cand_cut is not None:
            return self.cand_cut, True
        chain = self.replay(settings)
        return chain.cut_at(self.cand_ids), chain.exact

    def top(
        self, settings: SamplerSettings, n: int = TOP_N, chain: ChainResult | None = None
    ) -> list[dict[str, Any]]:
        """The top ``n`` candidates with raw probabilities and the stages that kept each:
        only stages ``settings`` turn on, up to the one that cut it (recorded during
        generation when ``chain`` is None and the trace has them)."""
        cut = self.cuts(settings)[0][:n] if chain is None else chain.cut_at(self.cand_ids[:n])
        ids = self.cand_ids[:n]
        probs = self.cand_probs()[:n]
        out = []
        active = settings.active_stages()
        for tid, p, c in zip(ids.tolist(), probs.tolist(), cut.tolist()):
            last = len(STAGE_NAMES) if c < 0 else c
            kept = [n for n in STAGE_NAMES[1:last] if n in active]
            out.append({"token": tid, "p_model": p, "kept_by": kept})
        return out

    def forced(self, token: int, piece: bytes, settings: SamplerSettings) -> StepTrace:
        """This step with ``token`` chosen instead (a branch): same model distribution.

        ``p_sample`` is exact when the trace has its recorded cuts (the final distribution
        is known up to one factor, fixed by the drawn token's ``p_sample``); otherwise it
        comes from a replay (approximate where the replay is)."""
        where = np.nonzero(self.cand_ids == token)[0]
        if where.size == 0:
            raise ValueError("that token is not among the stored candidates")
        i = int(where[0])
        if self.cand_cut is not None:
            p_sample = self._recorded_final_p(i, settings)
        else:
            final = self.replay(settings).final
            in_final = np.nonzero(final.ids == token)[0]
            p_sample = float(final.probs()[in_final[0]]) if in_final.size else 0.0
        logit = float(self.cand_logits[i])
        return replace(
            self, token=token, piece=piece, p_model=math.exp(logit - self.lse),
            p_sample=p_sample, rank=i + 1, logit=logit, seconds=0.0,
        )

    def _recorded_final_p(self, i: int, settings: SamplerSettings) -> float:
        assert self.cand_cut is not None
        if self.cand_cut[i] != -1:
            return 0.0
        if settings.temperature <= 0.0:
            return 1.0
        pair = Candidates(
            np.array([self.cand_ids[i], self.token], np.int32),
            np.array([self.cand_logits[i], self.logit], np.float32),
        )
        counts = history_counts(self.history.tolist(), settings.repeat_last_n)
        mine, drawn = penalties(pair, settings, counts).logits.astype(np.float64)
        return self.p_sample * math.exp((mine - drawn) / settings.temperature)

    # --- compact serialisation -----------------------------------------------------

    _HEAD = struct.Struct("<BIIiffffffdHHH")
    #: 2 adds the recorded cuts (one int8 per candidate) at the end; 3 numbers them by
    #: today's STAGE_NAMES (2 by CLASSIC_STAGE_NAMES)
    _VERSION = 3

    def to_bytes(self) -> bytes:
        k, h = len(self.cand_ids), len(self.history)
        head = self._HEAD.pack(
            self._VERSION, self.index, self.position, self.token, self.p_model,
            self.p_sample, float(self.rank), self.entropy, self.lse, self.logit,
            self.seconds, len(self.piece), k, h,
        )
        return b"".join(
            (
                head,
                self.piece,
                self.cand_ids.astype("<i4").tobytes(),
                self.cand_logits.astype("<f4").tobytes(),
                self.history.astype("<i4").tobytes(),
                b"\x00" if self.cand_cut is None
                else b"\x01" + self.cand_cut.astype("i1").tobytes(),
                _notes_bytes(self.notes),
            )
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> StepTrace:
        head = cls._HEAD.unpack_from(data)
        version, index, position, token, p_model, p_sample, rank, entropy, lse, logit = head[:10]
        seconds, n_piece, k, h = head[10:]
        if version not in (1, 2, cls._VERSION):
            raise ValueError(f"unknown trace format version {version}")
        o = cls._HEAD.size
        piece = bytes(data[o : o + n_piece])
        o += n_piece
        ids = np.frombuffer(data, "<i4", k, o).astype(np.int32)
        o += 4 * k
        logits = np.frombuffer(data, "<f4", k, o).astype(np.float32)
        o += 4 * k
        history = np.frombuffer(data, "<i4", h, o).astype(np.int32)
        o += 4 * h
        cut = None
        if version == 2 and len(data) >= o + k:
            cut = _CLASSIC_TO_NOW[np.frombuffer(data, "i1", k, o)]
        notes = None
        if version >= 3:
            has_cut = data[o]
            o += 1
            if has_cut:
                cut = np.frombuffer(data, "i1", k, o).astype(np.int8)
                o += k
            (n_notes,) = struct.unpack_from("<I", data, o)
            if n_notes:
                notes = json.loads(bytes(data[o + 4 : o + 4 + n_notes]).decode("utf-8"))
        return cls(
            index, position, token, piece, p_model, p_sample, round(rank), entropy, lse,
            logit, ids, logits, history, seconds, cut, notes,
        )

    def to_json(
        self, settings: SamplerSettings, piece_of: Any = None, n: int = TOP_N
    ) -> dict[str, Any]:
        """The CLI ``--trace`` object (one JSON Lines row). ``piece_of(id) -> bytes`` names
        the candidates; without it their ``text`` is omitted."""
        top = self.top(settings, n)
        if piece_of is not None:
            for t in top:
                t["text"] = piece_text(piece_of(t["token"]))
        return {
            "index": self.index,
            "position": self.position,
            "token": self.token,
            "text": self.text,
            "p_model": self.p_model,
            "p_sample": self.p_sample,
            "rank": self.rank,
            "entropy": self.entropy,
            "entropy_unit": "bits",
            "top": top,
            **({"samplers": self.notes} if self.notes else {}),
        }

