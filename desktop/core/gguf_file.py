"""GGUF files: validation, metadata, memory estimates.

A file is checked here before llama.cpp ever sees it: a truncated download, a stray HTML
page or a hostile header must give a clear `InvalidGGUFError`, never a crash in native code,
and what passes here loads. The check and the metadata come from one bounds-checked walk
over the header, in pure Python, that follows llama.cpp's own GGUF reader (`read_header`)
and the checks its model loader would make with an abort (`read_info`). Array payloads are
skipped by their lengths, nothing native is called, and a model that passed is remembered
(by path, size, mtime, ctime and inode) so it is read once.
"""

from __future__ import annotations

import contextlib
import json
import logging
import mmap
import os
import re
import struct
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal

from .errors import TokenscopeError

log = logging.getLogger(__name__)

GGUF_MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)

Verdict = Literal["fits", "tight", "won't fit"]


class InvalidGGUFError(TokenscopeError, ValueError):
    """The file is not a usable GGUF model; the message says why and what to do."""


@dataclass(frozen=True)
class GGUFInfo:
    """What a GGUF file says about itself (or, with `estimated`, what its name suggests)."""

    file_size: int
    path: Path | None = None
    architecture: str | None = None
    name: str | None = None
    parameter_count: int | None = None
    context_length: int | None = None
    file_type: str | None = None  # quantisation, e.g. "Q4_K_M"
    vocab_size: int | None = None
    tokenizer_model: str | None = None
    chat_template: str | None = None
    n_layer: int | None = None
    n_embd: int | None = None
    n_head: int | None = None
    n_head_kv: int | None = None
    key_length: int | None = None
    value_length: int | None = None
    gguf_version: int | None = None
    tensor_count: int | None = None
    split_count: int = 1
    estimated: bool = False

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = str(self.path) if self.path is not None else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GGUFInfo:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if values.get("path") is not None:
            values["path"] = Path(values["path"])
        return cls(**values)


# --- file names ---------------------------------------------------------------------------

_SPLIT_RE = re.compile(r"^(?P<base>.+)-(?P<index>\d{5})-of-(?P<count>\d{5})\.gguf$", re.I)
_QUANT_RE = re.compile(
    r"(?<![A-Za-z0-9])(I?Q[1-8](?:_[0-9A-Z]+)+|BF16|F16|FP16|F32|FP32|TQ[12]_0|MXFP4(?:_MOE)?)"
    r"(?![A-Za-z0-9])",
    re.I,
)
_PARAMS_RE = re.compile(r"(?<![A-Za-z0-9.])(?:(\d+)x)?(\d+(?:\.\d+)?)([BM])(?![A-Za-z0-9])", re.I)

# Approximate bits per weight of whole files (llama.cpp's quantize table), for estimates.
BITS_PER_WEIGHT: dict[str, float] = {
    "F32": 32.0,
    "F16": 16.0,
    "BF16": 16.0,
    "Q8_0": 8.5,
    "Q6_K": 6.56,
    "Q5_K_M": 5.69,
    "Q5_K_S": 5.54,
    "Q5_1": 6.0,
    "Q5_0": 5.5,
    "Q4_K_M": 4.85,
    "Q4_K_S": 4.58,
    "Q4_1": 5.0,
    "Q4_0": 4.55,
    "IQ4_NL": 4.5,
    "IQ4_XS": 4.25,
    "Q3_K_L": 4.27,
    "Q3_K_M": 3.91,
    "Q3_K_S": 3.5,
    "IQ3_M": 3.66,
    "IQ3_S": 3.44,
    "IQ3_XS": 3.3,
    "IQ3_XXS": 3.06,
    "Q2_K": 3.35,
    "Q2_K_S": 3.0,
    "IQ2_M": 2.7,
    "IQ2_S": 2.5,
    "IQ2_XS": 2.31,
    "IQ2_XXS": 2.06,
    "IQ1_M": 1.75,
    "IQ1_S": 1.56,
    "TQ2_0": 2.06,
    "TQ1_0": 1.69,
    "MXFP4_MOE": 4.25,
}


def split_info(filename: str) -> tuple[str, int, int] | None:
    """`("Model-Q4_K_M", 1, 3)` for `Model-Q4_K_M-00001-of-00003.gguf`; None if not a split."""
    match = _SPLIT_RE.match(Path(filename).name)
    if match is None:
        return None
    return match["base"], int(match["index"]), int(match["count"])


def split_part_name(filename: str, index: int) -> str:
    """The name of part `index` (1-based) of the split set `filename` belongs to."""
    parts = split_info(filename)
    if parts is None:
        raise ValueError(f"{filename} is not part of a split GGUF")
    base, _, count = parts
    return f"{base}-{index:05d}-of-{count:05d}.gguf"


