"""What a GGUF model is: `GGUFInfo`, read from a checked header or guessed from a file name.

The guesses (quantisation, parameter count, split parts) serve files not downloaded yet: the
Hub lists names and sizes, and the library groups split parts by name.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from .gguf_header import GGUFArray, GGUFHeader
from .gguf_types import FILE_TYPES


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

