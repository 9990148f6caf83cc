"""Generation: prompt tokens in, a stream of traced tokens out.

``generate`` is a plain iterator of events, cancellable from another thread: the UI's
worker and the CLI both just loop over it.
"""

from __future__ import annotations

import codecs
import contextlib
import math
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .candidates import lse_entropy
from .engine import Engine, EvalStats
from .replay import STORED_CANDIDATES
from .sampling import (
    Candidates,
    ChainResult,
    ChainState,
    SamplerSettings,
    draw,
    final_and_cuts,
    history_counts,
    run_chain,
    top_indices,
)
from .thinking import ThinkingBudget
from .trace import StepTrace

#: Evaluate the chosen token on a helper thread while its event is handled (the consumer's
#: work -- UI signals, saving -- overlaps llama.cpp's decode). False: strictly in turn.
#: None: only when the machine has a core to spare beyond llama.cpp's threads (on 2 cores
#: running 2 threads the hand-over cost ~8% of Gemma 3 270M's speed; measured 2026-11-30).
OVERLAP_DECODE: bool | None = None


@dataclass
class PromptEvent:
    stats: EvalStats
    seed: int = 0  #: the seed this reply is drawn with (given, or picked at random)


@dataclass
class TokenEvent:
    trace: StepTrace
    text: str  #: text to append to the reply now (complete characters only; may be "")


@dataclass
class TextEvent:
    """Text held back until the end (a stop-string prefix that was not one)."""

    text: str


@dataclass
class DoneEvent:
    reason: str  #: "eog", "stop", "length", "context" or "cancelled"
    text: str  #: the whole reply text
    traces: list[StepTrace]
    prompt: EvalStats
    seed: int
    first_token_seconds: float  #: from the start to the first sampled token
    gen_seconds: float  #: from the first sampled token to the last

    @property
    def gen_tokens_per_second(self) -> float:
        n = len(self.traces) - 1
        return n / self.gen_seconds if n > 0 and self.gen_seconds > 0 else 0.0


Event = PromptEvent | TokenEvent | TextEvent | DoneEvent


class TextStream:
    """Token bytes in, displayable text out: never a broken character, never a stop string.

    Bytes of a character split across tokens are held until the character is complete
    (UTF-8 incremental decoding); text that could be the start of a stop string is held
    until it is known not to be one.
    """

    def __init__(self, stops: Sequence[str] = ()) -> None:
        self.stops = [s for s in stops if s]
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""
        self.emitted: list[str] = []

    def feed(self, piece: bytes) -> tuple[str, bool]:
        """Returns (text safe to show now, whether a stop string was hit)."""
        self._pending += self._decoder.decode(piece)
        for s in self.stops:
            i = self._pending.find(s)
            if i >= 0:
                return self._emit(self._pending[:i]), True
        hold = 0
        for s in self.stops:
            for n in range(min(len(s) - 1, len(self._pending)), 0, -1):
                if self._pending.endswith(s[:n]):
                    hold = max(hold, n)
                    break
        return self._emit(self._pending[: len(self._pending) - hold], keep=hold), False

    def finish(self) -> str:
        """Whatever text is still held back. The bytes of a character the reply never
        completed (it was stopped mid-character) are dropped: they are not text."""
        return self._emit(self._pending)

    def _emit(self, out: str, keep: int = 0) -> str:
        self._pending = self._pending[len(self._pending) - keep :] if keep else ""
        self.emitted.append(out)
        return out

    @property
    def text(self) -> str:
        return "".join(self.emitted)