def quant_from_name(filename: str) -> str | None:
    """The quantisation named in a file name (`Q4_K_M`, `IQ3_XS`, `BF16`...), upper-case."""
    stem = Path(filename).name
    parts = split_info(stem)
    stem = parts[0] if parts else re.sub(r"\.gguf$", "", stem, flags=re.I)
    matches = _QUANT_RE.findall(stem)
    if not matches:
        return None
    quant = matches[-1].upper()
    return {"FP16": "F16", "FP32": "F32", "MXFP4": "MXFP4_MOE"}.get(quant, quant)


def params_from_name(name: str) -> int | None:
    """Parameter count named in a model name: `0.5B`, `135M`, `8x7B` (experts multiply)."""
    matches = _PARAMS_RE.findall(Path(name).name)
    if not matches:
        return None
    experts, number, unit = matches[-1]
    scale = 1e9 if unit.upper() == "B" else 1e6
    return int(float(number) * scale * (int(experts) if experts else 1))


def info_from_name(filename: str, size: int) -> GGUFInfo:
    """A rough `GGUFInfo` for a file not downloaded yet, from its name and size alone."""
    quant = quant_from_name(filename)
    params = params_from_name(filename)
    if params is None and quant in BITS_PER_WEIGHT:
        params = int(size * 8 / BITS_PER_WEIGHT[quant])
    parts = split_info(filename)
    return GGUFInfo(
        file_size=size,
        file_type=quant,
        parameter_count=params,
        split_count=parts[2] if parts else 1,
        estimated=True,
    )


# --- the header reader --------------------------------------------------------------------
#
# A pure-Python, bounds-checked walk over the header that mirrors llama.cpp's own reader
# (ggml/src/gguf.cpp, gguf_init_from_file) and the checks its model loader makes before it
# touches tensor data: what passes here, llama.cpp accepts. Array payloads are skipped by
# their lengths; the one array looked into is the vocabulary (llama.cpp aborts on a token
# that appears twice), one set insertion per token: Gemma 3's 262k tokens take ~0.15 s of CPU.

# gguf value types (enum gguf_type) and their struct formats
_UINT8, _INT8, _UINT16, _INT16, _UINT32, _INT32, _FLOAT32, _BOOL = range(8)
_STRING, _ARRAY, _UINT64, _INT64, _FLOAT64 = range(8, 13)
_FORMATS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "b", 10: "Q", 11: "q",
            12: "d"}  # fmt: skip
_TYPE_NAMES = {
    0: "uint8", 1: "int8", 2: "uint16", 3: "int16", 4: "uint32", 5: "int32", 6: "float32",
    7: "bool", 8: "string", 9: "array", 10: "uint64", 11: "int64", 12: "float64",
}  # fmt: skip
KEEP_ARRAY_ITEMS = 4096  # numeric arrays up to this long are read (per-layer values)

# ggml tensor types (enum ggml_type): name, block size, bytes per block, as ggml's type_traits
# in the llama.cpp that llama-cpp-python bundles; a block size of 0 marks a type whose support
# was removed (ggml refuses such tensors). tests/core/test_gguf_file.py checks this table
# against the installed libggml.
GGML_TYPES: dict[int, tuple[str, int, int]] = {
    0: ("F32", 1, 4), 1: ("F16", 1, 2), 2: ("Q4_0", 32, 18), 3: ("Q4_1", 32, 20),
    4: ("Q4_2", 0, 0), 5: ("Q4_3", 0, 0), 6: ("Q5_0", 32, 22), 7: ("Q5_1", 32, 24),
    8: ("Q8_0", 32, 34), 9: ("Q8_1", 32, 36), 10: ("Q2_K", 256, 84), 11: ("Q3_K", 256, 110),
    12: ("Q4_K", 256, 144), 13: ("Q5_K", 256, 176), 14: ("Q6_K", 256, 210),
    15: ("Q8_K", 256, 292), 16: ("IQ2_XXS", 256, 66), 17: ("IQ2_XS", 256, 74),
    18: ("IQ3_XXS", 256, 98), 19: ("IQ1_S", 256, 50), 20: ("IQ4_NL", 32, 18),
    21: ("IQ3_S", 256, 110), 22: ("IQ2_S", 256, 82), 23: ("IQ4_XS", 256, 136),
    24: ("I8", 1, 1), 25: ("I16", 1, 2), 26: ("I32", 1, 4), 27: ("I64", 1, 8),
    28: ("F64", 1, 8), 29: ("IQ1_M", 256, 56), 30: ("BF16", 1, 2), 31: ("Q4_0_4_4", 0, 0),
    32: ("Q4_0_4_8", 0, 0), 33: ("Q4_0_8_8", 0, 0), 34: ("TQ1_0", 256, 54),
    35: ("TQ2_0", 256, 66), 36: ("IQ4_NL_4_4", 0, 0), 37: ("IQ4_NL_4_8", 0, 0),
    38: ("IQ4_NL_8_8", 0, 0), 39: ("MXFP4", 32, 17), 40: ("NVFP4", 64, 36),
    41: ("Q1_0", 128, 18), 42: ("Q2_0", 64, 18),
}  # fmt: skip

