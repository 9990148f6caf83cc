"""The engine on a real llama.cpp: tokenize, evaluate with KV prefix reuse, read logits."""

from __future__ import annotations

import numpy as np
import pytest

from desktop.core.engine import Engine, LoadOptions
from desktop.core.errors import ContextOverflowError, ModelLoadError


def test_tokenize_round_trips_text(tiny_engine: Engine) -> None:
    text = "Hello world, 你好世界 鬱"
    tokens = tiny_engine.tokenize(text)
    assert tiny_engine.detokenize(tokens).decode("utf-8").strip() == text


def test_byte_fallback_pieces_are_partial_utf8(tiny_engine: Engine) -> None:
    pieces = [tiny_engine.piece(t) for t in tiny_engine.tokenize("鬱")]
    assert b"".join(pieces).strip() == "鬱".encode()
    assert any(len(p) == 1 and p[0] >= 0x80 for p in pieces), pieces


def test_special_tokens_are_parsed_and_marked(tiny_engine: Engine) -> None:
    tokens = tiny_engine.tokenize("<|im_start|>user")
    assert tiny_engine.is_special(tokens[0])
    assert tiny_engine.piece(tokens[0]) == b"<|im_start|>"


def test_logits_are_a_zero_copy_view_of_the_last_position(tiny_engine: Engine) -> None:
    tiny_engine.eval_prompt(tiny_engine.tokenize("The quick brown fox", add_bos=True))
    a = tiny_engine.logits()
    b = tiny_engine.logits()
    assert a.shape == (tiny_engine.n_vocab,)
    assert np.shares_memory(a, b) and not a.flags.owndata


def test_prefix_reuse_evaluates_only_the_new_tokens(tiny_engine: Engine) -> None:
    first = tiny_engine.tokenize("The quick brown fox", add_bos=True)
    more = first + tiny_engine.tokenize(" jumps over the lazy dog")
    s1 = tiny_engine.eval_prompt(first)
    assert (s1.n_reused, s1.n_evaluated) == (0, len(first))
    s2 = tiny_engine.eval_prompt(more)
    assert (s2.n_reused, s2.n_evaluated) == (len(first), len(more) - len(first))
    reused = tiny_engine.logits().copy()
    # a diverging prompt keeps only the common prefix
    other = first[:3] + tiny_engine.tokenize(" cat sat")
    s3 = tiny_engine.eval_prompt(other)
    assert s3.n_reused == 3
    # the same prompt again: only the last token is re-evaluated, logits identical
    tiny_engine.eval_prompt(more)
    s4 = tiny_engine.eval_prompt(more)
    assert (s4.n_reused, s4.n_evaluated) == (len(more) - 1, 1)
    fresh = Engine(tiny_engine.path, LoadOptions(n_ctx=512, n_threads=2))
    try:
        fresh.eval_prompt(more)
        # batched vs. split evaluation: compare with a tolerance (different kernels)
        np.testing.assert_allclose(fresh.logits(), reused, atol=1e-3)
        np.testing.assert_allclose(fresh.logits(), tiny_engine.logits(), atol=1e-3)
    finally:
        fresh.close()


def test_prompt_longer_than_context_is_a_clear_error(tiny_model) -> None:
    e = Engine(tiny_model, LoadOptions(n_ctx=64, n_threads=2))
    try:
        with pytest.raises(ContextOverflowError, match="context window holds 64"):
            e.eval_prompt(list(range(10, 90)))
        # exactly n_ctx tokens leave no room for the reply: the message counts that token
        with pytest.raises(ContextOverflowError, match=r"needs 65 tokens .* holds 64"):
            e.eval_prompt(list(range(10, 74)))
        assert e.eval_prompt(list(range(10, 73))).n_evaluated == 63
    finally:
        e.close()


