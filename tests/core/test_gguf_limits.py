"""Validation follows llama.cpp's own limits: what it refuses is refused here with a reason,
what passes here llama.cpp reads (its C reader run on the same files in a subprocess), and
the real models are read in a fraction of a second."""

from __future__ import annotations

import ctypes
import random
import struct
import time
from pathlib import Path

import pytest

from desktop.core import gguf_file
from desktop.core.gguf_file import GGML_TYPES, InvalidGGUFError, read_header, read_info
from desktop.core.tiny_model import write_tiny_llama
from tests.gguf_tools import (
    ARRAY,
    STRING,
    UINT32,
    UINT64,
    c_reader,
    ggml_base_library,
    gguf_string,
    llama_cpp_loads,
    raw_gguf,
)

needs_ggml = pytest.mark.skipif(ggml_base_library() is None, reason="needs llama-cpp-python")

F32, Q4_0 = 0, 2
NAME = (b"general.name", STRING, gguf_string(b"tiny"))


def build(
    kv: list[tuple[bytes, int, bytes]] | None = None,
    tensors: list[tuple[bytes, tuple[int, ...], int, int]] | None = None,
    data: bytes = bytes(64),
    **kwargs: int | str,
) -> bytes:
    """Two 8-float tensors back to back (each 32 bytes: aligned), unless told otherwise."""
    if tensors is None:
        tensors = [(b"a", (8,), F32, 0), (b"b", (8,), F32, 32)]
    return raw_gguf([NAME] if kv is None else kv, tensors, data, **kwargs)  # type: ignore[arg-type]


def u32(n: int) -> bytes:
    return struct.pack("<I", n)


# (what, file bytes, what the message says)
REFUSED = [
    ("5 dimensions", build(tensors=[(b"a", (1, 1, 1, 1, 8), F32, 0)]), "5 dimensions"),
    ("overlapping data", build(tensors=[(b"a", (8,), F32, 0), (b"b", (8,), F32, 0)]), "overlaps"),
    (
        "a gap in the data",
        build(tensors=[(b"a", (8,), F32, 0), (b"b", (8,), F32, 64)], data=bytes(96)),
        "gaps",
    ),
    ("a 64-byte tensor name", build(tensors=[(b"x" * 64, (8,), F32, 0)]), "longer than"),
    ("a tensor twice", build(tensors=[(b"a", (8,), F32, 0), (b"a", (8,), F32, 32)]), "twice"),
    ("a key twice", build(kv=[NAME, NAME]), "appears twice"),
    ("an empty key", build(kv=[(b"", STRING, gguf_string(b"x"))]), "is empty"),
    (
        "alignment as uint64",
        build(kv=[(b"general.alignment", UINT64, struct.pack("<Q", 32))]),
        "not a uint32",
    ),
    (
        "alignment 48",
        build(kv=[(b"general.alignment", UINT32, u32(48))], alignment=48),
        "not a power of 2",
    ),
    (
        "an array of arrays",
        build(kv=[(b"nested", ARRAY, u32(ARRAY) + struct.pack("<Q", 0))]),
        "invalid type",
    ),
    ("an unknown value type", build(kv=[(b"odd", 13, b"")]), "unknown type"),
    ("a removed tensor type", build(tensors=[(b"a", (8,), 4, 0)]), "no longer supports"),
    ("an unknown tensor type", build(tensors=[(b"a", (8,), 99, 0)]), "unknown type 99"),
    (
        "rows not a multiple of the block",
        build(tensors=[(b"a", (48,), Q4_0, 0)], data=bytes(32)),
        "multiple of the block size",
    ),
    ("a negative dimension", build(tensors=[(b"a", (-8,), F32, 0)]), "negative"),
    ("GGUF version 1", build(version=1), "version 1"),
    ("a big-endian file", build(byte_order=">"), "big-endian"),
    ("tensor data past the end", build(data=bytes(40)), "truncated"),
]


def strings(*items: bytes) -> bytes:
    return u32(STRING) + struct.pack("<Q", len(items)) + b"".join(map(gguf_string, items))


LLAMA = (b"general.architecture", STRING, gguf_string(b"llama"))

