"""Score any text: how surprising each of its tokens was to the model.

For every token of a text, given everything before it: its probability ``p`` under the
model (softmax of the raw logits over the whole vocabulary — no sampler), its rank among
all tokens (1 = the model's first choice), its surprisal ``-log2 p`` in **bits**, the
entropy of the model's distribution there (bits), and its GLTR bucket (Gehrmann, Strobelt
& Rush 2019, "GLTR: Statistical Detection and Visualization of Generated Text": rank in
the top 10 / top 100 / top 1000 / beyond). The text's perplexity is
``exp(mean(-ln p))`` over the scored tokens (= ``2 ** mean surprisal in bits``), as
llama.cpp's ``llama-perplexity`` computes it per chunk.

Two ways to run the model over the text (``mode``):

* ``"batched"``: the text in batches of up to ``n_batch`` tokens, with logits for every
  position (``logits[i] = true`` in the ``llama_batch``), in a separate llama.cpp
  context of its own on the same model weights: the chat's KV cache is not touched.
  Fast.
* ``"exact"``: the context before the text is evaluated as one batch, then the text's
  tokens one at a time on the engine — exactly as generation computes a reply, so a
  reply generated from an empty cache scores with its own trace probabilities.

On quantized weights the two differ slightly (different matrix kernels for one row and
for many: up to ~0.06 in a token's probability on SmolLM2 Q4_1); they agree closely on
average (perplexity) but not bit for bit.

What it can and cannot tell (shown in the UI): a text full of top-10 tokens with low
perplexity is what *this* model would likely have written; it does not prove a model wrote
it (formulaic human text scores the same, and a sampled text with a high temperature does
not), and another model may find it surprising.
"""

from __future__ import annotations

import ctypes
import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from .candidates import lse_entropy, top_indices
from .chat import ChatTemplate, Message, RenderedPrompt
from .engine import Engine
from .errors import ContextOverflowError, TokenscopeError
from .prompt import tokenize_prompt
from .trace import piece_text

_LN2 = math.log(2.0)
MODES = ("batched", "exact")
#: GLTR's rank buckets: top-10, top-100, top-1000, beyond.
BUCKET_LIMITS = (10, 100, 1000)
BUCKET_NAMES = ("top-10", "top-100", "top-1000", "beyond")
#: Candidates kept per token (what the model expected there).
TOP_N = 10


class ScoreError(TokenscopeError):
    """A text that cannot be scored (empty, too long, …); the message says what to do."""


def bucket_of(rank: int) -> int:
    """GLTR bucket index of a 1-based rank: 0 top-10, 1 top-100, 2 top-1000, 3 beyond."""
    for i, limit in enumerate(BUCKET_LIMITS):
        if rank <= limit:
            return i
    return len(BUCKET_LIMITS)


@dataclass
class TokenScore:
    index: int  #: 0-based index of the token in the scored text
    token: int
    text: str  #: the token's bytes as text (partial UTF-8 shown as <0xE4>)
    p: float  #: model probability of this token here (softmax of the raw logits)
    rank: int  #: 1-based rank over the whole vocabulary
    surprisal_bits: float  #: -log2 p
    entropy_bits: float  #: entropy of the model's distribution here
    #: the top candidates the model expected here: {"token", "text", "p"}, most likely first
    top: list[dict[str, Any]] = field(default_factory=list)

    @property
    def bucket(self) -> int:
        return bucket_of(self.rank)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["bucket"] = BUCKET_NAMES[self.bucket]
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> TokenScore:
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in d.items() if k in known})


@dataclass
class ScoreResult:
    model: str
    mode: str  #: "batched" or "exact"
    context: str  #: "raw" or "assistant" / "user" (scored inside the chat template)
    n_context: int  #: tokens before the text (BOS, chat template, earlier messages)
    tokens: list[TokenScore]
    #: the text's first token when nothing precedes it: it has no prediction, not scored
    unscored: list[dict[str, Any]] = field(default_factory=list)

    @property
    def perplexity(self) -> float:
        """exp(mean natural-log loss) over the scored tokens; nan when none."""
        if not self.tokens:
            return float("nan")
        return 2.0 ** self.mean_surprisal_bits

    @property
    def mean_surprisal_bits(self) -> float:
        return float(np.mean([t.surprisal_bits for t in self.tokens])) if self.tokens else 0.0

    def buckets(self) -> list[int]:
        """Token counts per GLTR bucket (top-10, top-100, top-1000, beyond)."""
        out = [0] * len(BUCKET_NAMES)
        for t in self.tokens:
            out[t.bucket] += 1
        return out

    def summary(self) -> dict[str, Any]:
        return {
            "model": self.model, "mode": self.mode, "context": self.context,
            "n_context": self.n_context, "n_tokens": len(self.tokens),
            "perplexity": self.perplexity, "mean_surprisal_bits": self.mean_surprisal_bits,
            "buckets": dict(zip(BUCKET_NAMES, self.buckets())),
        }

    def to_json(self) -> dict[str, Any]:
        """Everything the Score view needs, as JSON (for ``results.save_result``)."""
        return {**self.summary(), "unscored": self.unscored,
                "tokens": [t.to_json() for t in self.tokens]}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ScoreResult:
        return cls(d["model"], d["mode"], d["context"], d["n_context"],
                   [TokenScore.from_json(t) for t in d["tokens"]], d.get("unscored", []))


