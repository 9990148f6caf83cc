"""Comparing two models: a model against itself gives KL = 0 and full agreement; against a
lower-bit requantized copy of itself KL > 0 and the perplexity rises; different
vocabularies are refused; the quantizer reports progress and can be cancelled."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from desktop.core.compare import CompareResult, VocabularyMismatchError, compare_text
from desktop.core.engine import Engine, LoadOptions
from desktop.core.quantize import QuantizeError, quantize

TEXT = ("Language models assign a probability to every token in the vocabulary. "
        "The capital of France is Paris.")


def test_a_model_against_itself_has_zero_kl(tiny_engine: Engine) -> None:
    r = compare_text(tiny_engine, tiny_engine, TEXT, "batched")
    assert r.rows and r.mean_kl_bits == 0.0 and r.top1_agreement == 1.0
    assert all(x.p_a == x.p_b and x.rank_shift == 0 for x in r.rows)
    assert r.perplexity("a") == r.perplexity("b")
    assert CompareResult.from_json(r.to_json()).summary() == r.summary()


def test_different_vocabularies_are_refused(tiny_engine: Engine, smol_engine: Engine) -> None:
    with pytest.raises(VocabularyMismatchError, match="tokens"):
        compare_text(tiny_engine, smol_engine, TEXT)


@pytest.fixture(scope="module")
def requantized(smollm2: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    seen: list[tuple[int, int]] = []
    out = quantize(smollm2, tmp_path_factory.mktemp("q") / "smol-Q3_K_S.gguf", "Q3_K_S",
                   threads=2, progress=lambda d, n: seen.append((d, n)))
    assert seen and seen[-1][0] == seen[-1][1] and len(seen) == seen[-1][1]
    return out


@pytest.mark.slow
def test_smollm2_against_its_requantized_copy(smol_engine: Engine, requantized: Path) -> None:
    with Engine(requantized, LoadOptions(n_ctx=2048, n_threads=2)) as b:
        r = compare_text(smol_engine, b, TEXT, "batched")
        assert r.mean_kl_bits > 0.01
        assert r.top1_agreement < 1.0
        assert r.perplexity("b") > r.perplexity("a")
        exact = compare_text(smol_engine, b, TEXT, "exact")
        assert exact.mean_kl_bits > 0.01
        assert [x.token for x in exact.rows] == [x.token for x in r.rows]


def test_quantize_can_be_cancelled_and_refuses_bad_requests(tiny_model: Path,
                                                             tmp_path: Path) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(QuantizeError, match="cancelled"):
        quantize(tiny_model, tmp_path / "x.gguf", "Q8_0", cancel=cancel)
    assert not (tmp_path / "x.gguf").exists() and not (tmp_path / "x.gguf.part").exists()
    with pytest.raises(QuantizeError, match="Unknown"):
        quantize(tiny_model, tmp_path / "y.gguf", "Q9_X")
    with pytest.raises(QuantizeError, match="overwrite"):
        quantize(tiny_model, tiny_model, "Q8_0")


def test_quantize_in_process_as_a_bundled_app_does(tiny_model: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setattr(sys, "frozen", True, raising=False)  # what PyInstaller sets
    seen: list[tuple[int, int]] = []
    out = quantize(tiny_model, tmp_path / "t.gguf", "Q8_0",
                   progress=lambda d, n: seen.append((d, n)))
    assert out.is_file() and seen == [(0, 1), (1, 1)]
    with Engine(out, LoadOptions(n_ctx=128, n_threads=1)) as e:
        assert e.n_vocab > 0
