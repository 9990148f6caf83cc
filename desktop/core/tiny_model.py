"""Write tiny random-weight llama GGUF models that llama.cpp can load and run.

Used by the crash probe (a batched decode in a subprocess, see ``backend``) and by the
tests. The weights are random, so the text is nonsense, but the machinery is real:
tokenizer, chat template, KV cache, logits, sampling.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import gguf
import numpy as np

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

TokenType = gguf.TokenType


@dataclass
class Vocab:
    """A SentencePiece-style ("llama") vocabulary: pieces, scores and token types."""

    tokens: list[str] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    types: list[int] = field(default_factory=list)
    bos_id: int = 1
    eos_id: int = 2
    unk_id: int = 0

    def add(self, piece: str, score: float = 0.0, kind: int = TokenType.NORMAL) -> int:
        self.tokens.append(piece)
        self.scores.append(score)
        self.types.append(int(kind))
        return len(self.tokens) - 1


def byte_vocab(extra_pieces: Sequence[str] = ()) -> Vocab:
    """<unk>, <s>, </s>, the ChatML markers, 256 byte tokens and optional extra pieces.

    Needs no tokenizer training: text that no piece covers falls back to bytes.
    """
    v = Vocab()
    v.add("<unk>", 0.0, TokenType.UNKNOWN)
    v.add("<s>", 0.0, TokenType.CONTROL)
    v.add("</s>", 0.0, TokenType.CONTROL)
    v.add("<|im_start|>", 0.0, TokenType.CONTROL)
    v.add("<|im_end|>", 0.0, TokenType.CONTROL)
    for b in range(256):
        v.add(f"<0x{b:02X}>", 0.0, TokenType.BYTE)
    for i, piece in enumerate(extra_pieces):
        v.add(piece, -float(i + 1), TokenType.NORMAL)
    return v


def write_tiny_llama(
    path: str | Path,
    vocab: Vocab | None = None,
    *,
    n_embd: int = 64,
    n_layer: int = 2,
    n_head: int = 4,
    n_head_kv: int = 2,
    n_ff: int = 128,
    n_ctx_train: int = 2048,
    seed: int = 0,
    logit_scale: float = 4.0,
    chat_template: str | None = CHATML_TEMPLATE,
    name: str = "tiny-random-llama",
) -> Path:
    """Write a runnable llama-architecture GGUF with random F32 weights to ``path``.

    ``logit_scale`` scales the output projection so distributions are peaked enough to
    make sampling stages cut something, as with a trained model.
    """
    vocab = vocab or byte_vocab()
    path = Path(path)
    rng = np.random.default_rng(seed)
    n_vocab = len(vocab.tokens)
    head_dim = n_embd // n_head
    n_embd_kv = head_dim * n_head_kv

    w = gguf.GGUFWriter(str(path), "llama")
    w.add_name(name)
    w.add_context_length(n_ctx_train)
    w.add_embedding_length(n_embd)
    w.add_block_count(n_layer)
    w.add_feed_forward_length(n_ff)
    w.add_head_count(n_head)
    w.add_head_count_kv(n_head_kv)
    w.add_rope_dimension_count(head_dim)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    w.add_tokenizer_model("llama")
    w.add_token_list(vocab.tokens)
    w.add_token_scores(vocab.scores)
    w.add_token_types(vocab.types)
    w.add_bos_token_id(vocab.bos_id)
    w.add_eos_token_id(vocab.eos_id)
    w.add_unk_token_id(vocab.unk_id)
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)
    if chat_template is not None:
        w.add_chat_template(chat_template)

    def mat(rows: int, cols: int, scale: float = 1.0) -> np.ndarray:
        return (rng.standard_normal((rows, cols)) * scale / np.sqrt(cols)).astype(np.float32)

    ones = np.ones(n_embd, dtype=np.float32)
    w.add_tensor("token_embd.weight", mat(n_vocab, n_embd, np.sqrt(n_embd)))
    w.add_tensor("output_norm.weight", ones)
    w.add_tensor("output.weight", mat(n_vocab, n_embd, logit_scale))
    for i in range(n_layer):
        w.add_tensor(f"blk.{i}.attn_norm.weight", ones)
        w.add_tensor(f"blk.{i}.attn_q.weight", mat(n_embd, n_embd))
        w.add_tensor(f"blk.{i}.attn_k.weight", mat(n_embd_kv, n_embd))
        w.add_tensor(f"blk.{i}.attn_v.weight", mat(n_embd_kv, n_embd))
        w.add_tensor(f"blk.{i}.attn_output.weight", mat(n_embd, n_embd))
        w.add_tensor(f"blk.{i}.ffn_norm.weight", ones)
        w.add_tensor(f"blk.{i}.ffn_gate.weight", mat(n_ff, n_embd))
        w.add_tensor(f"blk.{i}.ffn_up.weight", mat(n_ff, n_embd))
        w.add_tensor(f"blk.{i}.ffn_down.weight", mat(n_embd, n_ff))

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path