# What llama.cpp's model loader would abort on (GGML_ASSERT), not refuse with an error.
ABORTS = [
    (
        "a token twice in the vocabulary",
        build(kv=[(b"tokenizer.ggml.tokens", ARRAY, strings(b"<s>", b"hi", b"hi"))]),
        "'hi' appears twice",
    ),
    (
        "an empty token named like another one",
        build(kv=[(b"tokenizer.ggml.tokens", ARRAY, strings(b"[EMPTY_1]", b""))]),
        "appears twice",
    ),
    ("0 layers", build(kv=[LLAMA, (b"llama.block_count", UINT32, u32(0))]), "block_count = 0"),
    (
        "2**30 layers",
        build(kv=[LLAMA, (b"llama.block_count", UINT32, u32(2**30))]),
        "1 to 512 layers",
    ),
    (
        "more experts used than there are",
        build(
            kv=[
                LLAMA,
                (b"llama.expert_count", UINT32, u32(4)),
                (b"llama.expert_used_count", UINT32, u32(8)),
            ]
        ),
        "4 experts, 8 used",
    ),
    (
        "an unknown RoPE scaling",
        build(kv=[LLAMA, (b"llama.rope.scaling.type", STRING, gguf_string(b"spiral"))]),
        "RoPE scaling type 'spiral'",
    ),
    # a chat template that does not compile is *not* refused: Engine loads the model with
    # the binding's template compilation off and falls back to the plain template
    # (tests/core/test_chat.py::test_a_model_with_a_broken_template_still_loads_and_chats)
]


@pytest.mark.parametrize(("what", "data", "reason"), ABORTS, ids=[r[0] for r in ABORTS])
def test_what_would_abort_llama_cpp_is_refused_with_a_reason(
    tmp_path: Path, what: str, data: bytes, reason: str
) -> None:
    path = tmp_path / "m.gguf"
    path.write_bytes(data)
    with pytest.raises(InvalidGGUFError, match=reason):
        read_info(path)


def test_a_vocabulary_of_distinct_tokens_passes(tmp_path: Path) -> None:
    path = tmp_path / "m.gguf"
    tokens = (b"tokenizer.ggml.tokens", ARRAY, strings(b"<s>", b"", b"", b"hi"))  # 2 empty
    path.write_bytes(build(kv=[NAME, tokens]))
    assert read_info(path).vocab_size == 4


@pytest.mark.parametrize(("what", "data", "reason"), REFUSED, ids=[r[0] for r in REFUSED])
def test_what_llama_cpp_refuses_is_refused_with_a_reason(
    tmp_path: Path, what: str, data: bytes, reason: str
) -> None:
    path = tmp_path / "m.gguf"
    path.write_bytes(data)
    with pytest.raises(InvalidGGUFError, match=reason) as err:
        read_info(path)
    assert str(err.value).startswith("m.gguf is not a usable GGUF model: ")
    assert str(err.value).rstrip().endswith(".")


@needs_ggml
def test_llama_cpp_refuses_them_too(tmp_path: Path) -> None:
    """The same files through llama.cpp's own reader: refused there as well (except tensor
    data past the end of the file, which its model loader refuses, not the reader), while
    the well-formed one is read the same way."""
    files = []
    for i, (what, data, _) in enumerate(REFUSED):
        if what != "tensor data past the end":
            files.append(tmp_path / f"{i}.gguf")
            files[-1].write_bytes(data)
    good = tmp_path / "good.gguf"
    good.write_bytes(build())
    *refused, accepted = c_reader([*files, good])
    assert refused == [None] * len(files)
    header = read_header(good)
    assert accepted == {"n_kv": 1, "data_offset": header.data_offset, "offsets": [0, 32]}


def _mutants(seed_file: Path, folder: Path, n: int, header_end: int) -> list[Path]:
    data = seed_file.read_bytes()
    rng = random.Random(7)
    out = []
    for i in range(n):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(header_end)
            if rng.random() < 0.5:
                mutated[at] = rng.randrange(256)
            else:
                mutated[at] ^= 1 << rng.randrange(8)
        path = folder / f"mutant-{i:03d}.gguf"
        path.write_bytes(bytes(mutated))
        out.append(path)
    return out