def trace_notes(chain: ChainResult, ids: npt.NDArray[np.int32]) -> dict[str, Any] | None:
    """What the stateful stages did at this step, for the trace (JSON-ready): XTC's coin,
    the temperature used (dynamic temperature), mirostat's mu, and DRY's penalties on the
    stored candidates as {token: [repeat length, penalty]}."""
    notes: dict[str, Any] = {}
    for key in ("xtc_applied", "temperature", "mirostat_mu", "grammar_masked"):
        if key in chain.notes:
            notes[key] = chain.notes[key]
    dry = chain.notes.get("dry")
    if dry is not None:  # DRY ran (even if it matched nothing)
        stored = set(ids.tolist())
        notes["dry"] = {str(t): list(v) for t, v in dry.items() if t in stored}
        notes["dry_n_penalised"] = len(dry)
    return notes or None


class Tracer:
    """Turns the engine's current logits into a sampled token and its StepTrace."""

    def __init__(
        self, engine: Engine, settings: SamplerSettings, rng: np.random.Generator,
        seed: int = 0,
    ):
        self.engine = engine
        self.settings = settings
        self.rng = rng
        self.state = ChainState.new(settings, seed, engine.n_vocab)
        if settings.dry_active:
            self.state.breakers = engine.dry_breakers(settings.dry_sequence_breakers)
        if settings.grammar:
            from .grammar import Grammar

            self.state.grammar = Grammar(engine.vocab_handle, settings.grammar)
        dry_n = settings.dry_penalty_last_n
        self._dry_len = engine.n_ctx if dry_n < 0 else dry_n
        self._buf = np.empty(engine.n_vocab, dtype=np.float32)
        self._all_ids = np.arange(engine.n_vocab, dtype=np.int32)
        # the penalties' window: -1 is the whole context (llama.cpp: penalty_last_n = n_ctx)
        last_n = engine.n_ctx if settings.repeat_last_n < 0 else settings.repeat_last_n
        self._history_len = max(64, last_n)
        self._full_chain = (not (0 < settings.top_k <= STORED_CANDIDATES)
                            or bool(settings.modern_active))

    def step(self, index: int, force: int | None = None) -> StepTrace:
        """The next token and its trace; ``force``: take this token instead of drawing one
        (its probabilities are still the model's and the sampler's, 0 if the sampler cut
        it), e.g. to close a thinking block at its budget."""
        s, x, buf = self.settings, self.engine.logits(), self._buf
        llama = self.engine.llama
        n_past = llama.n_tokens
        history = llama.input_ids[max(0, n_past - self._history_len) : n_past].copy()

        # candidates: the top K by raw logit (found in one read of the logits)
        counts = history_counts(history.tolist(), s.repeat_last_n) if s.penalties_active else {}
        k = STORED_CANDIDATES + len(counts)
        idx = top_indices(x, k)
        ids: npt.NDArray[np.int32] = idx[np.argsort(-x[idx], kind="stable")[:k]].astype(np.int32)
        if counts:  # plus every token the penalties touch (all below the top K)
            extra = np.setdiff1d(np.fromiter(counts, dtype=np.int32), ids)
            ids = np.concatenate((ids, extra[np.argsort(-x[extra], kind="stable")]))
        cand_logits = x[ids]
        m = float(cand_logits[0])  # the maximum logit

        # the raw model distribution: log-sum-exp and entropy over the whole vocabulary
        lse, entropy = lse_entropy(x, m, buf)

        notes: dict[str, Any] | None = None
        if self._full_chain:
            if s.dry_active:
                window = llama.input_ids[max(0, n_past - self._dry_len) : n_past]
                self.state.history = window.tolist()
            chain = run_chain(
                Candidates(self._all_ids, x.copy(), by_id=True), s, counts, self.state
            )
            final, cut = chain.final, chain.cut_at(ids)
            notes = trace_notes(chain, ids)
        else:
            chain = None
            final, cut = final_and_cuts(Candidates(ids, cand_logits, sorted=True), s, counts)
        self.last_final = final
        if force is not None:
            token = force
            at = np.flatnonzero(final.ids == token)
            p_sample = float(final.probs()[at[0]]) if at.size else 0.0
            notes = {**(notes or {}), "forced": True}
        elif chain is not None and chain.selected is not None:  # mirostat drew it
            token = int(final.ids[chain.selected])
            p_sample = float(final.probs()[chain.selected])
        else:
            token, p_sample = draw(final, self.rng)
        if self.state.grammar is not None:
            self.state.grammar.accept(token)

        logit = float(x[token])
        where = np.flatnonzero(ids == token)
        rank = int(where[0]) + 1 if where.size else int((x > logit).sum()) + 1
        return StepTrace(
            index=index,
            position=n_past,
            token=token,
            piece=self.engine.piece(token),
            p_model=math.exp(logit - lse),
            p_sample=p_sample,
            rank=rank,
            entropy=entropy,
            lse=lse,
            logit=logit,
            cand_ids=ids,
            cand_logits=cand_logits,
            history=history,
            cand_cut=cut,
            notes=notes,
        )


