"""GGUF files: validation, metadata, memory estimates.

A file is checked here before llama.cpp ever sees it: a truncated download or a stray HTML
page must give a clear `InvalidGGUFError`, not a crash in native code. Validation has two
steps: a bounds-checked walk over the header (so absurd counts in a hostile file cannot make
the parser loop or allocate without end), then `gguf.GGUFReader` for the metadata.
"""

from __future__ import annotations

import functools
import logging
import mmap
import os
import re
import struct
from collections import Counter
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal

from gguf import GGML_QUANT_SIZES, GGMLQuantizationType, GGUFReader, LlamaFileType

from .errors import TokenscopeError

log = logging.getLogger(__name__)

GGUF_MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)
MAX_DIMS = 8  # ggml uses 4; leave room, reject nonsense
MAX_ARRAY_DEPTH = 3

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


# --- validation ---------------------------------------------------------------------------

_SCALAR_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_STRING, _ARRAY = 8, 9
_REDOWNLOAD = "Download it again, or choose another file."


def _invalid(path: Path, reason: str, advice: str = _REDOWNLOAD) -> InvalidGGUFError:
    return InvalidGGUFError(f"{path.name} is not a usable GGUF model: {reason}. {advice}")


class _Walker:
    """Bounds-checked reader over the header bytes."""

    def __init__(self, path: Path, buf: mmap.mmap, order: str) -> None:
        self.path, self.buf, self.order, self.off = path, buf, order, 0
        self.size = len(buf)

    def take(self, n: int) -> int:
        if n < 0 or self.off + n > self.size:
            raise _invalid(self.path, "the file is truncated inside its header")
        start = self.off
        self.off += n
        return start

    def u32(self) -> int:
        return int(struct.unpack_from(self.order + "I", self.buf, self.take(4))[0])

    def u64(self) -> int:
        return int(struct.unpack_from(self.order + "Q", self.buf, self.take(8))[0])

    def string(self) -> bytes:
        n = self.u64()
        start = self.take(n)
        return bytes(self.buf[start : start + n])

    def remaining(self) -> int:
        return self.size - self.off

    def value(self, vtype: int, depth: int = 0) -> int | None:
        """Skip one value; return it when it is an unsigned 32-bit int (for alignment)."""
        if vtype in _SCALAR_SIZES:
            start = self.take(_SCALAR_SIZES[vtype])
            if vtype != 4:
                return None
            return int(struct.unpack_from(self.order + "I", self.buf, start)[0])
        if vtype == _STRING:
            self.string()
            return None
        if vtype != _ARRAY or depth >= MAX_ARRAY_DEPTH:
            raise _invalid(self.path, f"unknown metadata value type {vtype}")
        itype, count = self.u32(), self.u64()
        if itype in _SCALAR_SIZES:
            self.take(count * _SCALAR_SIZES[itype])
            return None
        if count * 8 > self.remaining():  # every string or array takes at least 8 bytes
            raise _invalid(self.path, "a metadata array claims more items than the file holds")
        for _ in range(count):
            self.value(itype, depth + 1)
        return None


def _check_structure(path: Path) -> None:
    """Walk magic, version, metadata and tensor table; every tensor must lie in the file."""
    size = path.stat().st_size
    if size == 0:
        raise _invalid(path, "the file is empty")
    with path.open("rb") as f:
        head = f.read(16)
        if len(head) < 4 and GGUF_MAGIC.startswith(head):
            raise _invalid(path, "the file is truncated inside its header")
        if head[:4] != GGUF_MAGIC:
            if head.lstrip()[:1] == b"<":
                reason = "it is an HTML/XML page, not a model (a failed download?)"
            else:
                reason = f"it does not start with the GGUF magic (starts with {head[:4]!r})"
            raise _invalid(path, reason, "Choose a .gguf model file.")
        if size < 24:
            raise _invalid(path, "the file is truncated inside its header")
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            _walk(path, buf)


