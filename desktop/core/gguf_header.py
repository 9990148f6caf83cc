"""The GGUF header reader: one bounds-checked walk over a file's header, in pure Python.

It mirrors llama.cpp's own reader (ggml/src/gguf.cpp, gguf_init_from_file) and the checks its
model loader makes before it touches tensor data: what passes here, llama.cpp accepts. Array
payloads are skipped by their lengths; the one array looked into is the vocabulary (llama.cpp
aborts on a token that appears twice), one set insertion per token: Gemma 3's 262k tokens take
~0.15 s of CPU. Nothing native is called and tensor data is never read.
"""

from __future__ import annotations

import mmap
import os
import struct
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import TokenscopeError
from .gguf_types import ARRAY, BOOL, GGML_TYPES, STRING, TYPE_NAMES, UINT32

GGUF_MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)

# the struct formats of the scalar gguf value types
_FORMATS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "b", 10: "Q", 11: "q",
            12: "d"}  # fmt: skip
KEEP_ARRAY_ITEMS = 4096  # numeric arrays up to this long are read (per-layer values)

MAX_DIMS = 4  # GGML_MAX_DIMS
MAX_NAME = 64  # GGML_MAX_NAME: a tensor name must be shorter
MAX_STRING = 1 << 30  # GGUF_MAX_STRING_LENGTH
MAX_ARRAY = 1 << 30  # GGUF_MAX_ARRAY_ELEMENTS
DEFAULT_ALIGNMENT = 32
_INT64_MAX = 2**63 - 1
_SIZE_MAX = 2**64 - 1
_REDOWNLOAD = "Download it again, or choose another file."


class InvalidGGUFError(TokenscopeError, ValueError):
    """The file is not a usable GGUF model; the message says why and what to do."""


def invalid_gguf(path: Path, reason: str, advice: str = _REDOWNLOAD) -> InvalidGGUFError:
    return InvalidGGUFError(f"{path.name} is not a usable GGUF model: {reason}. {advice}")