# general.file_type (enum llama_ftype) -> the quantisation name people use
FILE_TYPES: dict[int, str] = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K",
    11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S",
    17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS",
    23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S",
    29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0", 37: "TQ2_0",
    38: "MXFP4_MOE", 39: "NVFP4", 40: "Q1_0", 41: "Q2_0",
}  # fmt: skip

MAX_DIMS = 4  # GGML_MAX_DIMS
MAX_NAME = 64  # GGML_MAX_NAME: a tensor name must be shorter
MAX_STRING = 1 << 30  # GGUF_MAX_STRING_LENGTH
MAX_ARRAY = 1 << 30  # GGUF_MAX_ARRAY_ELEMENTS
DEFAULT_ALIGNMENT = 32
_INT64_MAX = 2**63 - 1
_SIZE_MAX = 2**64 - 1
_REDOWNLOAD = "Download it again, or choose another file."


def _invalid(path: Path, reason: str, advice: str = _REDOWNLOAD) -> InvalidGGUFError:
    return InvalidGGUFError(f"{path.name} is not a usable GGUF model: {reason}. {advice}")


def _truncated(path: Path) -> InvalidGGUFError:
    return _invalid(path, "the file is truncated inside its header")


@dataclass(frozen=True)
class GGUFArray:
    """A metadata array: its item type and length; the items only for short numeric arrays."""

    item_type: int
    count: int
    values: tuple[Any, ...] | None = None


@dataclass(frozen=True)
class TensorInfo:
    name: str
    shape: tuple[int, ...]
    type: int  # ggml type id, see GGML_TYPES
    offset: int  # from the start of the data section
    n_elements: int
    n_bytes: int

    @property
    def type_name(self) -> str:
        return GGML_TYPES[self.type][0]


@dataclass(frozen=True)
class GGUFHeader:
    """One GGUF file's header, checked as llama.cpp checks it.

    `metadata` maps each key to a str (invalid UTF-8 shown with replacement characters),
    an int, float or bool, or a `GGUFArray`; `types` gives each key's gguf value type.
    """

    path: Path
    file_size: int
    version: int
    metadata: dict[str, Any]
    types: dict[str, int]
    tensors: tuple[TensorInfo, ...]
    alignment: int
    data_offset: int
    utf8: bool = True  # every key and string value is valid UTF-8 (arrays aside)

    def string(self, key: str) -> str | None:
        value = self.metadata.get(key)
        return value if isinstance(value, str) else None


