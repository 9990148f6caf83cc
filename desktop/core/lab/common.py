"""What every lab experiment shares: progress with an ETA, cancellation, the ranges of
its numeric settings, the model's chat prompt as tokens, and log-probabilities.

Only the engine's public API is used (``eval_prompt`` with KV-cache prefix reuse,
``eval_token``, ``logits``, ``tokenize``, ``piece``, ``n_ctx``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from ..chat import Message, RenderedPrompt
from ..engine import Engine
from ..errors import TokenscopeError
from ..limits import Limit, SettingsError
from ..prompt import tokenize_prompt


class Cancelled(TokenscopeError):
    """The experiment was cancelled; nothing was computed past that point."""

    def __init__(self, what: str = "The experiment") -> None:
        super().__init__(f"{what} was cancelled.")


class CancelFlag(Protocol):
    """Anything with ``is_set()`` (a ``threading.Event``)."""

    def is_set(self) -> bool: ...


@dataclass(frozen=True)
class ProgressInfo:
    done: int  #: units of work finished (cells, nodes, repetitions, …)
    total: int
    elapsed: float  #: seconds since the start
    eta: float | None  #: seconds left, extrapolated from the rate so far (None: unknown)
    what: str = ""

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


ProgressFn = Callable[[ProgressInfo], None]


class Progress:
    """Counts finished work, reports it with an ETA, and raises ``Cancelled`` when asked.

    The ETA is ``elapsed / weight_done * weight_left``: each unit may carry a weight (e.g.
    the tokens a needle cell evaluates), so a long cell counts for more."""

    def __init__(
        self, total: int, report: ProgressFn | None = None, cancel: CancelFlag | None = None,
        what: str = "",
    ) -> None:
        self.total = total
        self.report = report
        self.cancel = cancel
        self.what = what
        self.done = 0
        self._w_done = 0.0
        self._w_total = float(total)
        self._t0 = time.monotonic()

    def set_weights(self, total: float) -> None:
        self._w_total = max(total, 1e-9)

    def check(self) -> None:
        """Raise ``Cancelled`` if cancel was asked for."""
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled()

    def step(self, n: int = 1, weight: float | None = None) -> None:
        self.done += n
        self._w_done += float(n) if weight is None else weight
        if self.report is not None:
            self.report(self.info())
        self.check()

    def info(self) -> ProgressInfo:
        elapsed = time.monotonic() - self._t0
        eta = None
        if self._w_done > 0:
            eta = max(0.0, elapsed / self._w_done * (self._w_total - self._w_done))
        return ProgressInfo(self.done, self.total, elapsed, eta, self.what)


def format_eta(seconds: float | None) -> str:
    if seconds is None:
        return "…"
    s = round(seconds)
    return f"{s // 60}:{s % 60:02d}" if s >= 60 else f"{s} s"


# --- settings ranges -------------------------------------------------------------------

#: The lab's numeric settings (same rules as ``limits.LIMITS``; kept here, not in its table).
LAB_LIMITS: dict[str, Limit] = {
    "length": Limit(16, 10_000_000, integer=True, note="tokens of filler"),
    "depth": Limit(0.0, 100.0, note="percent of the filler before the needle"),
    "max_k": Limit(0, 256, integer=True),
    "samples": Limit(0, 100_000, integer=True, note="0 = none"),
    "vocab_size": Limit(32, 1_000_000, integer=True),
    "lab_temperature": Limit(0.0, 100.0, note="0 = greedy"),
    "max_tokens": Limit(1, 10_000, integer=True),
}


def check(name: str, value: float) -> float:
    """``value`` if allowed for lab setting ``name``; raises ``limits.SettingsError``."""
    lim = LAB_LIMITS[name]
    bad = isinstance(value, bool) or not isinstance(value, (int, float))
    if not bad:
        bad = (math.isnan(value) or math.isinf(value)
               or (lim.integer and value != int(value))
               or value < lim.low or value > lim.high)
    if bad:
        raise SettingsError(f"{name} must be {lim.describe()}, not {value!r}")
    return value


def parse(name: str, text: str) -> float:
    lim = LAB_LIMITS[name]
    try:
        value: float = int(text) if lim.integer else float(text)
    except ValueError:
        raise SettingsError(f"{name} must be {lim.describe()}, not {text!r}") from None
    return check(name, value)


# --- bundled texts ---------------------------------------------------------------------


def lab_text(name: str) -> str:
    """A bundled text from ``resources/lab`` (e.g. ``"haystack_en.txt"``)."""
    from ...resources import resource_path

    path: Path = resource_path("lab", name)
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TokenscopeError(
            f"The bundled lab text {name} is missing ({exc}). Reinstall Tokenscope."
        ) from exc


# --- prompts and probabilities ---------------------------------------------------------


def template_for(engine: Engine) -> Any:
    from ..session import template_for as tf

    return tf(engine)


def chat_frame(engine: Engine, system: str | None = None) -> tuple[list[int], list[int]]:
    """The chat template's tokens before and after one user message's content.

    ``head`` starts with BOS where the model adds it and ends where the user's text begins;
    ``tail`` closes the user turn and opens the assistant's. Typed text placed between
    them is tokenized as text (``special=False``), as ``prompt.tokenize_prompt`` does."""
    marker = "\ue000lab\ue001"
    msgs = ([Message("system", system)] if system else []) + [Message("user", marker)]
    rendered = template_for(engine).render_prompt(msgs)
    a = rendered.text.index(marker)
    b = a + len(marker)
    bos = engine.bos_id if engine.add_bos else None
    head = tokenize_prompt(engine, RenderedPrompt(rendered.text[:a]), bos)
    tail_text = rendered.text[b:]
    tail = tokenize_prompt(engine, RenderedPrompt(tail_text), None) if tail_text else []
    return head, tail


def chat_prompt(engine: Engine, user_text: str, system: str | None = None) -> list[int]:
    """The whole prompt for one user message, ending with the assistant's turn opened."""
    msgs = ([Message("system", system)] if system else []) + [Message("user", user_text)]
    rendered = template_for(engine).render_prompt(msgs)
    return tokenize_prompt(engine, rendered, engine.bos_id if engine.add_bos else None)