def _truncated(path: Path) -> InvalidGGUFError:
    return invalid_gguf(path, "the file is truncated inside its header")


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
            raise invalid_gguf(self.path, f"{what} is {n:,} bytes long (llama.cpp allows 1 GiB)")
        return self.buf[start : start + n]

    def skip_strings(self, count: int, key: str) -> None:
        """Skip `count` strings, reading only their lengths (the hot loop of a vocabulary)."""
        if count * 8 > self.size - self.off:
            raise invalid_gguf(
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
                        raise invalid_gguf(self.path, f"a string in {key!r} is {n:,} bytes long")
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
                raise invalid_gguf(self.path, f"token {i} is {n:,} bytes long")
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
                    raise invalid_gguf(
                        self.path, f"the token {name!r} appears twice in the vocabulary"
                    )
                seen.add(name)
        if len(seen) != count:
            counts = Counter(data[a:b] for a, b in zip(starts, ends, strict=True))
            token = next(t for t, c in counts.items() if c > 1 and t)
            text = token.decode("utf-8", "replace")
            raise invalid_gguf(self.path, f"the token {text!r} appears twice in the vocabulary")
        return off

    def value(self, vtype: int, key: str) -> Any:
        fmt = _FORMATS.get(vtype)
        if fmt is not None:
            value = self.scalar("<" + fmt)
            return bool(value) if vtype == BOOL else value
        if vtype == STRING:
            return self.text(self.raw_string(f"the value of {key!r}"))
        if vtype != ARRAY:
            raise invalid_gguf(self.path, f"the metadata key {key!r} has an unknown type ({vtype})")
        item_type, count = self.scalar("<i"), self.scalar("<Q")
        if count > MAX_ARRAY:
            raise invalid_gguf(
                self.path,
                f"the metadata array {key!r} claims more items ({count:,}) than llama.cpp allows",
            )
        fmt = _FORMATS.get(item_type)
        if fmt is not None:
            start = self.take(count * struct.calcsize(fmt))
            values = None
            if count <= KEEP_ARRAY_ITEMS:
                values = _unpack(f"<{count}{fmt}", self.buf, start)
                if item_type == BOOL:
                    values = tuple(bool(v) for v in values)
            return GGUFArray(item_type, count, values)
        if item_type == STRING:
            self.skip_strings(count, key)
            return GGUFArray(item_type, count)
        raise invalid_gguf(
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
            raise invalid_gguf(path, "the file is empty")
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
        raise invalid_gguf(path, reason, "Choose a .gguf model file.")
    if size < 24:
        raise _truncated(path)


def _parse(path: Path, buf: mmap.mmap) -> GGUFHeader:
    c = _Cursor(path, buf, 4)
    version = c.scalar("<I")
    if version & 0xFFFF == 0 and version:
        raise invalid_gguf(
            path,
            "it was written for big-endian computers, which llama.cpp on this one cannot read",
            "Download the little-endian version of the model.",
        )
    if version not in SUPPORTED_VERSIONS:
        advice = "Update Tokenscope or use a newer file."
        if version in (0, 1):
            advice = "Convert it again with a current llama.cpp, or choose a newer file."
        raise invalid_gguf(path, f"GGUF version {version} is not supported", advice)
    n_tensors, n_kv = c.scalar("<q"), c.scalar("<q")
    remaining = c.size - c.off
    if n_tensors < 0 or n_kv < 0 or n_kv * 13 > remaining or n_tensors * 24 > remaining:
        raise invalid_gguf(
            path, "it is truncated or corrupted (its header lists more than it holds)"
        )

    metadata: dict[str, Any] = {}
    types: dict[str, int] = {}
    seen: set[bytes] = set()
    for i in range(n_kv):
        raw = c.raw_string("a metadata key")
        if not raw:
            raise invalid_gguf(path, f"metadata key {i} is empty")
        utf8 = c.utf8
        key = c.text(raw)
        if raw in seen:
            raise invalid_gguf(path, f"the metadata key {key!r} appears twice")
        seen.add(raw)
        vtype = c.scalar("<i")
        if vtype == ARRAY:
            c.utf8 = utf8  # llama.cpp leaves arrays out of the metadata it hands on
        metadata[key] = c.value(vtype, key)
        types[key] = vtype

    alignment = DEFAULT_ALIGNMENT
    if "general.alignment" in metadata:
        if types["general.alignment"] != UINT32:
            kind = TYPE_NAMES.get(types["general.alignment"], "?")
            raise invalid_gguf(path, f"general.alignment is a {kind}, not a uint32")
        alignment = metadata["general.alignment"]
    if alignment <= 0 or alignment & (alignment - 1):
        raise invalid_gguf(path, f"the alignment {alignment} is not a power of 2")

    tensors = _tensor_table(c, n_tensors)
    data_offset = c.off
    if n_tensors > 0:
        data_offset = -(-c.off // alignment) * alignment
        if data_offset > c.size:
            raise _truncated(path)
    expected = 0
    for t in tensors:
        if t.offset != expected:
            raise invalid_gguf(
                path,
                f"tensor {t.name!r} starts at byte {t.offset:,} of the data where llama.cpp "
                f"expects {expected:,} (tensor data overlaps or has gaps)",
            )
        expected += -(-t.n_bytes // alignment) * alignment
        if expected > _SIZE_MAX:
            raise invalid_gguf(path, "its tensor data is larger than any file can be")
    for t in tensors:
        end = data_offset + t.offset + t.n_bytes
        if end > c.size:
            raise invalid_gguf(
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
            raise invalid_gguf(
                path, f"the tensor name {name[:80]!r} is longer than llama.cpp allows ({len(raw)} "
                f"bytes, at most {MAX_NAME - 1})",
            )
        if raw in names:
            raise invalid_gguf(path, f"the tensor {name!r} appears twice")
        names.add(raw)
        n_dims = c.scalar("<I")
        if n_dims > MAX_DIMS:
            raise invalid_gguf(
                path, f"tensor {name!r} has {n_dims} dimensions; llama.cpp supports at most "
                f"{MAX_DIMS}",
            )
        shape = tuple(c.scalar("<q") for _ in range(n_dims))
        n_elements = 1
        for n in shape:
            if n < 0:
                raise invalid_gguf(path, f"tensor {name!r} has a negative dimension ({n})")
            n_elements *= n
        if n_elements > _INT64_MAX:
            raise invalid_gguf(path, f"tensor {name!r} has too many elements ({shape})")
        ttype = c.scalar("<i")
        kind = GGML_TYPES.get(ttype)
        if kind is None:
            raise invalid_gguf(
                path,
                f"tensor {name!r} has the unknown type {ttype}",
                "The file may need a newer Tokenscope (a newer llama.cpp).",
            )
        type_name, block, type_size = kind
        if block == 0:
            raise invalid_gguf(
                path,
                f"tensor {name!r} has the type {type_name}, which llama.cpp no longer supports",
                "Choose a file quantised with a current llama.cpp.",
            )
        row = shape[0] if shape else 1
        if row % block:
            raise invalid_gguf(
                path,
                f"tensor {name!r} has rows of {row} values, not a multiple of the block size "
                f"{block} of its type {type_name}",
            )
        n_bytes = n_elements // block * type_size
        if n_bytes > _SIZE_MAX:
            raise invalid_gguf(path, f"tensor {name!r} is larger than any file can be")
        offset = c.scalar("<Q")
        tensors.append(TensorInfo(name, shape, ttype, offset, n_elements, n_bytes))
    return tensors

