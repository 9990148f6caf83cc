"""Heat mode's token spans: tokens that are parts of one character are shown together."""

from __future__ import annotations

import numpy as np
import pytest

from desktop.core.trace import StepTrace
from desktop.ui.heat import prob_color
from desktop.ui.token_spans import group_traces, heat_html, span_at, tooltip_html


def trace(index: int, piece: bytes, p: float = 0.5, token: int | None = None) -> StepTrace:
    return StepTrace(
        index=index, position=10 + index, token=token if token is not None else 100 + index,
        piece=piece, p_model=p, p_sample=p, rank=1, entropy=1.5, lse=0.0, logit=0.0,
        cand_ids=np.array([100 + index], dtype=np.int32),
        cand_logits=np.array([0.0], dtype=np.float32), history=np.array([], dtype=np.int32),
    )


def test_whole_tokens_are_one_span_each() -> None:
    spans = group_traces([trace(0, b"Hello"), trace(1, b" world"), trace(2, b"!")])
    assert [(s.start, s.end, s.text) for s in spans] == [
        (0, 1, "Hello"), (1, 2, " world"), (2, 3, "!"),
    ]


def test_byte_tokens_of_one_chinese_character_are_grouped() -> None:
    # 你 is E4 BD A0: three byte-fallback tokens; 好 comes whole
    traces = [trace(0, b"\xe4", 0.5), trace(1, b"\xbd", 0.8), trace(2, b"\xa0", 1.0),
              trace(3, "好".encode())]
    spans = group_traces(traces)
    assert [(s.start, s.end, s.text) for s in spans] == [(0, 3, "你"), (3, 4, "好")]
    assert spans[0].p_model == pytest.approx(0.4)  # the joint probability
    assert "�" not in "".join(s.text for s in spans)


def test_a_token_ending_in_half_a_character_joins_the_next() -> None:
    # "a" + first byte of 你, then the rest of 你 + "b"
    spans = group_traces([trace(0, b"a\xe4"), trace(1, b"\xbd\xa0b"), trace(2, b"c")])
    assert [(s.start, s.end, s.text) for s in spans] == [(0, 2, "a你b"), (2, 3, "c")]
    assert span_at(spans, 1) is spans[0]


def test_bytes_that_never_decode_are_shown_as_hex() -> None:
    spans = group_traces([trace(0, b"\xe4"), trace(1, b"x")])
    assert "".join(s.text for s in spans) == "<0xE4>x"


def test_special_tokens_are_their_own_span() -> None:
    spans = group_traces([trace(0, b"Hi"), trace(1, b"<|im_end|>", token=2)],
                         is_special=lambda t: t == 2)
    assert spans[-1].special and spans[-1].text == "<|im_end|>"


def test_heat_html_has_an_anchor_and_a_colour_per_span() -> None:
    traces = [trace(0, b"A", 0.9), trace(1, b"\n", 0.1), trace(2, b"<b>", 0.3)]
    spans = group_traces(traces)
    html = heat_html(7, spans, "probability", selected=2)
    for span in spans:
        assert f'href="tok:7:{span.start}"' in html
        assert prob_color(span.p_model).name() in html
    assert "&lt;b&gt;" in html  # token text is escaped
    assert "underline" in html  # the selected token is marked
    tip = tooltip_html(spans[0], traces)
    assert "90.0%" in tip and "100" in tip  # probability and token id