class _Cursor:
    """Reads little pieces of the header, never past the end of the file."""

    __slots__ = ("buf", "off", "path", "size", "utf8")

    def __init__(self, path: Path, buf: mmap.mmap, off: int) -> None:
        self.path, self.buf, self.off, self.size = path, buf, off, len(buf)
        self.utf8 = True  # every key and string value (outside arrays) so far is valid UTF-8

    def text(self, raw: bytes) -> str:
        """Text as people can read it: invalid UTF-8 shown with replacement characters."""
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self.utf8 = False
            return raw.decode("utf-8", "replace")

    def take(self, n: int) -> int:
        start = self.off
        if n < 0 or start + n > self.size:
            raise _truncated(self.path)
        self.off = start + n
        return start

    def scalar(self, fmt: str) -> Any:
        return _unpack(fmt, self.buf, self.take(struct.calcsize(fmt)))[0]

    def raw_string(self, what: str) -> bytes:
        n = self.scalar("<Q")
        start = self.take(n)
        if n > MAX_STRING:
            raise _invalid(self.path, f"{what} is {n:,} bytes long (llama.cpp allows 1 GiB)")
        return self.buf[start : start + n]

    def skip_strings(self, count: int, key: str) -> None:
        """Skip `count` strings, reading only their lengths (the hot loop of a vocabulary)."""
        if count * 8 > self.size - self.off:
            raise _invalid(
                self.path, f"the metadata array {key!r} claims more items than the file holds"
            )
        unpack = struct.Struct("<Q").unpack_from
        buf, off = self.buf, self.off
        try:
            if key == "tokenizer.ggml.tokens":
                off = self._skip_tokens(count, off)
            else:
                for _ in range(count):
                    n = unpack(buf, off)[0]
                    if n > MAX_STRING:
                        raise _invalid(self.path, f"a string in {key!r} is {n:,} bytes long")
                    off += 8 + n
        except struct.error:
            raise _truncated(self.path) from None
        if off > self.size:
            raise _truncated(self.path)
        self.off = off

    def _skip_tokens(self, count: int, off: int) -> int:
        """The vocabulary: llama.cpp aborts (GGML_ASSERT) when a token text appears twice."""
        unpack = struct.Struct("<Q").unpack_from
        buf, base = self.buf, off
        starts: list[int] = []
        start = starts.append
        for i in range(count):
            n = unpack(buf, off)[0]
            if n > MAX_STRING:
                raise _invalid(self.path, f"token {i} is {n:,} bytes long")
            off += 8
            start(off - base)
            off += n
        if off > self.size:
            raise _truncated(self.path)
        data = buf[base:off]  # one copy; the set below is the only per-token work
        ends = [s - 8 for s in starts[1:]]
        ends.append(off - base)
        seen = set(map(data.__getitem__, map(slice, starts, ends)))
        if b"" in seen:  # llama.cpp names an empty token "[EMPTY_<id>]"
            seen.discard(b"")
            empty = [i for i, (a, b) in enumerate(zip(starts, ends, strict=True)) if a == b]
            for i in empty:
                name = f"[EMPTY_{i}]".encode()
                if name in seen:
                    raise _invalid(self.path, f"the token {name!r} appears twice in the vocabulary")
                seen.add(name)
        if len(seen) != count:
            counts = Counter(data[a:b] for a, b in zip(starts, ends, strict=True))
            token = next(t for t, c in counts.items() if c > 1 and t)
            text = token.decode("utf-8", "replace")
            raise _invalid(self.path, f"the token {text!r} appears twice in the vocabulary")
        return off

    def value(self, vtype: int, key: str) -> Any:
        fmt = _FORMATS.get(vtype)
        if fmt is not None:
            value = self.scalar("<" + fmt)
            return bool(value) if vtype == _BOOL else value
        if vtype == _STRING:
            return self.text(self.raw_string(f"the value of {key!r}"))
        if vtype != _ARRAY:
            raise _invalid(self.path, f"the metadata key {key!r} has an unknown type ({vtype})")
        item_type, count = self.scalar("<i"), self.scalar("<Q")
        if count > MAX_ARRAY:
            raise _invalid(
                self.path,
                f"the metadata array {key!r} claims more items ({count:,}) than llama.cpp allows",
            )
        fmt = _FORMATS.get(item_type)
        if fmt is not None:
            start = self.take(count * struct.calcsize(fmt))
            values = None
            if count <= KEEP_ARRAY_ITEMS:
                values = _unpack(f"<{count}{fmt}", self.buf, start)
                if item_type == _BOOL:
                    values = tuple(bool(v) for v in values)
            return GGUFArray(item_type, count, values)
        if item_type == _STRING:
            self.skip_strings(count, key)
            return GGUFArray(item_type, count)
        raise _invalid(
            self.path, f"the metadata array {key!r} has items of an invalid type ({item_type})"
        )


def _unpack(fmt: str, buf: mmap.mmap, offset: int) -> tuple[Any, ...]:
    return struct.unpack_from(fmt, buf, offset)


