"""GGUF validation and metadata: good files are read, every kind of bad file is refused."""

from __future__ import annotations

import contextlib
import random
import struct
from pathlib import Path

import pytest
from gguf import LlamaFileType

from desktop.core.gguf_file import (
    GGUFInfo,
    InvalidGGUFError,
    SplitModelError,
    estimate_memory,
    fit_verdict,
    info_from_name,
    params_from_name,
    quant_from_name,
    read_info,
    split_info,
    split_part_name,
)
from desktop.core.tiny_model import write_tiny_llama
from tests.gguf_tools import split_gguf
from tests.hub_server import make_gguf


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return make_gguf(
        tmp_path / "tiny.gguf",
        name="Tiny Llama",
        n_layer=3,
        n_embd=64,
        n_head=4,
        n_head_kv=2,
        context_length=1024,
        file_type=LlamaFileType.MOSTLY_Q4_K_M,
    )


def test_reads_metadata(tiny: Path) -> None:
    info = read_info(tiny)
    assert info.architecture == "llama"
    assert info.name == "Tiny Llama"
    assert info.context_length == 1024
    assert info.file_type == "Q4_K_M"
    assert info.vocab_size == 6
    assert info.tokenizer_model == "llama"
    assert info.chat_template is not None and "messages" in info.chat_template
    assert (info.n_layer, info.n_embd, info.n_head, info.n_head_kv) == (3, 64, 4, 2)
    assert info.parameter_count == 6 * 64 + 64 + 64 * 64
    assert info.file_size == tiny.stat().st_size
    assert info.gguf_version == 3 and info.tensor_count == 3 and not info.estimated


def test_info_round_trips_through_dict(tiny: Path) -> None:
    info = read_info(tiny)
    assert GGUFInfo.from_dict(info.to_dict()) == info


def test_split_model_is_read_as_a_whole(tmp_path: Path) -> None:
    whole = write_tiny_llama(tmp_path / "whole.gguf")
    first, second, third = split_gguf(whole, tmp_path / "m-F32.gguf", max_tensors=8)
    info = read_info(first)
    assert info.split_count == 3 and info.tensor_count == 21
    assert info.file_size == sum(p.stat().st_size for p in (first, second, third))
    assert info.parameter_count == read_info(whole).parameter_count
    assert info.vocab_size == 261 and info.name == "tiny-random-llama"
    third.unlink()
    with pytest.raises(SplitModelError, match=r"Part 3 of 3 is missing.*download all 3 parts"):
        read_info(first)


@pytest.mark.parametrize("keep", [0, 3, 10, 23, 40, 200, 0.5, -1])
def test_truncated_file_is_refused(tiny: Path, keep: float) -> None:
    data = tiny.read_bytes()
    n = int(len(data) * keep) if isinstance(keep, float) else keep
    tiny.write_bytes(data[:n] if keep != -1 else data[:-1])
    with pytest.raises(InvalidGGUFError, match=r"(truncated|empty).*(Download it again|choose)"):
        read_info(tiny)


def test_garbage_and_html_are_refused(tmp_path: Path) -> None:
    html = tmp_path / "model.gguf"
    html.write_bytes(b"<!DOCTYPE html><html><body>Access denied</body></html>")
    with pytest.raises(InvalidGGUFError, match="HTML"):
        read_info(html)
    noise = tmp_path / "noise.gguf"
    noise.write_bytes(random.Random(1).randbytes(4096))
    with pytest.raises(InvalidGGUFError, match="GGUF magic"):
        read_info(noise)
    with pytest.raises(InvalidGGUFError, match="not a file"):
        read_info(tmp_path)


def _header(version: int, n_tensors: int, n_kv: int) -> bytes:
    return b"GGUF" + struct.pack("<IQQ", version, n_tensors, n_kv)