# --- what comes before the text ----------------------------------------------------------


def raw_context(engine: Engine) -> list[int]:
    """The tokens before a raw text: BOS when the model adds one, else none."""
    return [engine.bos_id] if engine.add_bos and engine.bos_id >= 0 else []


def reply_context(
    engine: Engine, template: ChatTemplate, messages: list[Message]
) -> list[int]:
    """The prompt tokens before an assistant reply to ``messages`` (the chat template with
    its generation prompt): what generation evaluates before the reply's first token."""
    rendered = template.render_prompt(messages, add_generation_prompt=True)
    return tokenize_prompt(engine, rendered, engine.bos_id if engine.add_bos else None)


def message_context(
    engine: Engine, template: ChatTemplate, messages: list[Message], index: int
) -> tuple[list[int], list[int]]:
    """The tokens before the content of ``messages[index]`` (e.g. the user's own prompt)
    and the content's tokens, as the model sees them in the rendered conversation
    (``ChatTemplate.render_prompt`` + ``prompt.tokenize_prompt``: the content is plain text,
    tokenized together with the template text around it, so no tokenizer adds a space
    prefix of its own). Where a token straddles the boundary, it counts as content.
    Raises ``ScoreError`` when the template hides the message's content."""
    rendered = template.render_prompt(messages[: index + 1], add_generation_prompt=False)
    spans = rendered.content
    nonempty = [i for i, m in enumerate(messages[: index + 1]) if m.content.strip()]
    if index not in nonempty or len(spans) != len(nonempty):
        raise ScoreError("The chat template does not show this message's text as it is; "
                         "score it as raw text instead.")
    a, b = spans[nonempty.index(index)]
    bos = engine.bos_id if engine.add_bos else None
    upto = RenderedPrompt(rendered.text[:b], tuple(s for s in spans if s[1] <= b))
    before = RenderedPrompt(rendered.text[:a], tuple(s for s in spans if s[1] <= a))
    full = tokenize_prompt(engine, upto, bos)
    head = tokenize_prompt(engine, before, bos)
    n = 0
    while n < min(len(full), len(head)) and full[n] == head[n]:
        n += 1
    if n == len(head) and n < len(full):
        return full[:n], full[n:]
    n = min(n, len(head) - 1)  # the last template token merged with the content
    return full[:n], full[n:]


# --- running the model over a text -------------------------------------------------------


