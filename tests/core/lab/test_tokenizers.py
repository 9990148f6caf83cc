"""Tokenizer lab: counts, a SentencePiece model trained on the spot, the English/Chinese
table."""

from __future__ import annotations

import json
import threading

import pytest

from desktop.core.errors import TokenscopeError
from desktop.core.lab.common import Cancelled, lab_text
from desktop.core.lab.tokenizers import (
    TokenizersResult,
    corpus_texts,
    count_words,
    model_tokenization,
    run_tokenizers,
    train_spm,
)


def test_words_are_latin_runs_or_single_ideographs() -> None:
    assert count_words("Hello, world! It's 2024.") == 4
    assert count_words("你好，世界") == 4
    assert count_words("GPU很快") == 3


def test_model_tokens(tiny_engine) -> None:
    t = model_tokenization(tiny_engine, "Hello world 你好")
    assert t.tokens == len(tiny_engine.tokenize("Hello world 你好", special=False))
    assert len(t.pieces) == t.tokens and t.chars == 14
    assert t.chars_per_token == pytest.approx(14 / t.tokens)


def test_trained_tokenizer_and_the_unfairness_table(tiny_engine) -> None:
    text = lab_text("sample_en.txt")
    r = run_tokenizers(tiny_engine, text, vocab_size=1000, model_type="unigram")
    assert r.spm_vocab_size_actual <= 1000
    _model, spm = r.tokenizations
    assert spm.tokens == len(spm.pieces) and spm.chars == len(text)
    assert len(r.unfairness) == 8
    for a, b in zip(r.unfairness[::2], r.unfairness[1::2]):
        assert (a["lang"], b["lang"]) == ("en", "zh")
        assert a["ratio_zh_en"] == pytest.approx(b["tokens"] / a["tokens"])
    assert not any(row["in_corpus"] for row in r.unfairness if row["pair"] == "sample")
    back = TokenizersResult.from_dict(json.loads(json.dumps(r.to_dict())))
    assert back.rows() == r.rows()


def test_corpus_errors_and_cancel(tmp_path) -> None:
    with pytest.raises(TokenscopeError):
        corpus_texts(tmp_path / "missing")
    with pytest.raises(TokenscopeError):
        corpus_texts(tmp_path)
    (tmp_path / "a.txt").write_text("one two three\nfour five six\n" * 50, encoding="utf-8")
    assert corpus_texts(tmp_path) == [(tmp_path / "a.txt").read_text(encoding="utf-8")]
    with pytest.raises(TokenscopeError, match="larger vocabulary"):
        train_spm(corpus_texts(), 300)
    stop = threading.Event()
    stop.set()
    with pytest.raises(Cancelled):
        train_spm(corpus_texts(), 1000, cancel=stop)


@pytest.mark.slow
def test_smollm2_spends_more_tokens_on_chinese(smol_engine) -> None:
    en = model_tokenization(smol_engine, lab_text("sample_en.txt"))
    zh = model_tokenization(smol_engine, lab_text("sample_zh.txt"))
    assert en.chars_per_token > 3 > 1 > zh.chars_per_token