def generate(
    engine: Engine,
    prompt: list[int],
    settings: SamplerSettings,
    *,
    max_tokens: int = 512,
    stop: Sequence[str] = (),
    cancel: threading.Event | None = None,
    first_index: int = 0,
    thinking: ThinkingBudget | None = None,
) -> Iterator[Event]:
    """Evaluate ``prompt`` (reusing the KV cache) and generate up to ``max_tokens`` tokens.

    Yields one PromptEvent, a TokenEvent per token, then a DoneEvent. Setting ``cancel``
    stops before the next token is computed. ``first_index`` numbers the traces of a reply
    that continues earlier tokens (already at the end of ``prompt``).
    """
    cancel = cancel or threading.Event()
    seed = settings.seed
    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0])
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    stats = engine.eval_prompt(prompt)
    yield PromptEvent(stats, seed)

    overlap = OVERLAP_DECODE if OVERLAP_DECODE is not None else engine.spare_core
    tracer = Tracer(engine, settings, rng, seed)
    stream = TextStream(stop)
    traces: list[StepTrace] = []
    reason = "length"
    t_first = t_prev = time.perf_counter()
    last = first_index + max_tokens - 1
    forced: list[int] = []
    try:
        for index in range(first_index, last + 1):
            if cancel.is_set():
                reason = "cancelled"
                break
            if thinking is not None and not forced and thinking.over:
                forced = engine.tokenize(thinking.markers.close, special=True)
            trace = tracer.step(index, forced.pop(0) if forced else None)
            if thinking is not None:
                thinking.feed(trace.piece)
            now = time.perf_counter()
            trace.seconds = now - t_prev
            t_prev = now
            if index == first_index:
                t_first = now
            traces.append(trace)
            if engine.is_eog(trace.token):
                yield TokenEvent(trace, "")
                reason = "eog"
                break
            text, hit = stream.feed(trace.piece)
            if hit:
                yield TokenEvent(trace, text)
                reason = "stop"
                break
            full = engine.n_past >= engine.n_ctx
            more = index < last and not full and not cancel.is_set()
            if more:
                # the next decode needs only the token: it runs while the event is handled
                if overlap:
                    engine.start_eval_token(trace.token)
                else:
                    engine.eval_token(trace.token)
            yield TokenEvent(trace, text)
            if not more:
                reason = "context" if full and index < last else reason
                if index < last and not full:
                    reason = "cancelled"
                break
            engine.finish_eval()
    finally:
        # when the consumer stopped early: let llama.cpp finish the token it has (a failure
        # is not reported: the engine already forgot that token, and the consumer has gone)
        with contextlib.suppress(RuntimeError):
            engine.finish_eval()

    if reason != "stop":
        tail = stream.finish()
        if tail:
            yield TextEvent(tail)
    yield DoneEvent(
        reason=reason,
        text=stream.text,
        traces=traces,
        prompt=stats,
        seed=seed,
        first_token_seconds=(t_first - t0) if traces else 0.0,
        gen_seconds=t_prev - t_first,
    )
