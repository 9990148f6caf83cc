"""The tiny-model generator writes GGUFs llama.cpp loads and decodes in batches."""

from __future__ import annotations

import llama_cpp

from desktop.core.gguf_file import read_info
from desktop.core.tiny_model import byte_vocab, write_tiny_llama


def test_byte_vocab_model_loads_and_decodes_a_batch(tmp_path) -> None:
    path = write_tiny_llama(tmp_path / "t.gguf", byte_vocab(["hello"]), n_layer=1, seed=3)
    assert path.stat().st_size < 1_000_000
    llm = llama_cpp.Llama(str(path), n_ctx=128, verbose=False)
    tokens = llm.tokenize("héllo 你好".encode(), add_bos=True)
    llm.eval(tokens)  # a batched decode
    assert llm.n_tokens == len(tokens)
    llm.close()


def test_metadata_is_what_was_asked(tmp_path) -> None:
    path = write_tiny_llama(tmp_path / "t.gguf", n_embd=32, n_layer=3, n_head=4, n_head_kv=4)
    info = read_info(path)
    assert info.architecture == "llama"
    assert info.n_layer == 3 and info.n_embd == 32
    assert info.chat_template and "<|im_start|>" in info.chat_template