def read_header(path: str | os.PathLike[str]) -> GGUFHeader:
    """Read and check one GGUF file's header; raise `InvalidGGUFError` if llama.cpp would
    refuse the file (or could read past its end). Tensor data is never read."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size == 0:
            raise _invalid(path, "the file is empty")
        with path.open("rb") as f:
            head = f.read(16)
            _check_magic(path, head, size)
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
                return _parse(path, buf)
    except OSError as exc:
        reason = exc.strerror or exc
        raise InvalidGGUFError(f"Cannot read {path}: {reason}. Check the file.") from exc


def _check_magic(path: Path, head: bytes, size: int) -> None:
    if len(head) < 4 and GGUF_MAGIC.startswith(head):
        raise _truncated(path)
    if head[:4] != GGUF_MAGIC:
        if head.lstrip()[:1] == b"<":
            reason = "it is an HTML/XML page, not a model (a failed download?)"
        else:
            reason = f"it does not start with the GGUF magic (starts with {head[:4]!r})"
        raise _invalid(path, reason, "Choose a .gguf model file.")
    if size < 24:
        raise _truncated(path)


def _parse(path: Path, buf: mmap.mmap) -> GGUFHeader:
    c = _Cursor(path, buf, 4)
    version = c.scalar("<I")
    if version & 0xFFFF == 0 and version:
        raise _invalid(
            path,
            "it was written for big-endian computers, which llama.cpp on this one cannot read",
            "Download the little-endian version of the model.",
        )
    if version not in SUPPORTED_VERSIONS:
        advice = "Update Tokenscope or use a newer file."
        if version in (0, 1):
            advice = "Convert it again with a current llama.cpp, or choose a newer file."
        raise _invalid(path, f"GGUF version {version} is not supported", advice)
    n_tensors, n_kv = c.scalar("<q"), c.scalar("<q")
    remaining = c.size - c.off
    if n_tensors < 0 or n_kv < 0 or n_kv * 13 > remaining or n_tensors * 24 > remaining:
        raise _invalid(path, "it is truncated or corrupted (its header lists more than it holds)")

    metadata: dict[str, Any] = {}
    types: dict[str, int] = {}
    seen: set[bytes] = set()
    for i in range(n_kv):
        raw = c.raw_string("a metadata key")
        if not raw:
            raise _invalid(path, f"metadata key {i} is empty")
        utf8 = c.utf8
        key = c.text(raw)
        if raw in seen:
            raise _invalid(path, f"the metadata key {key!r} appears twice")
        seen.add(raw)
        vtype = c.scalar("<i")
        if vtype == _ARRAY:
            c.utf8 = utf8  # llama.cpp leaves arrays out of the metadata it hands on
        metadata[key] = c.value(vtype, key)
        types[key] = vtype

    alignment = DEFAULT_ALIGNMENT
    if "general.alignment" in metadata:
        if types["general.alignment"] != _UINT32:
            kind = _TYPE_NAMES.get(types["general.alignment"], "?")
            raise _invalid(path, f"general.alignment is a {kind}, not a uint32")
        alignment = metadata["general.alignment"]
    if alignment <= 0 or alignment & (alignment - 1):
        raise _invalid(path, f"the alignment {alignment} is not a power of 2")

    tensors = _tensor_table(c, n_tensors)
    data_offset = c.off
    if n_tensors > 0:
        data_offset = -(-c.off // alignment) * alignment
        if data_offset > c.size:
            raise _truncated(path)
    expected = 0
    for t in tensors:
        if t.offset != expected:
            raise _invalid(
                path,
                f"tensor {t.name!r} starts at byte {t.offset:,} of the data where llama.cpp "
                f"expects {expected:,} (tensor data overlaps or has gaps)",
            )
        expected += -(-t.n_bytes // alignment) * alignment
        if expected > _SIZE_MAX:
            raise _invalid(path, "its tensor data is larger than any file can be")
    for t in tensors:
        end = data_offset + t.offset + t.n_bytes
        if end > c.size:
            raise _invalid(
                path,
                f"the file is truncated (tensor {t.name!r} ends at byte "
                f"{end:,} but the file has {c.size:,} bytes; an interrupted download?)",
            )
    return GGUFHeader(
        path, c.size, version, metadata, types, tuple(tensors), alignment, data_offset, c.utf8
    )


def _tensor_table(c: _Cursor, n_tensors: int) -> list[TensorInfo]:
    path = c.path
    tensors: list[TensorInfo] = []
    names: set[bytes] = set()
    for _ in range(n_tensors):
        raw = c.raw_string("a tensor name")
        name = raw.decode("utf-8", "replace")
        if len(raw) >= MAX_NAME:
            raise _invalid(
                path, f"the tensor name {name[:80]!r} is longer than llama.cpp allows ({len(raw)} "
                f"bytes, at most {MAX_NAME - 1})",
            )
        if raw in names:
            raise _invalid(path, f"the tensor {name!r} appears twice")
        names.add(raw)
        n_dims = c.scalar("<I")
        if n_dims > MAX_DIMS:
            raise _invalid(
                path, f"tensor {name!r} has {n_dims} dimensions; llama.cpp supports at most "
                f"{MAX_DIMS}",
            )
        shape = tuple(c.scalar("<q") for _ in range(n_dims))
        n_elements = 1
        for n in shape:
            if n < 0:
                raise _invalid(path, f"tensor {name!r} has a negative dimension ({n})")
            n_elements *= n
        if n_elements > _INT64_MAX:
            raise _invalid(path, f"tensor {name!r} has too many elements ({shape})")
        ttype = c.scalar("<i")
        kind = GGML_TYPES.get(ttype)
        if kind is None:
            raise _invalid(
                path,
                f"tensor {name!r} has the unknown type {ttype}",
                "The file may need a newer Tokenscope (a newer llama.cpp).",
            )
        type_name, block, type_size = kind
        if block == 0:
            raise _invalid(
                path,
                f"tensor {name!r} has the type {type_name}, which llama.cpp no longer supports",
                "Choose a file quantised with a current llama.cpp.",
            )
        row = shape[0] if shape else 1
        if row % block:
            raise _invalid(
                path,
                f"tensor {name!r} has rows of {row} values, not a multiple of the block size "
                f"{block} of its type {type_name}",
            )
        n_bytes = n_elements // block * type_size
        if n_bytes > _SIZE_MAX:
            raise _invalid(path, f"tensor {name!r} is larger than any file can be")
        offset = c.scalar("<Q")
        tensors.append(TensorInfo(name, shape, ttype, offset, n_elements, n_bytes))
    return tensors


# --- metadata -----------------------------------------------------------------------------


def _int(value: Any) -> int | None:
    if isinstance(value, GGUFArray):  # per-layer values (e.g. head counts): the largest
        value = max(value.values) if value.values else None
    if isinstance(value, bool):
        return None
    return int(value) if isinstance(value, (int, float)) else None


def _file_type(header: GGUFHeader) -> str | None:
    raw = header.metadata.get("general.file_type")
    if isinstance(raw, int) and not isinstance(raw, bool) and raw in FILE_TYPES:
        return FILE_TYPES[raw]
    types = Counter(t.type_name for t in header.tensors if len(t.shape) >= 2)
    return types.most_common(1)[0][0] if types else None


def info_from_header(header: GGUFHeader) -> GGUFInfo:
    """What one file's header says about the model (sizes of this file alone)."""
    m = header.metadata
    arch = header.string("general.architecture")

    def arch_int(key: str) -> int | None:
        return _int(m.get(f"{arch}.{key}")) if arch else None

    tokens = m.get("tokenizer.ggml.tokens")
    split_count = m.get("split.count")
    return GGUFInfo(
        file_size=header.file_size,
        path=header.path,
        architecture=arch,
        name=header.string("general.name"),
        parameter_count=sum(t.n_elements for t in header.tensors),
        context_length=arch_int("context_length"),
        file_type=_file_type(header),
        vocab_size=tokens.count if isinstance(tokens, GGUFArray) else arch_int("vocab_size"),
        tokenizer_model=header.string("tokenizer.ggml.model"),
        chat_template=header.string("tokenizer.chat_template"),
        n_layer=arch_int("block_count"),
        n_embd=arch_int("embedding_length"),
        n_head=arch_int("attention.head_count"),
        n_head_kv=arch_int("attention.head_count_kv"),
        key_length=arch_int("attention.key_length"),
        value_length=arch_int("attention.value_length"),
        gguf_version=header.version,
        tensor_count=len(header.tensors),
        split_count=split_count if isinstance(split_count, int) and split_count > 1 else 1,
    )