@needs_ggml
def test_what_passes_validation_is_read_the_same_by_llama_cpp(tmp_path: Path) -> None:
    """Mutated headers: whatever passes here, llama.cpp's reader reads, with the same data
    offset and tensor offsets (and never the other way round for a structural reason)."""
    seed = write_tiny_llama(tmp_path / "seed.gguf", n_embd=32, n_ff=64)
    header_end = read_header(seed).data_offset
    files = _mutants(seed, tmp_path, 400, header_end)
    verdicts = c_reader(files)
    passed = 0
    for path, theirs in zip(files, verdicts, strict=True):
        try:
            ours = read_header(path)
        except InvalidGGUFError:
            continue
        passed += 1
        assert theirs is not None, f"{path.name} passes validation but llama.cpp refuses it"
        assert theirs["data_offset"] == ours.data_offset
        assert theirs["offsets"] == [t.offset for t in ours.tensors]
        assert theirs["n_kv"] == len(ours.metadata)
    assert passed > 50  # the test did test something


@needs_ggml
def test_what_passes_validation_loads_without_crashing(tmp_path: Path) -> None:
    """The mutants that pass validation, loaded by llama.cpp in a subprocess: it may refuse
    a nonsensical value (an exception, shown to the user as such), but never crashes."""
    seed = write_tiny_llama(tmp_path / "seed.gguf", n_embd=32, n_ff=64)
    header_end = read_header(seed).data_offset
    files = []
    for path in _mutants(seed, tmp_path, 150, header_end):
        try:
            read_info(path)
        except InvalidGGUFError:
            continue
        files.append(path)
    results = llama_cpp_loads(files)  # asserts that the process survived
    assert len(results) == len(files)
    assert results.count("loaded") > len(files) // 2


@needs_ggml
def test_tensor_types_match_the_installed_ggml() -> None:
    lib = ctypes.CDLL(str(ggml_base_library()))
    lib.ggml_blck_size.restype = ctypes.c_int64
    lib.ggml_type_size.restype = ctypes.c_size_t
    lib.ggml_type_name.restype = ctypes.c_char_p
    for ttype, (name, block, size) in GGML_TYPES.items():
        assert lib.ggml_blck_size(ttype) == block, name
        if block:
            assert lib.ggml_type_size(ttype) == size, name
            assert lib.ggml_type_name(ttype).decode().upper() == name, name


@needs_ggml
@pytest.mark.slow
def test_real_models_are_read_as_llama_cpp_reads_them(smollm2: Path, gemma3: Path) -> None:
    theirs = c_reader([smollm2, gemma3])
    for path, c in zip((smollm2, gemma3), theirs, strict=True):
        ours = read_header(path)
        assert c is not None
        assert c["data_offset"] == ours.data_offset
        assert c["offsets"] == [t.offset for t in ours.tensors]
        assert c["n_kv"] == len(ours.metadata)


@pytest.mark.slow
def test_gemma_metadata_and_validation_take_a_fraction_of_a_second(gemma3: Path) -> None:
    """CPU time (wall time on a busy test machine says more about the machine)."""
    best = float("inf")
    for _ in range(3):
        gguf_file.forget_checked()  # no help from a check made before
        start = time.process_time()
        info = read_info(gemma3)
        best = min(best, time.process_time() - start)
    assert best <= 0.3, f"{best:.2f} s"
    start = time.process_time()
    assert read_info(gemma3) == info  # checked before: remembered
    assert time.process_time() - start < 0.02
    assert (info.architecture, info.vocab_size, info.tokenizer_model) == ("gemma3", 262144, "llama")
    assert (info.file_type, info.context_length, info.chat_template) == ("Q4_K_M", 32768, None)
    assert info.parameter_count == 268_098_176 and info.tensor_count == 236


def test_a_checked_model_is_remembered_until_it_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_tiny_llama(tmp_path / "m.gguf")
    monkeypatch.setattr(gguf_file, "_RACY_NS", 0)  # the file was written just now
    first = read_info(path)
    reads: list[Path] = []
    monkeypatch.setattr(gguf_file, "read_header", lambda p: reads.append(p) or read_header(p))
    assert read_info(path) == first and reads == []
    gguf_file._remembered.clear()  # another process: remembered in the cache folder
    assert read_info(path) == first and reads == []
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(InvalidGGUFError, match="truncated"):
        read_info(path)
    assert reads == [path]


def test_a_file_changed_just_before_its_check_is_not_remembered(tmp_path: Path) -> None:
    path = write_tiny_llama(tmp_path / "m.gguf")
    read_info(path)
    assert gguf_file._recall(str(path)) is None
