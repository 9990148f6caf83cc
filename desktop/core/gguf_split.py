"""Split models (``NAME-00001-of-00003.gguf``…): every part checked as llama.cpp's loader
checks it, and the sizes and parameter counts of the whole set.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from .gguf_header import GGUFHeader, InvalidGGUFError, invalid_gguf
from .gguf_info import GGUFInfo
from .gguf_types import INT32, TYPE_NAMES, UINT16

#: reads and checks one file: its header and what it says (gguf_file's `_read_file`)
ReadPart = Callable[[Path], tuple[GGUFHeader, GGUFInfo]]


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
            raise invalid_gguf(header.path, f"it is part of a split model but has no {key}")
        return None
    if header.types[key] != kind:
        actual = TYPE_NAMES.get(header.types[key], "?")
        raise invalid_gguf(
            header.path, f"{key} is a {actual}; llama.cpp needs a {TYPE_NAMES[kind]}"
        )
    return int(header.metadata[key])


def part_path(path: Path, index: int, count: int) -> Path | None:
    """Part `index` (1-based) of the set `path` belongs to, by llama.cpp's naming rule."""
    match = re.match(r"^(?P<prefix>.+)-(\d{5})-of-(\d{5})\.gguf$", path.name)
    if match is None or int(match[3]) != count:
        return None
    return path.with_name(f"{match['prefix']}-{index:05d}-of-{count:05d}.gguf")


def read_split(
    path: Path, header: GGUFHeader, info: GGUFInfo, read_part: ReadPart
) -> GGUFInfo:
    """Check a split model's parts as llama.cpp's loader does; the info of the whole set.
    `read_part` reads and checks one later part."""
    count = _split_key(header, "split.count", UINT16, required=False) or 1
    if count <= 1:
        return replace(info, split_count=1)
    index = (_split_key(header, "split.no", UINT16) or 0) + 1
    first = part_path(path, 1, count)
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
        raise invalid_gguf(
            path,
            f"it is part 1 of a {count}-part model, but its name does not say so, and "
            "llama.cpp finds the other parts by name",
            f"Rename the parts NAME-00001-of-{count:05d}.gguf, NAME-00002-of-{count:05d}.gguf…",
        )
    parts = [p for i in range(2, count + 1) if (p := part_path(path, i, count)) is not None]
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
        other = read_part(part)[0]
        no = _split_key(other, "split.no", UINT16)
        if no != i - 1:
            raise invalid_gguf(
                part, f"it should be part {i} of {count} but says it is part {(no or 0) + 1}",
                "Download all parts of the model again.",
            )
        for t in other.tensors:
            if t.name in names:
                raise invalid_gguf(part, f"the tensor {t.name!r} is also in another part")
            names.add(t.name)
        total_size += other.file_size
        total_params += sum(t.n_elements for t in other.tensors)
    expected = _split_key(header, "split.tensors.count", INT32)
    if expected != len(names):
        raise invalid_gguf(
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