def logit_rows(
    engine: Engine, context: list[int], tokens: list[int], mode: str = "batched"
) -> Iterator[npt.NDArray[np.float32]]:
    """For each of ``tokens``: the logits (float32, n_vocab) of the position before it,
    given ``context`` and the tokens before it. The first token needs a context of at
    least one token. Each row is a view valid until the next row is asked for.

    Raises ``ContextOverflowError`` when context + tokens do not fit ``engine.n_ctx``."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    if not context:
        raise ScoreError("Scoring needs at least one token before the text.")
    total = len(context) + len(tokens)
    if total - 1 > engine.n_ctx:  # the last token is never evaluated
        raise ContextOverflowError(total, engine.n_ctx, "The text with its context")
    if mode == "exact":
        yield from _exact_rows(engine, context, tokens)
    else:
        yield from _batched_rows(engine, context, tokens)


def _exact_rows(
    engine: Engine, context: list[int], tokens: list[int]
) -> Iterator[npt.NDArray[np.float32]]:
    engine.truncate(0)  # the context from scratch as one batch, as a fresh generation
    engine.eval_prompt(context)
    for i, t in enumerate(tokens):
        yield engine.logits()
        if i + 1 < len(tokens):
            engine.eval_token(t)


def _batched_rows(
    engine: Engine, context: list[int], tokens: list[int]
) -> Iterator[npt.NDArray[np.float32]]:
    """A llama.cpp context of our own (``llama_init_from_model`` on the engine's model),
    sized for this text, outputs for every position; freed at the end."""
    lib = engine._lib
    seq = context + tokens[:-1]  # the last token's own logits are not needed
    first_out = len(context) - 1  # the position whose logits predict tokens[0]
    n_batch = max(1, min(engine.options.n_batch, len(seq)))
    params = lib.llama_context_default_params()
    params.n_ctx = len(seq) + 1
    params.n_batch = params.n_ubatch = n_batch
    params.n_seq_max = 1
    threads = engine.options.n_threads or max(1, (engine.llama.n_threads or 1))
    params.n_threads = params.n_threads_batch = threads
    ctx = lib.llama_init_from_model(engine.llama.model, params)
    if not ctx:
        raise ScoreError("llama.cpp could not make a scoring context; try exact mode.")
    batch = lib.llama_batch_init(n_batch, 0, 1)
    try:
        for start in range(0, len(seq), n_batch):
            chunk = seq[start : start + n_batch]
            outputs = 0
            for j, tok in enumerate(chunk):
                pos = start + j
                batch.token[j] = tok
                batch.pos[j] = pos
                batch.n_seq_id[j] = 1
                batch.seq_id[j][0] = 0
                want = pos >= first_out
                batch.logits[j] = int(want)
                outputs += want
            batch.n_tokens = len(chunk)
            if lib.llama_decode(ctx, batch) != 0:
                raise ScoreError("llama.cpp failed to evaluate the text; try exact mode.")
            if not outputs:
                continue
            for j in range(len(chunk)):
                if start + j >= first_out:
                    ptr = lib.llama_get_logits_ith(ctx, j)
                    yield np.ctypeslib.as_array(
                        ctypes.cast(ptr, ctypes.POINTER(ctypes.c_float)),
                        shape=(engine.n_vocab,),
                    )
    finally:
        lib.llama_batch_free(batch)
        lib.llama_free(ctx)


def row_stats(
    x: npt.NDArray[np.float32], token: int, n_top: int = TOP_N
) -> tuple[float, int, float, float, npt.NDArray[np.intp], npt.NDArray[np.float64]]:
    """For one logits row: (log p of ``token`` in nats, its 1-based rank, entropy in bits,
    log-sum-exp, the top ``n_top`` ids, their probabilities). The same arithmetic as
    ``generation.Tracer.step`` (float32 exp and sums, as the trace records), so a token
    scored in exact mode gets its trace's numbers."""
    lse, entropy = lse_entropy(x, float(x.max()))
    logit = float(x[token])
    rank = int(np.count_nonzero(x > logit)) + 1
    idx = top_indices(x, n_top)
    idx = idx[np.argsort(-x[idx], kind="stable")[:n_top]]
    probs = np.exp(x[idx].astype(np.float64) - lse)
    return logit - lse, rank, entropy, lse, idx, probs


def score_tokens(
    engine: Engine, context: list[int], tokens: list[int], mode: str = "batched",
    context_kind: str = "raw", n_top: int = TOP_N,
) -> ScoreResult:
    """Score ``tokens`` after ``context`` (see the module's text for the two modes).

    With an empty ``context`` the first token is not scored (nothing predicts it)."""
    if not tokens:
        raise ScoreError("There is no text to score.")
    unscored: list[dict[str, Any]] = []
    if not context:
        unscored = [{"token": tokens[0], "text": piece_text(engine.piece(tokens[0]))}]
        context, tokens = tokens[:1], tokens[1:]
    rows: list[TokenScore] = []
    offset = len(unscored)
    for i, x in enumerate(logit_rows(engine, context, tokens, mode)):
        tok = tokens[i]
        logp, rank, entropy, _lse, idx, probs = row_stats(x, tok, n_top)
        rows.append(TokenScore(
            index=i + offset, token=tok, text=piece_text(engine.piece(tok)),
            p=math.exp(logp), rank=rank, surprisal_bits=-logp / _LN2, entropy_bits=entropy,
            top=[{"token": int(t), "text": piece_text(engine.piece(int(t))), "p": float(p)}
                 for t, p in zip(idx.tolist(), probs.tolist())],
        ))
    return ScoreResult(engine.name, mode, context_kind, len(context) - len(unscored), rows,
                       unscored)


def score_text(
    engine: Engine, text: str, mode: str = "batched", *,
    template: ChatTemplate | None = None, messages: list[Message] | None = None,
    role: str = "raw", n_top: int = TOP_N,
) -> ScoreResult:
    """Score ``text`` tokenized as plain text (``special=False``: typed markers stay text).

    ``role="raw"``: after BOS only. ``role="assistant"`` / ``"user"``: as that role's
    message after ``messages`` under ``template`` (see ``message_context``)."""
    if not text:
        raise ScoreError("There is no text to score.")
    if role == "raw":
        context, tokens = raw_context(engine), engine.tokenize(text, special=False)
    else:
        if template is None:
            raise ScoreError("Scoring inside a chat needs the model's chat template.")
        msgs = [*(messages or []), Message(role, text)]
        context, tokens = message_context(engine, template, msgs, len(msgs) - 1)
    return score_tokens(engine, context, tokens, mode, role, n_top)