# --- split models -------------------------------------------------------------------------


class SplitModelError(InvalidGGUFError):
    """A later part of a split model was given, or a part of the set is missing.

    `first_part` is the file to open instead, when it exists.
    """

    def __init__(self, message: str, first_part: Path | None = None) -> None:
        super().__init__(message)
        self.first_part = first_part


def _split_key(header: GGUFHeader, key: str, kind: int, required: bool = True) -> int | None:
    """A split.* key as llama.cpp reads it (it aborts on some wrong types: refuse them)."""
    if key not in header.metadata:
        if required:
            raise _invalid(header.path, f"it is part of a split model but has no {key}")
        return None
    if header.types[key] != kind:
        actual = _TYPE_NAMES.get(header.types[key], "?")
        raise _invalid(
            header.path, f"{key} is a {actual}; llama.cpp needs a {_TYPE_NAMES[kind]}"
        )
    return int(header.metadata[key])


def _part_path(path: Path, index: int, count: int) -> Path | None:
    """Part `index` (1-based) of the set `path` belongs to, by llama.cpp's naming rule."""
    match = re.match(r"^(?P<prefix>.+)-(\d{5})-of-(\d{5})\.gguf$", path.name)
    if match is None or int(match[3]) != count:
        return None
    return path.with_name(f"{match['prefix']}-{index:05d}-of-{count:05d}.gguf")


