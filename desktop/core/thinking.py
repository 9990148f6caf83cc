"""Thinking blocks: replies that think out loud between ``<think>`` and ``</think>`` (Qwen3,
DeepSeek-R1 distills; the markers are configurable).

``token_phases`` labels each token of a reply ``"think"``, ``"marker"`` or ``"answer"``,
whatever way the markers were tokenized (one special token, or several text pieces split
anywhere); a reply whose prompt already opened the block (templates that end the
generation prompt with ``<think>\\n``) starts in ``"think"``. ``ThinkingBudget`` counts the
thinking tokens while a reply streams and says when to close the block.
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from dataclasses import dataclass

THINK = "think"
MARKER = "marker"
ANSWER = "answer"


@dataclass(frozen=True)
class Markers:
    open: str = "<think>"
    close: str = "</think>"


def opens_thinking(prompt_text: str, markers: Markers = Markers()) -> bool:
    """Whether ``prompt_text`` ends inside an open thinking block (the reply starts there)."""
    i = prompt_text.rfind(markers.open)
    return i >= 0 and prompt_text.find(markers.close, i) < 0


def token_phases(
    pieces: Sequence[bytes], markers: Markers = Markers(), starts_inside: bool = False
) -> list[str]:
    """Per token: ``THINK`` inside a block, ``MARKER`` for tokens that spell a marker (even
    partly), ``ANSWER`` otherwise. Text is decoded as a stream, so markers split across
    tokens (or bytes of one character split across tokens) are found."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    text, ends = "", []
    for p in pieces:
        text += decoder.decode(p)
        ends.append(len(text))
    text += decoder.decode(b"", final=True)
    # character ranges of the markers, and which characters are inside a block
    kind = [THINK if starts_inside else ANSWER] * len(text)
    inside, pos = starts_inside, 0
    while pos < len(text):
        marker = markers.close if inside else markers.open
        i = text.find(marker, pos)
        if i < 0:
            for j in range(pos, len(text)):
                kind[j] = THINK if inside else ANSWER
            break
        for j in range(pos, i):
            kind[j] = THINK if inside else ANSWER
        for j in range(i, i + len(marker)):
            kind[j] = MARKER
        inside, pos = not inside, i + len(marker)
    out, start = [], 0
    for end in ends:
        # a token holding only part of a character belongs to the character it starts
        span = kind[start:end] or kind[start:start + 1] or [
            THINK if _inside_at(kind, start, starts_inside) else ANSWER]
        out.append(MARKER if MARKER in span else span[0])
        start = end
    return out


def _inside_at(kind: list[str], pos: int, starts_inside: bool) -> bool:
    for j in range(min(pos, len(kind)) - 1, -1, -1):
        if kind[j] != MARKER:
            return kind[j] == THINK
    return starts_inside


def split_thinking(text: str, markers: Markers = Markers(),
                   starts_inside: bool = False) -> tuple[str, str]:
    """(thinking, answer) of a reply's text; thinking is "" when there is none."""
    if starts_inside:
        text = markers.open + text
    i = text.find(markers.open)
    if i < 0:
        return "", text
    j = text.find(markers.close, i)
    if j < 0:
        return text[i + len(markers.open):], text[:i]
    return text[i + len(markers.open): j], text[:i] + text[j + len(markers.close):]


class ThinkingBudget:
    """Counts thinking tokens as they stream; ``over`` once ``budget`` tokens were spent
    inside a block that is still open (then the caller closes it)."""

    def __init__(self, budget: int, markers: Markers = Markers(), starts_inside: bool = False):
        self.budget, self.markers = budget, markers
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._text = markers.open if starts_inside else ""
        self._inside = starts_inside
        self.used = 0

    def feed(self, piece: bytes) -> None:
        self._text += self._decoder.decode(piece)
        now = opens_thinking(self._text, self.markers)
        if self._inside and now:
            self.used += 1
        self._inside = now

    @property
    def inside(self) -> bool:
        return self._inside

    @property
    def over(self) -> bool:
        return self._inside and self.used >= self.budget
