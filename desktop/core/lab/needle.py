"""Needle in a haystack (大海捞针): can the model find one fact hidden in a long text?

A needle sentence ("The magic number is 4729.") is put at depth d (0–100 % of the filler)
into L tokens of bundled filler text, the model is asked for it, and each cell of the
lengths × depths grid is scored two ways:

* ``p_answer``: the probability the model gives to the answer's tokens, teacher-forced
  after the assistant's opening words (``exp`` of the summed log-probabilities, full
  softmax at temperature 1, evaluated token by token);
* ``greedy``: whether every answer token is the argmax at its step — exactly when greedy
  decoding from the same opening would write the answer's tokens.

The prompt is built from tokens, not text, so its layout is exact: chat template head,
``filler[:pos]``, needle, ``filler[pos:L]``, question, template tail, the opening words.
``pos`` is the sentence boundary of the filler nearest to ``d × L`` (a needle never
splits a sentence). Cells are run in decreasing ``pos``, so each one reuses the KV cache
of everything before its needle (``Engine.eval_prompt``'s prefix reuse: exact, the same
tokens at the same positions). The filler repeats when a length needs more text than the
bundled file has.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from ..engine import Engine
from ..errors import ContextOverflowError, TokenscopeError
from .common import (
    CancelFlag,
    Progress,
    ProgressFn,
    chain_logprobs,
    chat_frame,
    check,
    continuation_tokens,
    eval_checked,
    lab_text,
)

KIND = "lab.needle"
SENTENCE_ENDS = (".", "!", "?", "。", "！", "？", ".\n", "\n")


@dataclass(frozen=True)
class Needle:
    needle: str  #: the sentence hidden in the filler
    question: str  #: asked after the filler
    opening: str  #: the assistant's first words, before the answer
    answer: str  #: scored right after ``opening``
    sep: str  #: what comes before a sentence in the filler's language
    filler: str  #: bundled file name

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


NEEDLES: dict[str, Needle] = {
    "en": Needle("The magic number is 4729.",
                 "What is the magic number mentioned in the text above?",
                 "The magic number is", " 4729", " ", "haystack_en.txt"),
    "zh": Needle("神奇数字是4729。", "上文中提到的神奇数字是多少？",
                 "神奇数字是", "4729", "", "haystack_zh.txt"),
}

DEFAULT_DEPTHS = (0.0, 25.0, 50.0, 75.0, 100.0)


@dataclass
class NeedleCell:
    length: int  #: filler tokens
    depth: float  #: requested depth, percent
    pos: int  #: filler tokens before the needle (a sentence boundary)
    offset: int  #: the needle's first token's index in the prompt
    n_prompt: int  #: prompt tokens (up to the answer)
    logprob: float  #: summed log-probability of the answer tokens, nats
    p_answer: float  #: exp(logprob)
    greedy: bool  #: every answer token was the argmax
    seconds: float  #: wall time of this cell (with KV reuse)


@dataclass
class NeedleResult:
    model: str
    lang: str
    needle: Needle
    lengths: list[int]
    depths: list[float]
    cells: list[NeedleCell] = field(default_factory=list)
    n_ctx: int = 0
    seconds: float = 0.0
    filler_tokens: int = 0  #: tokens in one copy of the bundled filler

    def cell(self, length: int, depth: float) -> NeedleCell:
        for c in self.cells:
            if c.length == length and c.depth == depth:
                return c
        raise KeyError((length, depth))

    def grid(self) -> list[list[float]]:
        """``p_answer`` as rows of depths × columns of lengths (NaN where not run)."""
        by = {(c.length, c.depth): c.p_answer for c in self.cells}
        return [[by.get((L, d), math.nan) for L in self.lengths] for d in self.depths]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["kind"] = KIND
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> NeedleResult:
        return cls(
            d["model"], d["lang"], Needle(**d["needle"]), list(d["lengths"]),
            list(d["depths"]), [NeedleCell(**c) for c in d["cells"]], d.get("n_ctx", 0),
            d.get("seconds", 0.0), d.get("filler_tokens", 0),
        )

    def rows(self) -> list[dict[str, Any]]:
        return [asdict(c) for c in self.cells]


class Haystack:
    """The token layout of one needle experiment on one model (see the module doc)."""

    def __init__(self, engine: Engine, needle: Needle, max_length: int) -> None:
        self.engine = engine
        self.needle = needle
        self.head, tail = chat_frame(engine)
        text = lab_text(needle.filler).strip()
        one = engine.tokenize(text, special=False)
        self.filler_tokens = len(one)
        copies = max(1, math.ceil(max_length / max(1, len(one))) + 1)
        joiner = "\n\n"
        self.filler = engine.tokenize(joiner.join([text] * copies), special=False)[:max_length]
        last = text[-1] if text else "."
        self.needle_tokens = continuation_tokens(engine, last, needle.sep + needle.needle)
        self.question_tokens = continuation_tokens(engine, last, "\n\n" + needle.question)
        self.tail = tail + engine.tokenize(needle.opening, special=False)
        self.answer_tokens = continuation_tokens(engine, needle.opening, needle.answer)
        # positions in the filler where a sentence starts
        self.boundaries = [0] + [
            i + 1 for i, t in enumerate(self.filler)
            if engine.piece(t).decode("utf-8", "replace").rstrip(" ").endswith(SENTENCE_ENDS)
        ]

    @property
    def overhead(self) -> int:
        """Prompt tokens besides the filler (plus the answer's)."""
        return (len(self.head) + len(self.needle_tokens) + len(self.question_tokens)
                + len(self.tail) + len(self.answer_tokens))

    def position(self, length: int, depth: float) -> int:
        """The sentence boundary nearest to ``depth`` % of ``length`` (at most ``length``)."""
        target = depth / 100.0 * length
        ok = [b for b in self.boundaries if b <= length] + [length]
        return min(ok, key=lambda b: (abs(b - target), b))

    def prompt(self, length: int, pos: int) -> tuple[list[int], int]:
        """The prompt tokens (up to the answer) and the needle's offset in them."""
        if length > len(self.filler):
            raise ValueError(f"length {length} exceeds the prepared filler")
        f = self.filler
        offset = len(self.head) + pos
        tokens = (self.head + f[:pos] + self.needle_tokens + f[pos:length]
                  + self.question_tokens + self.tail)
        return tokens, offset


DEFAULT_LENGTHS = (256, 512, 1024, 2048)


def default_lengths(engine: Engine, lang: str = "en") -> list[int]:
    """``DEFAULT_LENGTHS`` that fit the context (else the most that fits): a grid that
    finishes in minutes on a small model on 2 CPU threads; ask for longer ones."""
    hay = Haystack(engine, NEEDLES[lang], 0)
    avail = engine.n_ctx - hay.overhead - 1
    if avail < 16:
        raise ContextOverflowError(hay.overhead + 17, engine.n_ctx, "The needle experiment")
    return [L for L in DEFAULT_LENGTHS if avail >= L] or [avail]


def run_needle(
    engine: Engine, lengths: list[int] | None = None, depths: list[float] | None = None,
    lang: str = "en", progress: ProgressFn | None = None, cancel: CancelFlag | None = None,
) -> NeedleResult:
    """Run the grid. ``lengths``: filler tokens (default ``default_lengths``); ``depths``:
    percent (default 0, 25, 50, 75, 100).

    Raises ``ContextOverflowError`` when the longest prompt does not fit ``n_ctx``,
    ``Cancelled`` when ``cancel`` is set, ``limits.SettingsError`` for values out of range.
    """
    if lang not in NEEDLES:
        raise TokenscopeError(f"No needle for language {lang!r}; use one of {sorted(NEEDLES)}.")
    lengths = sorted({int(check("length", L)) for L in (lengths or default_lengths(engine, lang))})
    depths = sorted({float(check("depth", d)) for d in (depths or DEFAULT_DEPTHS)})
    needle = NEEDLES[lang]
    hay = Haystack(engine, needle, max(lengths))
    need = max(lengths) + hay.overhead
    if need >= engine.n_ctx:
        raise ContextOverflowError(need, engine.n_ctx, "The longest needle prompt")
    plan = [(L, d, hay.position(L, d)) for L in lengths for d in depths]
    plan.sort(key=lambda c: (-c[2], c[0], c[1]))  # deepest first: each reuses its prefix
    prog = Progress(len(plan), progress, cancel, "needle")
    prog.set_weights(sum(L - p + hay.overhead for L, _, p in plan) + (plan[0][2] if plan else 0))
    result = NeedleResult(engine.name, lang, needle, lengths, depths, n_ctx=engine.n_ctx,
                          filler_tokens=hay.filler_tokens)
    t_start = time.perf_counter()
    prev_pos: int | None = None
    for L, d, pos in plan:
        prog.check()
        t0 = time.perf_counter()
        tokens, offset = hay.prompt(L, pos)
        eval_checked(engine, tokens, prog.check)
        logps, best = chain_logprobs(engine, tokens, hay.answer_tokens)
        lp = sum(logps)
        result.cells.append(NeedleCell(
            L, d, pos, offset, len(tokens), lp, math.exp(lp), all(best),
            time.perf_counter() - t0,
        ))
        weight = L - pos + hay.overhead + (pos if prev_pos is None else 0)
        prev_pos = pos
        prog.step(weight=weight)
    result.cells.sort(key=lambda c: (c.length, c.depth))
    result.seconds = time.perf_counter() - t_start
    return result
