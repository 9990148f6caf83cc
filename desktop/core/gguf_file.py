"""GGUF files: validation, metadata, memory estimates.

A file is checked here before llama.cpp ever sees it: a truncated download, a stray HTML
page or a hostile header must give a clear `InvalidGGUFError`, never a crash in native code,
and what passes here loads. The check and the metadata come from one bounds-checked walk
over the header, in pure Python, that follows llama.cpp's own GGUF reader (`read_header`)
and the checks its model loader would make with an abort (`read_info`). Array payloads are
skipped by their lengths, nothing native is called, and a model that passed is remembered
(by path, size, mtime, ctime and inode) so it is read once.

This module reads a model (`read_info`) and remembers what passed; the parts live in
`gguf_types` (the format's numbers), `gguf_header` (the header reader), `gguf_hparams` (the
loader's limits), `gguf_split` (split models), `gguf_info` (`GGUFInfo`, from a header or a
file name) and `gguf_memory` (memory estimates). Everything is importable from here.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from .gguf_header import (
    DEFAULT_ALIGNMENT,
    GGUF_MAGIC,
    KEEP_ARRAY_ITEMS,
    MAX_ARRAY,
    MAX_DIMS,
    MAX_NAME,
    MAX_STRING,
    SUPPORTED_VERSIONS,
    GGUFArray,
    GGUFHeader,
    InvalidGGUFError,
    TensorInfo,
    read_header,
)
from .gguf_hparams import MAX_EXPERTS, MAX_LAYERS, ROPE_SCALING_TYPES, check_hyperparameters
from .gguf_info import (
    BITS_PER_WEIGHT,
    GGUFInfo,
    info_from_header,
    info_from_name,
    params_from_name,
    quant_from_name,
    split_info,
    split_part_name,
)
from .gguf_memory import (
    OVERHEAD_BYTES,
    Verdict,
    available_ram,
    estimate_memory,
    fit_verdict,
    kv_bytes_per_token,
)
from .gguf_split import SplitModelError, part_path, read_split
from .gguf_types import FILE_TYPES, GGML_TYPES

__all__ = [
    "BITS_PER_WEIGHT",
    "CHECKED_FILE",
    "DEFAULT_ALIGNMENT",
    "FILE_TYPES",
    "GGML_TYPES",
    "GGUF_MAGIC",
    "KEEP_ARRAY_ITEMS",
    "MAX_ARRAY",
    "MAX_DIMS",
    "MAX_EXPERTS",
    "MAX_LAYERS",
    "MAX_NAME",
    "MAX_STRING",
    "OVERHEAD_BYTES",
    "ROPE_SCALING_TYPES",
    "SUPPORTED_VERSIONS",
    "GGUFArray",
    "GGUFHeader",
    "GGUFInfo",
    "InvalidGGUFError",
    "SplitModelError",
    "Stamp",
    "TensorInfo",
    "Verdict",
    "available_ram",
    "estimate_memory",
    "fit_verdict",
    "forget_checked",
    "info_from_header",
    "info_from_name",
    "kv_bytes_per_token",
    "params_from_name",
    "quant_from_name",
    "read_header",
    "read_info",
    "split_info",
    "split_part_name",
]

log = logging.getLogger(__name__)


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
    check_hyperparameters(header)
    return header, info_from_header(header)


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
    info = read_split(path, header, info, _read_file)
    count = info.split_count
    parts = [path, *(p for i in range(2, count + 1) if (p := part_path(path, i, count)))]
    _remember(key, parts, info, started)
    return info