def continuation_tokens(engine: Engine, before: str, text: str) -> list[int]:
    """The tokens of ``text`` as they come right after ``before`` (typed text, no specials).

    ``tokenize(before + text)`` minus the tokens of ``before`` when that is a clean split;
    else ``text`` tokenized alone."""
    whole = engine.tokenize(before + text, special=False)
    head = engine.tokenize(before, special=False)
    if head and whole[: len(head)] == head and len(whole) > len(head):
        return whole[len(head):]
    return engine.tokenize(text, special=False)


def eval_checked(
    engine: Engine, tokens: list[int], check: Callable[[], None], chunk: int = 256
) -> None:
    """``engine.eval_prompt(tokens)`` in pieces of ``chunk`` new tokens, calling ``check``
    (which may raise ``Cancelled``) between them: a long prompt can be cancelled midway.
    Each piece extends the cached prefix, so the cache ends holding ``tokens`` as one
    ``eval_prompt`` would (llama.cpp evaluates in batches either way)."""
    end = engine.common_prefix(tokens) + chunk
    while end < len(tokens):
        check()
        engine.eval_prompt(tokens[:end])
        end += chunk
    check()
    engine.eval_prompt(tokens)


def log_softmax_at(logits: npt.NDArray[np.float32], ids: Sequence[int] | int) -> Any:
    """Natural-log probabilities (nats) of ``ids`` under softmax(``logits``), computed in
    float64 with a stable log-sum-exp."""
    x = logits.astype(np.float64, copy=False)
    top = float(x.max())
    lse = top + math.log(float(np.exp(x - top).sum()))
    if isinstance(ids, int):
        return float(x[ids]) - lse
    return x[np.asarray(ids, dtype=np.intp)] - lse


def chain_logprobs(
    engine: Engine, prefix: list[int], tokens: list[int],
    adjust: Callable[[npt.NDArray[np.float32], list[int]], npt.NDArray[np.float32]] | None = None,
) -> tuple[list[float], list[bool]]:
    """Teacher-forced: the log-probability (nats) of each of ``tokens`` after ``prefix``,
    and whether each was the argmax (what greedy decoding would pick).

    Evaluates ``prefix`` (reusing the cached prefix) then the tokens one by one, so the KV
    cache ends holding ``prefix + tokens[:-1]``. ``adjust(logits, history)`` may change
    the logits first (e.g. the penalties stage)."""
    engine.eval_prompt(prefix)
    history = list(prefix)
    out: list[float] = []
    best: list[bool] = []
    for i, t in enumerate(tokens):
        x = engine.logits()
        if adjust is not None:
            x = adjust(x, history)
        out.append(float(log_softmax_at(x, t)))
        best.append(int(np.argmax(x)) == t)
        history.append(t)
        if i + 1 < len(tokens):
            engine.eval_token(t)
    return out, best


def to_csv(rows: Sequence[dict[str, Any]]) -> str:
    """Rows (dicts with the same keys) as CSV text with a header line."""
    import csv
    import io

    buf = io.StringIO()
    if rows:
        w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return buf.getvalue()


def text_of(engine: Engine, tokens: Sequence[int]) -> str:
    return engine.detokenize(list(tokens)).decode("utf-8", "replace")