def _read_split(path: Path, header: GGUFHeader, info: GGUFInfo) -> GGUFInfo:
    """Check a split model's parts as llama.cpp's loader does; the info of the whole set."""
    count = _split_key(header, "split.count", _UINT16, required=False) or 1
    if count <= 1:
        return replace(info, split_count=1)
    index = (_split_key(header, "split.no", _UINT16) or 0) + 1
    first = _part_path(path, 1, count)
    if index != 1:
        what = f"{path.name} is part {index} of {count} of a split model"
        if first is None:
            raise SplitModelError(f"{what}: open its part 1 instead.")
        if not first.is_file():
            raise SplitModelError(
                f"{what}, and part 1 ({first.name}) is missing: download all {count} parts "
                "into the same folder, then open part 1."
            )
        raise SplitModelError(f"{what}: open part 1, {first.name}.", first_part=first)
    if first is None or first.name != path.name:
        raise _invalid(
            path,
            f"it is part 1 of a {count}-part model, but its name does not say so, and "
            "llama.cpp finds the other parts by name",
            f"Rename the parts NAME-00001-of-{count:05d}.gguf, NAME-00002-of-{count:05d}.gguf…",
        )
    parts = [p for i in range(2, count + 1) if (p := _part_path(path, i, count)) is not None]
    missing = [i for i, p in enumerate(parts, start=2) if not p.is_file()]
    if missing:
        listed = ", ".join(str(i) for i in missing)
        which = f"Part {listed} of {count} is" if len(missing) == 1 else (
            f"Parts {listed} of {count} are"
        )
        raise SplitModelError(
            f"{which} missing ({parts[missing[0] - 2].name} should be next to {path.name}): "
            f"download all {count} parts into the same folder."
        )
    names = {t.name for t in header.tensors}
    total_size, total_params = info.file_size, info.parameter_count or 0
    for i, part in enumerate(parts, start=2):
        other = _read_file(part)[0]
        no = _split_key(other, "split.no", _UINT16)
        if no != i - 1:
            raise _invalid(
                part, f"it should be part {i} of {count} but says it is part {(no or 0) + 1}",
                "Download all parts of the model again.",
            )
        for t in other.tensors:
            if t.name in names:
                raise _invalid(part, f"the tensor {t.name!r} is also in another part")
            names.add(t.name)
        total_size += other.file_size
        total_params += sum(t.n_elements for t in other.tensors)
    expected = _split_key(header, "split.tensors.count", _INT32)
    if expected != len(names):
        raise _invalid(
            path,
            f"the split model should hold {expected} tensors but its {count} parts hold "
            f"{len(names)}",
            "Download all parts of the model again.",
        )
    return replace(
        info,
        file_size=total_size,
        parameter_count=total_params,
        tensor_count=len(names),
        split_count=count,
    )


# --- reading, remembered ------------------------------------------------------------------
#
# A model that passed is remembered, in memory and in the cache folder, by its path and the
# size, mtime, ctime and inode of every part: opening it again, listing or importing it then
# costs a stat per part. A file changed in the seconds before it was checked is not
# remembered (a later change could leave the same timestamps: "racy" stamps, as in git).

Stamp = tuple[int, int, int, int]
CHECKED_FILE = "gguf-checked.json"
_RACY_NS = 2_000_000_000
_MAX_REMEMBERED = 64
_remembered: dict[str, tuple[list[tuple[str, Stamp]], GGUFInfo]] = {}
_remember_lock = threading.Lock()


def _stamp(path: Path) -> Stamp | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino


def _checked_file() -> Path:
    from . import paths

    return paths.cache_dir() / CHECKED_FILE


def _load_checked() -> dict[str, Any]:
    try:
        data = json.loads(_checked_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _recall(key: str) -> GGUFInfo | None:
    with _remember_lock:
        hit = _remembered.get(key)
    if hit is None:
        entry: Any = _load_checked().get(key)
        try:
            parts = [(str(p), (s[0], s[1], s[2], s[3])) for p, s in entry["parts"]]
            hit = parts, GGUFInfo.from_dict(entry["info"])
        except (TypeError, KeyError, IndexError, ValueError):
            return None
    parts, info = hit
    if any(_stamp(Path(p)) != stamp for p, stamp in parts):
        return None
    with _remember_lock:
        _remembered[key] = hit
    return info


def _remember(key: str, paths_: list[Path], info: GGUFInfo, started_ns: int) -> None:
    parts = []
    for p in paths_:
        stamp = _stamp(p)
        if stamp is None or max(stamp[1], stamp[2]) > started_ns - _RACY_NS:
            return  # changed just now: the stamps cannot vouch for the contents
        parts.append((str(p), stamp))
    with _remember_lock:
        _remembered[key] = parts, info
        data = _load_checked()
        data.pop(key, None)
        data[key] = {"parts": parts, "info": info.to_dict()}
        while len(data) > _MAX_REMEMBERED:
            data.pop(next(iter(data)))
        target = _checked_file()
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(data), encoding="utf-8")
            os.replace(tmp, target)
        except OSError as exc:
            log.debug("Cannot save %s: %s", target, exc)


def forget_checked() -> None:
    """Forget every model checked before (tests; or to force a fresh check)."""
    with _remember_lock:
        _remembered.clear()
        with contextlib.suppress(OSError):
            _checked_file().unlink(missing_ok=True)


def _read_file(path: Path) -> tuple[GGUFHeader, GGUFInfo]:
    header = read_header(path)
    _check_hyperparameters(header)
    return header, info_from_header(header)


MAX_LAYERS = 512  # LLAMA_MAX_LAYERS
MAX_EXPERTS = 1024  # LLAMA_MAX_EXPERTS
ROPE_SCALING_TYPES = ("none", "linear", "yarn", "longrope")


