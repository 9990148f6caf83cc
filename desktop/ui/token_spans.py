"""A reply's tokens as coloured, clickable spans for the chat's heat mode.

A token can be part of a UTF-8 character (a byte-fallback token, or one byte of a Chinese
character in a byte-level BPE vocabulary). Such tokens are grouped with their neighbours
until the bytes decode, so the chat never shows a broken character: the span shows the
character, its colour is the group's joint probability, and its tooltip lists each token
with its raw bytes (e.g. ``<0xE4>``).
"""

from __future__ import annotations

import codecs
import html
import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication

from desktop.core.trace import StepTrace  # also registers the tokenscope-hex codec handler
from desktop.ui.heat import entropy_color, prob_color

#: href scheme of token anchors: ``tok:<node_id>:<index>``
SCHEME = "tok"
#: Text colour on heat backgrounds (they are all light).
INK = "#1b1b1b"


@dataclass
class Span:
    start: int  #: index (into the reply's traces) of the first token of the group
    end: int  #: one past the last
    text: str  #: what the group reads as (complete characters only)
    p_model: float  #: joint probability of the group's tokens under the model
    entropy: float  #: the highest entropy among the group's steps (bits)
    special: bool = False  #: a control token such as <|im_end|>

    @property
    def size(self) -> int:
        return self.end - self.start


def group_traces(
    traces: Sequence[StepTrace], is_special: Callable[[int], bool] | None = None
) -> list[Span]:
    """Group consecutive tokens whose bytes only decode together."""
    spans: list[Span] = []
    # bytes that never form a character are shown as <0xNN>, as the token views do
    decoder = codecs.getincrementaldecoder("utf-8")(errors="tokenscope-hex")
    start, text = 0, ""

    def close(end: int) -> None:
        nonlocal start, text
        if end > start:
            group = traces[start:end]
            spans.append(
                Span(start, end, text, math.prod(t.p_model for t in group),
                     max(t.entropy for t in group))
            )
        start, text = end, ""

    for i, trace in enumerate(traces):
        if is_special is not None and is_special(trace.token):
            text += decoder.decode(b"", final=True)
            decoder.reset()
            close(i)
            spans.append(Span(i, i + 1, trace.text, trace.p_model, trace.entropy, special=True))
            start = i + 1
            continue
        text += decoder.decode(trace.piece)
        if not decoder.getstate()[0]:
            close(i + 1)
    text += decoder.decode(b"", final=True)
    close(len(traces))
    return spans


def span_color(span: Span, metric: str) -> str:
    color = entropy_color(span.entropy) if metric == "entropy" else prob_color(span.p_model)
    return str(color.name())


def span_at(spans: Sequence[Span], index: int) -> Span | None:
    for span in spans:
        if span.start <= index < span.end:
            return span
    return None


def _printable(text: str) -> str:
    """Control characters (other than newline and tab) as <0xNN>: they have no glyph."""
    if text.isprintable() or not any(unicodedata.category(c) == "Cc" for c in text):
        return text
    return "".join(
        f"<0x{ord(c):02X}>" if unicodedata.category(c) == "Cc" and c not in "\n\t" else c
        for c in text
    )


def _visible(text: str) -> str:
    """Whitespace made visible for tooltips."""
    return _printable(text).replace(" ", "␣").replace("\n", "↵").replace("\t", "⇥") or "∅"


def _anchors(node_id: int, spans: Sequence[Span], metric: str, selected: int | None) -> str:
    parts = []
    for span in spans:
        style = f"color:{INK}; text-decoration:none; background-color:{span_color(span, metric)};"
        if selected is not None and span.start <= selected < span.end:
            style += " font-weight:bold; text-decoration:underline;"
        if span.special:
            style += " font-size:small;"
        # a line break is a token too: "↵" shows it (and can be hovered and clicked)
        text = html.escape(_printable(span.text)).replace("\n", "↵\n")
        parts.append(f'<a href="{SCHEME}:{node_id}:{span.start}" style="{style}">{text}</a>')
    return "".join(parts)


def heat_html(
    node_id: int,
    spans: Sequence[Span],
    metric: str,
    selected: int | None = None,
    cursor: str = "",
) -> str:
    """The reply as HTML: one anchor per span, coloured by ``metric``."""
    body = _anchors(node_id, spans, metric, selected) + html.escape(cursor)
    return f'<p style="white-space:pre-wrap; margin:0;">{body}</p>'


def spans_fragment(
    node_id: int,
    spans: Sequence[Span],
    metric: str,
    selected: int | None = None,
    cursor: str = "",
) -> str:
    """Spans to append to a heat document with ``QTextCursor.insertHtml``."""
    body = _anchors(node_id, spans, metric, selected) + html.escape(cursor)
    return f'<span style="white-space:pre-wrap">{body}</span>' if body else ""


def tooltip_html(span: Span, traces: Sequence[StepTrace]) -> str:
    """Hover text for a span: the text, and per token its id, probability, rank, entropy."""

    translate = QCoreApplication.translate
    rows = []
    for trace in traces[span.start : span.end]:
        remote = bool(getattr(trace, "remote", False))  # a server's: no id, entropy estimated
        rows.append(
            "<tr>"
            f"<td><code>{html.escape(_visible(trace.text))}</code></td>"
            f"<td align='right'>{'–' if remote else trace.token}</td>"
            f"<td align='right'>{trace.p_model * 100:.1f}%</td>"
            f"<td align='right'>{trace.rank}</td>"
            f"<td align='right'>{'≈' if remote else ''}{trace.entropy:.2f}</td>"
            "</tr>"
        )
    columns = [
        translate("TokenSpans", "token"),
        translate("TokenSpans", "id"),
        translate("TokenSpans", "probability"),
        translate("TokenSpans", "rank"),
        translate("TokenSpans", "entropy (bits)"),
    ]
    head = "<tr>" + "".join(f"<th>{c}</th>" for c in columns) + "</tr>"
    title = f"<b>{html.escape(_visible(span.text))}</b>"
    note = ""
    if span.size > 1:
        note = "<br>" + translate(
            "TokenSpans",
            "%n tokens make up this text together; their joint probability is %1.",
            "",
            span.size,
        ).replace("%1", f"{span.p_model * 100:.1f}%")
    hint = "<br><i>" + translate("TokenSpans", "Click to inspect the candidates.") + "</i>"
    return f"{title}{note}<table cellspacing='4'>{head}{''.join(rows)}</table>{hint}"
