"""Tokenizer lab: how a text is cut into tokens, by the loaded model and by a
SentencePiece tokenizer trained on the spot, and what the same meaning costs in English
and in Chinese (the "tokenizer unfairness" lesson).

* ``chars/token`` = characters (Unicode code points) ÷ tokens;
* ``tokens/word`` = tokens ÷ words, where a word is a run of letters/digits/apostrophes or
  one CJK ideograph (Chinese is written without spaces, so each character counts as a
  word here: an upper bound on its word count);
* the SentencePiece model is trained with the ``sentencepiece`` package (BPE or unigram,
  byte fallback on, every character of the corpus covered where the vocabulary has room
  (else the rarest fall back to bytes), the vocabulary size a soft
  limit: a small corpus may support fewer pieces — ``vocab_size_actual`` says how many).
  Training cannot be interrupted half-way: cancel takes effect when it returns.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..engine import Engine
from ..errors import TokenscopeError
from .common import CancelFlag, Progress, ProgressFn, check, lab_text

KIND = "lab.tokenizers"
SAMPLES = {"en": "sample_en.txt", "zh": "sample_zh.txt", "code": "sample_code.py"}
#: parallel texts (same meaning), English then Chinese, for the unfairness table
PAIRS = (("sample_en.txt", "sample_zh.txt"), ("haystack_en.txt", "haystack_zh.txt"))
#: the bundled training corpus; the sample pair is held out of it so that its row in the
#: table measures text the tokenizer was not trained on
CORPUS_FILES = ("haystack_en.txt", "haystack_zh.txt", "sample_code.py")
TEXT_SUFFIXES = {".txt", ".md", ".py", ".rst", ".json", ".html", ".c", ".js", ".csv"}
MAX_CORPUS_CHARS = 20_000_000
MODEL_TYPES = ("bpe", "unigram")
_WORD = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[A-Za-z0-9_']+")


def count_words(text: str) -> int:
    return len(_WORD.findall(text))


@dataclass
class Tokenization:
    tokenizer: str  #: "model" or "spm"
    chars: int
    tokens: int
    words: int
    pieces: list[str]  #: each token's text (byte pieces shown as <0xE4>)

    @property
    def chars_per_token(self) -> float:
        return self.chars / self.tokens if self.tokens else 0.0

    @property
    def tokens_per_word(self) -> float:
        return self.tokens / self.words if self.words else 0.0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["chars_per_token"] = self.chars_per_token
        d["tokens_per_word"] = self.tokens_per_word
        return d


def model_tokenization(engine: Engine, text: str) -> Tokenization:
    """The loaded model's tokens of ``text`` (typed text: no special tokens parsed)."""
    ids = engine.tokenize(text, special=False)
    pieces = [_show(engine.piece(t)) for t in ids]
    return Tokenization("model", len(text), len(ids), count_words(text), pieces)


def _show(b: bytes) -> str:
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        return "".join(f"<0x{x:02X}>" for x in b)


class SpmTokenizer:
    """A SentencePiece model trained on the spot (``train_spm``)."""

    def __init__(self, proto: bytes, model_type: str, vocab_size: int, corpus_chars: int):
        import sentencepiece as spm

        self.proto = proto
        self.sp = spm.SentencePieceProcessor(model_proto=proto)
        self.model_type = model_type
        self.vocab_size = vocab_size
        self.corpus_chars = corpus_chars

    @property
    def vocab_size_actual(self) -> int:
        return int(self.sp.get_piece_size())

    def tokenize(self, text: str) -> Tokenization:
        pieces = list(self.sp.encode(text, out_type=str))
        return Tokenization("spm", len(text), len(pieces), count_words(text), pieces)


def corpus_texts(folder: str | Path | None = None) -> list[str]:
    """The bundled texts, or every text file under ``folder`` (recursively, up to
    ``MAX_CORPUS_CHARS``). Raises ``TokenscopeError`` when there is no text."""
    if folder is None:
        return [lab_text(n) for n in CORPUS_FILES]
    root = Path(folder)
    if not root.is_dir():
        raise TokenscopeError(f"{root} is not a folder. Choose a folder of text files.")
    out: list[str] = []
    total = 0
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES:
            try:
                t = p.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            out.append(t[: MAX_CORPUS_CHARS - total])
            total += len(out[-1])
            if total >= MAX_CORPUS_CHARS:
                break
    if not out:
        raise TokenscopeError(
            f"No text files (UTF-8 {', '.join(sorted(TEXT_SUFFIXES))}) under {root}."
        )
    return out