def _walk(path: Path, buf: mmap.mmap) -> None:
    version = struct.unpack_from("<I", buf, 4)[0]
    order = "<"
    if version & 0xFFFF == 0:  # written on a big-endian machine
        order, version = ">", struct.unpack_from(">I", buf, 4)[0]
    if version not in SUPPORTED_VERSIONS:
        advice = "Update Tokenscope or use a newer file."
        raise _invalid(path, f"GGUF version {version} is not supported", advice)
    w = _Walker(path, buf, order)
    w.off = 8
    n_tensors, n_kv = w.u64(), w.u64()
    if n_kv * 13 > w.remaining() or n_tensors * 24 > w.remaining():
        raise _invalid(path, "it is truncated or corrupted (its header lists more than it holds)")
    alignment = 32
    for _ in range(n_kv):
        key = w.string()
        value = w.value(w.u32())
        if key == b"general.alignment" and value is not None:
            alignment = value
    if alignment <= 0 or alignment & (alignment - 1):
        raise _invalid(path, f"invalid alignment {alignment}")
    table: list[tuple[str, int, int]] = []
    for _ in range(n_tensors):
        name = w.string().decode(errors="replace")
        n_dims = w.u32()
        if n_dims > MAX_DIMS:
            raise _invalid(path, f"tensor {name!r} has {n_dims} dimensions")
        n_elements = 1
        for _ in range(n_dims):
            n_elements *= w.u64()
        ttype, offset = w.u32(), w.u64()
        try:
            block, type_size = GGML_QUANT_SIZES[GGMLQuantizationType(ttype)]
        except (ValueError, KeyError):
            raise _invalid(
                path, f"tensor type {ttype} is unknown", "The file may need a newer Tokenscope."
            ) from None
        table.append((name, offset, n_elements * type_size // block))
    data_start = -(-w.off // alignment) * alignment
    for name, offset, n_bytes in table:
        end = data_start + offset + n_bytes
        if end > w.size:
            raise _invalid(
                path,
                f"the file is truncated (tensor {name!r} ends at byte "
                f"{end:,} but the file has {w.size:,} bytes; an interrupted download?)",
            )


# --- metadata -----------------------------------------------------------------------------


def _field(reader: GGUFReader, key: str) -> Any:
    field = reader.get_field(key)
    return None if field is None else field.contents()


def _int(value: Any) -> int | None:
    if isinstance(value, list):  # per-layer values (e.g. head counts): the largest matters
        value = max(value) if value else None
    return int(value) if isinstance(value, (int, float)) else None


def _arch_int(reader: GGUFReader, prefix: str, key: str) -> int | None:
    return _int(_field(reader, prefix + key))


def _file_type(reader: GGUFReader) -> str | None:
    raw = _field(reader, "general.file_type")
    if isinstance(raw, int):
        try:
            ftype = LlamaFileType(raw)
        except ValueError:
            ftype = None
        if ftype is not None and ftype != LlamaFileType.GUESSED:
            return "F32" if ftype == LlamaFileType.ALL_F32 else ftype.name.removeprefix("MOSTLY_")
    types = Counter(t.tensor_type.name for t in reader.tensors if len(t.shape) >= 2)
    return types.most_common(1)[0][0] if types else None


def _read_one(path: Path) -> GGUFInfo:
    _check_structure(path)
    try:
        reader = GGUFReader(path)
        arch = _field(reader, "general.architecture")
        prefix = f"{arch}." if isinstance(arch, str) else "\0"
        meta = functools.partial(_arch_int, reader, prefix)
        tokens = reader.get_field("tokenizer.ggml.tokens")
        vocab_size = len(tokens.data) if tokens is not None else meta("vocab_size")
        name = _field(reader, "general.name")
        tokenizer = _field(reader, "tokenizer.ggml.model")
        template = _field(reader, "tokenizer.chat_template")
        info = GGUFInfo(
            file_size=path.stat().st_size,
            path=path,
            architecture=arch if isinstance(arch, str) else None,
            name=name if isinstance(name, str) else None,
            parameter_count=sum(int(t.n_elements) for t in reader.tensors),
            context_length=meta("context_length"),
            file_type=_file_type(reader),
            vocab_size=vocab_size,
            tokenizer_model=tokenizer if isinstance(tokenizer, str) else None,
            chat_template=template if isinstance(template, str) else None,
            n_layer=meta("block_count"),
            n_embd=meta("embedding_length"),
            n_head=meta("attention.head_count"),
            n_head_kv=meta("attention.head_count_kv"),
            key_length=meta("attention.key_length"),
            value_length=meta("attention.value_length"),
            gguf_version=_int(_field(reader, "GGUF.version")),
            tensor_count=len(reader.tensors),
            split_count=_int(_field(reader, "split.count")) or 1,
        )
        del reader, meta  # drop the memory map now (Windows cannot delete a mapped file)
        return info
    except InvalidGGUFError:
        raise
    except Exception as exc:  # GGUFReader on hostile input: ValueError, KeyError, MemoryError...
        log.debug("GGUFReader rejected %s", path, exc_info=True)
        raise _invalid(path, f"its contents are malformed ({type(exc).__name__}: {exc})") from exc


def read_info(path: str | os.PathLike[str]) -> GGUFInfo:
    """Validate a GGUF file and read its metadata; raise `InvalidGGUFError` if unusable.

    For the first part of a split model (`-00001-of-0000N.gguf`) every part is validated
    and sizes and parameter counts are summed over the set.
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidGGUFError(f"{path} is not a file. Check the path.")
    try:
        info = _read_one(path)
    except OSError as exc:
        reason = exc.strerror or exc
        raise InvalidGGUFError(f"Cannot read {path}: {reason}. Check the file.") from exc
    parts = split_info(path.name)
    if parts is None or parts[1] != 1 or parts[2] < 2:
        return info
    total_size, total_params = info.file_size, info.parameter_count or 0
    for index in range(2, parts[2] + 1):
        part = path.with_name(split_part_name(path.name, index))
        if not part.is_file():
            raise InvalidGGUFError(
                f"{part.name} (part {index} of {parts[2]}) is missing next to {path.name}. "
                "Download all parts of the model."
            )
        other = _read_one(part)
        total_size += other.file_size
        total_params += other.parameter_count or 0
    return replace(info, file_size=total_size, parameter_count=total_params, split_count=parts[2])


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