def _check_hyperparameters(header: GGUFHeader) -> None:
    """The checks llama.cpp makes with GGML_ASSERT (an abort, not an error) while it reads
    the hyperparameters every architecture shares (llama_model::load_hparams). A value of
    the wrong type is left to llama.cpp, which refuses it with an error."""
    arch = header.string("general.architecture")
    if arch is None:
        return

    def u32(key: str) -> int | None:
        full = f"{arch}.{key}"
        return header.metadata[full] if header.types.get(full) == _UINT32 else None

    def u32_or_array_max(key: str) -> int | None:
        value = header.metadata.get(f"{arch}.{key}")
        if isinstance(value, GGUFArray):
            if value.item_type in (_UINT32, _INT32) and value.values:
                return max(v & 0xFFFFFFFF for v in value.values)
            return None
        return u32(key)

    def refuse(what: str) -> InvalidGGUFError:
        return _invalid(
            header.path,
            f"its metadata says {what}, which llama.cpp cannot load",
            "The file is damaged or was made for another program; download it again, or "
            "choose another file.",
        )

    n_layer = u32("block_count")
    if n_layer is not None and not 0 < n_layer <= MAX_LAYERS:
        raise refuse(f"{arch}.block_count = {n_layer} (1 to {MAX_LAYERS} layers)")
    nextn = u32("nextn_predict_layers")
    if nextn is not None and n_layer is not None and nextn > n_layer:
        raise refuse(f"{arch}.nextn_predict_layers = {nextn}, more than its {n_layer} layers")
    n_expert = u32("expert_count") or 0
    used = u32_or_array_max("expert_used_count") or 0
    groups = u32("expert_group_count") or 0
    group_used = u32("expert_group_used_count") or 0
    experts = f"{n_expert} experts, {used} used, {groups} groups, {group_used} groups used"
    if n_expert > MAX_EXPERTS or used > n_expert:
        raise refuse(experts)
    if n_expert > 0:
        bad_groups = groups > 1 and (n_expert % groups or not 0 < group_used < groups)
        if used == 0 or groups >= n_expert or bad_groups:
            raise refuse(experts)
    elif groups:
        raise refuse(experts)
    rope = header.metadata.get(f"{arch}.rope.scaling.type")
    if isinstance(rope, str) and rope not in ROPE_SCALING_TYPES:
        raise refuse(f"the RoPE scaling type {rope!r}")


def read_info(path: str | os.PathLike[str]) -> GGUFInfo:
    """Validate a GGUF file as llama.cpp will and read its metadata; raise
    `InvalidGGUFError` (`SplitModelError` for split models) if llama.cpp would refuse it.

    For the first part of a split model (`-00001-of-0000N.gguf`) every part is checked, and
    sizes and parameter counts are summed over the set. A model checked before and not
    changed since is not read again.
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidGGUFError(f"{path} is not a file. Check the path.")
    key = os.path.abspath(path)
    info = _recall(key)
    if info is not None:
        return replace(info, path=path)
    started = time.time_ns()
    header, info = _read_file(path)
    info = _read_split(path, header, info)
    count = info.split_count
    parts = [path, *(p for i in range(2, count + 1) if (p := _part_path(path, i, count)))]
    _remember(key, parts, info, started)
    return info


# --- memory -------------------------------------------------------------------------------

OVERHEAD_BYTES = 64 * 1024**2


def kv_bytes_per_token(info: GGUFInfo) -> int:
    """f16 K and V for one token over all layers; a coarse guess when the shape is unknown."""
    if info.n_layer and info.n_embd and info.n_head:
        n_head_kv = info.n_head_kv or info.n_head
        head_dim = info.n_embd // info.n_head
        k = (info.key_length or head_dim) * n_head_kv
        v = (info.value_length or head_dim) * n_head_kv
        return info.n_layer * (k + v) * 2
    params = info.parameter_count or 0
    return max(16 * 1024, int(params / 1e9 * 32 * 1024))  # pessimistic (no GQA)


def estimate_memory(info: GGUFInfo, n_ctx: int) -> int:
    """Bytes needed to run the model at `n_ctx`: weights + f16 KV cache + a small overhead."""
    weights = info.file_size
    return weights + kv_bytes_per_token(info) * n_ctx + OVERHEAD_BYTES + weights // 50


def fit_verdict(need_bytes: int, available_ram: int, vram: int | None = None) -> Verdict:
    """The verdict: "fits", "tight" (over 75% of what is available) or "won't fit"."""
    available = available_ram + (vram or 0)
    if need_bytes > available:
        return "won't fit"
    if need_bytes > 0.75 * available:
        return "tight"
    return "fits"


def available_ram() -> int:
    """Memory available to a new process now, in bytes (total memory where unknown)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0