def train_spm(
    texts: list[str], vocab_size: int = 4000, model_type: str = "bpe",
    progress: ProgressFn | None = None, cancel: CancelFlag | None = None,
) -> SpmTokenizer:
    """Train a SentencePiece tokenizer on ``texts`` (one sentence per non-empty line).

    Raises ``TokenscopeError`` when sentencepiece refuses the corpus (its reason
    included), ``Cancelled``, ``limits.SettingsError``."""
    try:
        import sentencepiece as spm
    except ImportError as exc:
        raise TokenscopeError(
            "The tokenizer lab needs the sentencepiece package: pip install sentencepiece"
        ) from exc

    check("vocab_size", vocab_size)
    if model_type not in MODEL_TYPES:
        raise TokenscopeError(f"model type must be one of {', '.join(MODEL_TYPES)}")
    prog = Progress(2, progress, cancel, "train")
    prog.check()
    lines = [ln.strip() for t in texts for ln in t.splitlines() if ln.strip()]
    chars = sum(len(ln) for ln in lines)
    prog.step()
    model = io.BytesIO()
    for coverage in (1.0, 0.9995, 0.995, 0.99, 0.98):  # fewer characters for small vocabs
        model = io.BytesIO()
        try:
            spm.SentencePieceTrainer.train(
                sentence_iterator=iter(lines), model_writer=model, vocab_size=int(vocab_size),
                model_type=model_type, byte_fallback=True, character_coverage=coverage,
                hard_vocab_limit=False, max_sentence_length=1 << 16, minloglevel=2,
            )
            break
        except RuntimeError as exc:
            if "required_chars" in str(exc) and coverage > 0.98:
                continue
            raise TokenscopeError(
                f"SentencePiece could not train on this corpus: {exc}. Choose a larger "
                "vocabulary, or a corpus with fewer distinct characters."
            ) from exc
    tok = SpmTokenizer(model.getvalue(), model_type, int(vocab_size), chars)
    prog.step()
    return tok


@dataclass
class TokenizersResult:
    model: str
    text: str
    spm_type: str
    spm_vocab_size: int
    spm_vocab_size_actual: int
    corpus: str  #: "bundled" or the folder
    corpus_chars: int
    tokenizations: list[Tokenization] = field(default_factory=list)
    #: rows: tokenizer, pair, lang, in_corpus, chars, tokens, chars_per_token, ratio_zh_en
    unfairness: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["tokenizations"] = [t.to_dict() for t in self.tokenizations]
        d["kind"] = KIND
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TokenizersResult:
        toks = [Tokenization(t["tokenizer"], t["chars"], t["tokens"], t["words"],
                             list(t["pieces"])) for t in d["tokenizations"]]
        return cls(d["model"], d["text"], d["spm_type"], d["spm_vocab_size"],
                   d["spm_vocab_size_actual"], d["corpus"], d["corpus_chars"], toks,
                   list(d["unfairness"]), d.get("seconds", 0.0))

    def rows(self) -> list[dict[str, Any]]:
        return list(self.unfairness)


def unfairness(
    counters: dict[str, Callable[[str], int]], in_corpus: bool = True
) -> list[dict[str, Any]]:
    """Tokens for the same meaning in English and Chinese (the bundled parallel texts)
    under each tokenizer; ``ratio_zh_en`` = Chinese tokens ÷ English tokens;
    ``in_corpus``: the trained tokenizer saw this text (``in_corpus`` = the bundled corpus
    was used), so its row flatters it."""
    rows: list[dict[str, Any]] = []
    for name, count in counters.items():
        for en_file, zh_file in PAIRS:
            n = {}
            for lang, f in (("en", en_file), ("zh", zh_file)):
                text = lab_text(f).strip()
                n[lang] = count(text)
                rows.append({"tokenizer": name, "pair": en_file.split("_")[0], "lang": lang,
                             "in_corpus": name != "model" and in_corpus and f in CORPUS_FILES,
                             "chars": len(text), "tokens": n[lang],
                             "chars_per_token": len(text) / n[lang] if n[lang] else 0.0})
            rows[-1]["ratio_zh_en"] = rows[-2]["ratio_zh_en"] = (
                n["zh"] / n["en"] if n["en"] else 0.0)
    return rows


def run_tokenizers(
    engine: Engine | None, text: str, vocab_size: int = 4000, model_type: str = "bpe",
    corpus: str | Path | None = None, progress: ProgressFn | None = None,
    cancel: CancelFlag | None = None,
) -> TokenizersResult:
    """Tokenize ``text`` with the model (if loaded) and a SentencePiece model trained on
    ``corpus`` (default: the bundled texts), plus the English/Chinese table."""
    t0 = time.perf_counter()
    spm_tok = train_spm(corpus_texts(corpus), vocab_size, model_type, progress, cancel)
    result = TokenizersResult(
        engine.name if engine else "", text, model_type, int(vocab_size),
        spm_tok.vocab_size_actual, str(corpus) if corpus else "bundled", spm_tok.corpus_chars,
    )
    counters: dict[str, Callable[[str], int]] = {}
    if engine is not None:
        result.tokenizations.append(model_tokenization(engine, text))
        counters["model"] = lambda s: len(engine.tokenize(s, special=False))
    result.tokenizations.append(spm_tok.tokenize(text))
    counters[f"spm-{model_type}-{spm_tok.vocab_size_actual}"] = lambda s: spm_tok.tokenize(s).tokens
    result.unfairness = unfairness(counters, corpus is None)
    result.seconds = time.perf_counter() - t0
    return result