def test_unsupported_version(tmp_path: Path) -> None:
    path = tmp_path / "v9.gguf"
    path.write_bytes(_header(9, 0, 0) + bytes(64))
    with pytest.raises(InvalidGGUFError, match="version 9"):
        read_info(path)


def test_absurd_counts_fail_fast_without_allocating(tmp_path: Path) -> None:
    path = tmp_path / "hostile.gguf"
    path.write_bytes(_header(3, 2**62, 2**62) + bytes(64))
    with pytest.raises(InvalidGGUFError):
        read_info(path)
    # one key whose value is an array of 2**60 strings: GGUFReader alone would loop for ages
    key = b"tokenizer.ggml.tokens"
    kv = struct.pack("<Q", len(key)) + key + struct.pack("<IIQ", 9, 8, 2**60)
    path.write_bytes(_header(3, 0, 1) + kv + bytes(64))
    with pytest.raises(InvalidGGUFError, match="more items"):
        read_info(path)
    # a string claiming 2**63 bytes
    path.write_bytes(_header(3, 0, 1) + struct.pack("<Q", 2**63) + bytes(64))
    with pytest.raises(InvalidGGUFError, match="truncated"):
        read_info(path)


def test_fuzzed_files_raise_only_invalid_gguf(tiny: Path) -> None:
    data = tiny.read_bytes()
    rng = random.Random(42)
    header_end = 1200  # mutate where the metadata and tensor table live
    for _ in range(300):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            mutated[rng.randrange(header_end)] = rng.randrange(256)
        tiny.write_bytes(bytes(mutated))
        with contextlib.suppress(InvalidGGUFError):  # anything else fails the test
            read_info(tiny)


def test_names() -> None:
    assert quant_from_name("Qwen2.5-0.5B-Instruct-Q4_K_M.gguf") == "Q4_K_M"
    assert quant_from_name("smollm2-135m-instruct-q8_0.gguf") == "Q8_0"
    assert quant_from_name("Llama-3-8B-IQ3_XS.gguf") == "IQ3_XS"
    assert quant_from_name("model.F16.gguf") == "F16"
    assert quant_from_name("gemma-3-BF16-00002-of-00003.gguf") == "BF16"
    assert quant_from_name("model.gguf") is None
    assert params_from_name("Qwen2.5-0.5B-Instruct-Q4_K_M.gguf") == 500_000_000
    assert params_from_name("SmolLM2-135M-Instruct.gguf") == 135_000_000
    assert split_info("Big-Q4_K_M-00001-of-00003.gguf") == ("Big-Q4_K_M", 1, 3)
    assert split_info("Big-Q4_K_M.gguf") is None
    assert split_part_name("Big-00001-of-00003.gguf", 3) == "Big-00003-of-00003.gguf"


def test_estimates_from_name_and_size() -> None:
    info = info_from_name("Mystery-Q8_0-00001-of-00002.gguf", 8_500_000_000)
    assert info.estimated and info.file_type == "Q8_0" and info.split_count == 2
    assert info.parameter_count == 8_000_000_000  # 8.5 bits per weight
    assert estimate_memory(info, 4096) > info.file_size


def test_memory_estimate_counts_the_kv_cache() -> None:
    # Llama-3-8B shape: 32 layers, 4096 wide, 32 heads, 8 KV heads -> 128 KiB per token
    info = GGUFInfo(file_size=4_900_000_000, n_layer=32, n_embd=4096, n_head=32, n_head_kv=8)
    kv = estimate_memory(info, 8192) - estimate_memory(info, 0)
    assert kv == 2 * 32 * 8192 * 1024 * 2


def test_fit_verdict() -> None:
    gib = 1024**3
    assert fit_verdict(4 * gib, 16 * gib) == "fits"
    assert fit_verdict(13 * gib, 16 * gib) == "tight"
    assert fit_verdict(17 * gib, 16 * gib) == "won't fit"
    assert fit_verdict(17 * gib, 16 * gib, vram=8 * gib) == "fits"
