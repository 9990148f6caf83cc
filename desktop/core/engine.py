"""The engine: a llama.cpp model and context, evaluated with KV-cache prefix reuse.

``llama_cpp.Llama`` owns the model and the context (and the tokenizer, metadata and the
``input_ids``/``n_tokens`` record of what the KV cache holds, which we keep up to date so
that the binding's own methods still work on the same context). Evaluation is our own
loop on llama.cpp's C API: one reusable ``llama_batch`` whose arrays are numpy views,
``llama_decode``, and the last position's logits read as a zero-copy numpy view
(``llama_get_logits_ith``) -- none of the per-call bookkeeping of ``Llama.eval``.

One class for one loaded model: loading, facts about the vocabulary, tokens, evaluation
with prefix reuse and the logits; the batch and decode thread are in ``decode``, the
binding's adjustments in ``binding``.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .binding import _binding_templates_off, _route_llama_logs
from .decode import _Batch, _DecodeThread
from .errors import ContextOverflowError, ModelLoadError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadOptions:
    n_ctx: int = 4096
    n_threads: int | None = None  #: None: llama.cpp's default (physical cores)
    n_gpu_layers: int = 0  #: -1: all layers
    n_batch: int = 512
    #: llama.cpp's flash attention. On: what llama-bench and llama-server end up using on
    #: a CPU (their "auto"), ~10% faster generation on Gemma 3 270M than the binding's
    #: default (off); every backend llama.cpp ships (CPU, CUDA, Metal, Vulkan) has it.
    flash_attn: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass
class EvalStats:
    n_prompt: int  #: tokens in the prompt
    n_reused: int  #: prompt tokens whose KV cache entries were reused
    n_evaluated: int  #: prompt tokens actually evaluated
    seconds: float


class Engine:
    """One loaded model with one context (one sequence)."""

    def __init__(self, path: str | Path, options: LoadOptions | None = None) -> None:
        self.path = Path(path)
        self.options = options or LoadOptions()
        if not self.path.is_file():
            raise ModelLoadError(
                f"Model file not found: {self.path}. Choose an existing .gguf file."
            )
        from . import gguf_file  # validate before llama.cpp sees the file

        self.info = gguf_file.read_info(self.path)
        import llama_cpp

        _route_llama_logs(llama_cpp)
        self._lib = llama_cpp
        n_ctx = self.options.n_ctx or self.info.context_length or 4096  # 0: the model's
        if self.info.context_length and n_ctx > self.info.context_length:
            log.info("n_ctx %d exceeds the model's training context; using %d",
                     n_ctx, self.info.context_length)
            n_ctx = self.info.context_length
        t0 = time.perf_counter()
        try:
            with _binding_templates_off(llama_cpp):
                self.llama = llama_cpp.Llama(
                    model_path=str(self.path),
                    n_ctx=n_ctx,
                    n_threads=self.options.n_threads,
                    n_threads_batch=self.options.n_threads,
                    n_gpu_layers=self.options.n_gpu_layers,
                    n_batch=self.options.n_batch,
                    n_ubatch=self.options.n_batch,
                    logits_all=False,
                    flash_attn=self.options.flash_attn,
                    verbose=bool(os.environ.get("TOKENSCOPE_LLAMA_VERBOSE")),
                )
        except Exception as exc:  # the binding raises ValueError mostly, but not only
            raise ModelLoadError(
                f"llama.cpp could not load {self.path.name}: {exc}. The file may be damaged, "
                "or its architecture is newer than this llama.cpp build; try another file or "
                "update llama-cpp-python."
            ) from exc
        self.load_seconds = time.perf_counter() - t0
        self._ctx = self.llama.ctx
        self._memory = llama_cpp.llama_get_memory(self._ctx)
        self._decode = llama_cpp.llama_decode
        self._n_batch = max(1, int(self.llama.n_batch))
        self._batch = _Batch(llama_cpp, self._n_batch)
        self._kv_n = 0  # what the KV cache holds after our last evaluation
        self._thread: _DecodeThread | None = None  # for start_eval_token, made when needed
        self._pending: int | None = None  # n_past before the token being evaluated
        self._vocab = llama_cpp.llama_model_get_vocab(self.llama.model)
        self._pieces: dict[int, bytes] = {}
        self._n_vocab = self.llama.n_vocab()
        self._n_ctx = min(int(self.llama.n_ctx()), int(self.llama.input_ids.shape[0]))
        self._logits_ready = False  # the logits buffer holds the last position's logits
        self._logits_view: npt.NDArray[np.float32] | None = None
        self._logits_address: int | None = None
        log.info(
            "loaded model %s (n_ctx=%d, gpu_layers=%d) in %.2fs",
            self.path.name, self.n_ctx, self.options.n_gpu_layers, self.load_seconds,
        )

    # --- facts about the model -------------------------------------------------------

    @property
    def n_ctx(self) -> int:
        """The context window in tokens (llama.cpp may round the requested size up; the
        binding's token buffer keeps the requested size, so use the smaller)."""
        return self._n_ctx

    @property
    def spare_core(self) -> bool:
        """Whether the machine has a CPU core beyond llama.cpp's threads (for overlapping
        Python work with a decode)."""
        n_threads = int(self.llama.context_params.n_threads)
        return (os.cpu_count() or 1) > n_threads + 1

    @property
    def n_vocab(self) -> int:
        return self._n_vocab

    @property
    def n_past(self) -> int:
        """Tokens currently in the KV cache."""
        return int(self.llama.n_tokens)

    @property
    def context_tokens(self) -> list[int]:
        return self.llama.input_ids[: self.llama.n_tokens].tolist()

    @cached_property
    def metadata(self) -> dict[str, str]:
        return dict(self.llama.metadata)

    @property
    def chat_template(self) -> str | None:
        # from our own reader: llama-cpp-python's metadata is empty when any string in the
        # file is not valid UTF-8
        return self.info.chat_template or self.metadata.get("tokenizer.chat_template")

    @property
    def name(self) -> str:
        return self.info.name or self.metadata.get("general.name") or self.path.stem

    @property
    def bos_id(self) -> int:
        return int(self.llama.token_bos())

    @property
    def eos_id(self) -> int:
        return int(self.llama.token_eos())

    @property
    def add_bos(self) -> bool:
        return bool(self._lib.llama_vocab_get_add_bos(self._vocab))

    def is_eog(self, token: int) -> bool:
        return bool(self._lib.llama_vocab_is_eog(self._vocab, token))

    @property
    def vocab_handle(self) -> Any:
        """llama.cpp's ``llama_vocab *`` of this model (for llama.cpp's own samplers)."""
        return self._vocab

    def token_attr(self, token: int) -> int:
        """llama.cpp's attribute bits of a token (``enum llama_token_attr``)."""
        return int(self._lib.llama_vocab_get_attr(self._vocab, token))

    def dry_breakers(self, breakers: tuple[str, ...]) -> dict[int, list[tuple[int, ...]]]:
        """DRY's processed sequence breakers for this vocabulary (computed once per set)."""
        from .dry import breaker_sequences

        cache: dict[tuple[str, ...], dict[int, list[tuple[int, ...]]]]
        cache = self.__dict__.setdefault("_dry_cache", {})
        if breakers not in cache:
            cache[breakers] = breaker_sequences(
                self._n_vocab, self.piece, lambda t: self.tokenize(t, special=False), breakers
            )
        return cache[breakers]

    def control_token_texts(self) -> list[str]:
        """The texts of every control token (e.g. ``<start_of_turn>``), from llama.cpp's
        token attributes: one pass over the vocabulary (~0.1-0.2 s for 262k tokens) the
        first time, remembered after (the window asks in its loading thread)."""
        cached: list[str] | None = self.__dict__.get("_control_texts")
        if cached is None:
            control = self._lib.LLAMA_TOKEN_ATTR_CONTROL
            get = self._lib.llama_vocab_get_attr
            cached = self.__dict__["_control_texts"] = [
                self.piece(t).decode("utf-8", "replace")
                for t in range(self._n_vocab) if get(self._vocab, t) & control
            ]
        return list(cached)

    def is_special(self, token: int) -> bool:
        """A control or unknown token (what parse_special turns markers into). User-defined
        tokens (e.g. Gemma's whitespace runs, HTML tags) are ordinary text pieces:
        llama.cpp matches them in plain text too."""
        attr = self._lib.llama_vocab_get_attr(self._vocab, token)
        special = self._lib.LLAMA_TOKEN_ATTR_CONTROL | self._lib.LLAMA_TOKEN_ATTR_UNKNOWN
        return bool(attr & special)

    # --- text <-> tokens ---------------------------------------------------------------

    def tokenize(self, text: str, *, add_bos: bool = False, special: bool = True) -> list[int]:
        """Tokens of ``text``; ``special`` parses markers like <|im_start|> as special tokens
        (never for text a user typed: see ``prompt.tokenize_prompt``)."""
        return list(self.llama.tokenize(text.encode("utf-8"), add_bos=add_bos, special=special))

    def piece(self, token: int) -> bytes:
        """The raw bytes of one token (special tokens rendered), cached."""
        cached = self._pieces.get(token)
        if cached is not None:
            return cached
        size = 64
        while True:
            buf = ctypes.create_string_buffer(size)
            n = self._lib.llama_token_to_piece(self._vocab, token, buf, size, 0, True)
            if n >= 0:
                out = buf.raw[:n]
                break
            size = -n
        self._pieces[token] = out
        return out

    def detokenize(self, tokens: list[int]) -> bytes:
        return b"".join(self.piece(t) for t in tokens)

    # --- evaluation ----------------------------------------------------------------------

    def common_prefix(self, tokens: list[int]) -> int:
        cached = self.llama.input_ids[: self.llama.n_tokens]
        n = min(len(cached), len(tokens))
        if n == 0:
            return 0
        diff = np.nonzero(cached[:n] != np.asarray(tokens[:n], dtype=cached.dtype))[0]
        return int(diff[0]) if diff.size else n

    def eval_prompt(self, tokens: list[int]) -> EvalStats:
        """Make the KV cache hold exactly ``tokens``, evaluating only what is not cached.

        Afterwards ``logits()`` gives the distribution of the next token.
        """
        if not tokens:
            raise ValueError("empty prompt")
        if len(tokens) >= self.n_ctx:  # a full window leaves no room for the next token
            raise ContextOverflowError(
                len(tokens) + 1, self.n_ctx, "The prompt with room for one reply token")
        self.finish_eval()
        t0 = time.perf_counter()
        reuse = self.common_prefix(tokens)
        if reuse == len(tokens):
            # everything cached; re-evaluate the last token to get its logits back
            reuse -= 1
        self._logits_ready = False
        if not self._forget_from(reuse):
            reuse = 0
            self._forget_from(0)
        rest = tokens[reuse:]
        self._eval(rest)
        stats = EvalStats(len(tokens), reuse, len(rest), time.perf_counter() - t0)
        log.debug("prompt: %d tokens, %d reused, %d evaluated", len(tokens), reuse, len(rest))
        return stats

    def eval_token(self, token: int) -> None:
        """Append one token to the context and evaluate it."""
        n_past = self._prepare_token(token)
        self._token_done(self._decode(self._ctx, self._batch.struct), n_past)

    def start_eval_token(self, token: int) -> None:
        """Like ``eval_token`` but returns as soon as llama.cpp is at work, on a helper
        thread (it runs without the GIL): the caller's own work overlaps the decode.
        ``finish_eval`` waits for it (and raises its error); so does every method that
        reads or changes the context (``logits``, ``eval_*``, ``truncate``, ``close``).
        ``n_past`` and ``context_tokens`` already count the token."""
        n_past = self._prepare_token(token)
        if self._thread is None:
            self._thread = _DecodeThread(self._decode, self._ctx, self._batch.struct)
        self._thread.start()
        self._pending = n_past

    def finish_eval(self) -> None:
        """Wait for the evaluation ``start_eval_token`` began (nothing if none)."""
        n_past = self._pending
        if n_past is not None:
            self._pending = None
            assert self._thread is not None
            self._token_done(self._thread.finish(), n_past)

    def _prepare_token(self, token: int) -> int:
        self.finish_eval()
        llama = self.llama
        n_past = llama.n_tokens
        if n_past >= self._n_ctx:
            raise ContextOverflowError(n_past + 1, self._n_ctx)
        self._logits_ready = False
        if n_past != self._kv_n:  # someone used the binding's own methods meanwhile
            self._forget_from(n_past)
        b = self._batch
        b.token[0] = token
        b.pos[0] = n_past
        b.logits[0] = 1
        b.struct.n_tokens = 1
        llama.input_ids[n_past] = token
        llama.n_tokens = self._kv_n = n_past + 1
        return n_past

    def _token_done(self, rc: int, n_past: int) -> None:
        if rc != 0:
            self._decode_failed(rc, n_past)
        self._logits_ready = True

    def truncate(self, n: int) -> None:
        """Forget the context after its first ``n`` tokens."""
        self.finish_eval()
        if n < self.n_past:
            self._forget_from(n)
            self._logits_ready = False

    def _forget_from(self, n: int) -> bool:
        """Drop KV cache entries at positions >= n (False if llama.cpp cannot)."""
        ok = bool(self._lib.llama_memory_seq_rm(self._memory, -1, n, -1))
        if not ok:
            self._lib.llama_memory_clear(self._memory, True)
            n = 0
        self.llama.n_tokens = self._kv_n = n
        return ok

    def _eval(self, tokens: list[int]) -> None:
        """Evaluate ``tokens`` after what the KV cache holds, in batches of n_batch;
        only the very last position's logits are computed."""
        llama, b = self.llama, self._batch
        n_past = llama.n_tokens
        if n_past != self._kv_n:
            self._forget_from(n_past)
        arr = np.asarray(tokens, dtype=np.int32)
        for start in range(0, arr.size, self._n_batch):
            chunk = arr[start : start + self._n_batch]
            n = chunk.size
            b.token[:n] = chunk
            b.pos[:n] = np.arange(n_past, n_past + n, dtype=np.int32)
            b.logits[:n] = 0
            if start + n == arr.size:
                b.logits[n - 1] = 1
            b.struct.n_tokens = n
            rc = self._decode(self._ctx, b.struct)
            if rc != 0:
                self._decode_failed(rc, n_past)
            llama.input_ids[n_past : n_past + n] = chunk
            n_past += n
            llama.n_tokens = self._kv_n = n_past
        self._logits_ready = True

    def _decode_failed(self, rc: int, n_past: int) -> None:
        # on failure llama.cpp keeps the batches it finished in the cache (rc 2, < -1):
        # forget everything after what we know it holds
        self._forget_from(n_past)
        raise RuntimeError(f"llama_decode returned {rc}")

    def logits(self) -> npt.NDArray[np.float32]:
        """Logits of the next token: a zero-copy view valid until the next evaluation."""
        if self._pending is not None:
            self.finish_eval()
        if not self._logits_ready:
            raise RuntimeError("no logits: evaluate a prompt first")
        ptr = self._lib.llama_get_logits_ith(self.llama.ctx, -1)
        address = ctypes.cast(ptr, ctypes.c_void_p).value
        if self._logits_view is None or address != self._logits_address:
            self._logits_view = np.ctypeslib.as_array(ptr, shape=(self._n_vocab,))
            self._logits_address = address
        return self._logits_view

    def close(self) -> None:
        llama = getattr(self, "llama", None)
        if llama is not None:
            with contextlib.suppress(RuntimeError):  # closing anyway
                self.finish_eval()
            if self._thread is not None:
                self._thread.stop()
                self._thread = None
            self._batch.free()
            llama.close()
            self.llama = None  # type: ignore[assignment]

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