def test_truncated_file_never_reaches_llama_cpp(tiny_model, tmp_path) -> None:
    bad = tmp_path / "truncated.gguf"
    bad.write_bytes(tiny_model.read_bytes()[: tiny_model.stat().st_size // 2])
    with pytest.raises(Exception) as info:
        Engine(bad)
    assert "truncat" in str(info.value).lower() or "damaged" in str(info.value).lower()


def test_missing_file(tmp_path) -> None:
    with pytest.raises(ModelLoadError, match="not found"):
        Engine(tmp_path / "nope.gguf")


# --- our decode loop on llama.cpp's C API ------------------------------------------------


def test_prompt_longer_than_a_batch_is_split_and_matches_one_batch(tiny_model) -> None:
    small = Engine(tiny_model, LoadOptions(n_ctx=256, n_threads=2, n_batch=16))
    big = Engine(tiny_model, LoadOptions(n_ctx=256, n_threads=2, n_batch=256))
    try:
        tokens = small.tokenize("The quick brown fox jumps over the lazy dog. " * 4, add_bos=True)
        assert len(tokens) > 2 * 16
        stats = small.eval_prompt(tokens)
        big.eval_prompt(tokens)
        assert stats.n_evaluated == len(tokens) == small.n_past == big.n_past
        assert small.context_tokens == tokens
        # split vs. whole-batch evaluation: different kernels, compare with a tolerance
        np.testing.assert_allclose(small.logits(), big.logits(), atol=2e-2)
    finally:
        small.close()
        big.close()


def test_eval_token_keeps_the_bindings_record_in_step(tiny_engine: Engine) -> None:
    prompt = tiny_engine.tokenize("Hello world", add_bos=True)
    tiny_engine.eval_prompt(prompt)
    tiny_engine.eval_token(5)
    tiny_engine.eval_token(7)
    assert tiny_engine.n_past == len(prompt) + 2 == tiny_engine.llama.n_tokens
    assert tiny_engine.context_tokens == [*prompt, 5, 7]
    # the same logits as the binding's own evaluation of the same tokens
    ours = tiny_engine.logits().copy()
    tiny_engine.llama.reset()
    tiny_engine.llama.eval([*prompt, 5, 7])
    np.testing.assert_allclose(tiny_engine.logits(), ours, atol=1e-3)


def test_binding_used_meanwhile_never_leaves_stale_cache_entries(tiny_engine: Engine) -> None:
    """llama-cpp-python's own methods may run on the same context (the tests' references
    do): the engine notices the binding moved and drops what the cache holds beyond it."""
    first = tiny_engine.tokenize("The quick brown fox jumps", add_bos=True)
    tiny_engine.eval_prompt(first)
    tiny_engine.eval_token(9)
    tiny_engine.llama.reset()  # the binding forgets its tokens, not the cache's entries
    other = tiny_engine.tokenize("Hello", add_bos=True)
    s = tiny_engine.eval_prompt(other)
    assert s.n_reused == 0 and tiny_engine.context_tokens == other
    tiny_engine.eval_token(11)
    got = tiny_engine.logits().copy()
    fresh = Engine(tiny_engine.path, LoadOptions(n_ctx=512, n_threads=2))
    try:
        fresh.eval_prompt(other)
        fresh.eval_token(11)
        np.testing.assert_allclose(got, fresh.logits(), atol=1e-3)
    finally:
        fresh.close()


def test_a_failed_decode_raises_and_leaves_the_context_usable(tiny_engine: Engine) -> None:
    prompt = tiny_engine.tokenize("Hello world", add_bos=True)
    tiny_engine.eval_prompt(prompt)
    before = tiny_engine.logits().copy()
    with pytest.raises(RuntimeError, match="llama_decode"):
        tiny_engine.eval_token(tiny_engine.n_vocab + 10)  # no such token: llama.cpp refuses
    assert tiny_engine.n_past == len(prompt)
    with pytest.raises(RuntimeError, match="no logits"):
        tiny_engine.logits()
    s = tiny_engine.eval_prompt(prompt)
    assert s.n_reused == len(prompt) - 1
    np.testing.assert_allclose(tiny_engine.logits(), before, atol=1e-3)


def test_truncate_then_continue(tiny_engine: Engine) -> None:
    prompt = tiny_engine.tokenize("The quick brown fox jumps over", add_bos=True)
    tiny_engine.eval_prompt(prompt)
    tiny_engine.truncate(3)
    assert tiny_engine.n_past == 3 and tiny_engine.context_tokens == prompt[:3]
    for t in prompt[3:]:
        tiny_engine.eval_token(t)
    assert tiny_engine.context_tokens == prompt
    fresh = Engine(tiny_engine.path, LoadOptions(n_ctx=512, n_threads=2))
    try:
        fresh.eval_prompt(prompt)
        np.testing.assert_allclose(tiny_engine.logits(), fresh.logits(), atol=1e-3)
    finally:
        fresh.close()


def test_flash_attention_on_and_off_agree(tiny_model) -> None:
    on = Engine(tiny_model, LoadOptions(n_ctx=256, n_threads=2, flash_attn=True))
    off = Engine(tiny_model, LoadOptions(n_ctx=256, n_threads=2, flash_attn=False))
    try:
        tokens = on.tokenize("Tokens are pieces of text.", add_bos=True)
        on.eval_prompt(tokens)
        off.eval_prompt(tokens)
        np.testing.assert_allclose(on.logits(), off.logits(), atol=1e-2)
    finally:
        on.close()
        off.close()


def test_start_eval_token_overlaps_and_then_equals_eval_token(tiny_engine: Engine) -> None:
    prompt = tiny_engine.tokenize("Hello world", add_bos=True)
    tiny_engine.eval_prompt(prompt)
    tiny_engine.eval_token(5)
    tiny_engine.eval_token(7)
    expected = tiny_engine.logits().copy()
    tiny_engine.truncate(len(prompt))
    tiny_engine.start_eval_token(5)
    assert tiny_engine.n_past == len(prompt) + 1  # counted at once
    tiny_engine.finish_eval()
    tiny_engine.start_eval_token(7)
    got = tiny_engine.logits()  # waits for the decode in flight
    np.testing.assert_array_equal(got, expected)
    assert tiny_engine.context_tokens == [*prompt, 5, 7]
    tiny_engine.finish_eval()  # nothing pending: a no-op


def test_a_failed_background_decode_raises_on_finish(tiny_engine: Engine) -> None:
    prompt = tiny_engine.tokenize("Hello world", add_bos=True)
    tiny_engine.eval_prompt(prompt)
    tiny_engine.start_eval_token(tiny_engine.n_vocab + 10)
    with pytest.raises(RuntimeError, match="llama_decode"):
        tiny_engine.finish_eval()
    assert tiny_engine.n_past == len(prompt)
    tiny_engine.eval_token(5)
    assert tiny_engine.context_tokens == [*prompt, 5]


def test_close_with_a_decode_in_flight(tiny_model) -> None:
    e = Engine(tiny_model, LoadOptions(n_ctx=128, n_threads=2))
    e.eval_prompt(e.tokenize("Hello", add_bos=True))
    e.start_eval_token(5)
    e.close()
    assert e.llama is None
