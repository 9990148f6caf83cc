"""Finding the models in the library: the models folder (downloads and copies), the
linked files (``links.json``) and the Hugging Face cache, each model with its metadata
(read once, then kept in a cache file until the files change).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from huggingface_hub import constants as hf_constants

from . import paths
from .gguf_file import GGUFInfo, InvalidGGUFError, read_info, split_info, split_part_name

log = logging.getLogger(__name__)

Source = Literal["downloaded", "imported", "linked", "hf-cache"]
LINKS_FILE = "links.json"
_INFO_CACHE = "gguf-info.json"
_cache_lock = threading.Lock()


@dataclass(frozen=True)
class LibraryEntry:
    name: str  # "owner/repo/stem" for Hub models, "stem" otherwise
    path: Path  # the file to load (first part of a split model)
    source: Source
    size: int  # all parts together
    repo_id: str | None = None
    parts: tuple[Path, ...] = ()
    info: GGUFInfo | None = None
    error: str | None = None  # why the file cannot be used, when it cannot

    @property
    def stem(self) -> str:
        return self.name.rsplit("/", 1)[-1]


# --- model name helpers -------------------------------------------------------------------


def model_stem(filename: str) -> str:
    parts = split_info(filename)
    if parts is not None:
        return parts[0]
    return filename[:-5] if filename.lower().endswith(".gguf") else filename


def _group(files: Iterable[Path]) -> Iterator[tuple[Path, tuple[Path, ...]]]:
    """(path to load, all parts) per model; incomplete split sets are skipped."""
    present = {f.name: f for f in files}
    for name, path in sorted(present.items()):
        parts = split_info(name)
        if parts is None:
            yield path, (path,)
            continue
        if parts[1] != 1:
            continue
        names = [split_part_name(name, i) for i in range(1, parts[2] + 1)]
        if all(n in present for n in names):
            yield path, tuple(present[n] for n in names)
        else:
            log.info("Skipping %s: not all %d parts are present", name, parts[2])


# --- the info cache (reading a big vocabulary takes a moment) ------------------------------


def _cache_path() -> Path:
    return paths.cache_dir() / _INFO_CACHE


def _load_cache() -> dict[str, Any]:
    try:
        data = json.loads(_cache_path().read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _save_cache(cache: dict[str, Any]) -> None:
    target = _cache_path()
    try:
        with tempfile.NamedTemporaryFile("w", dir=target.parent, delete=False, suffix=".tmp") as f:
            json.dump(cache, f)
        os.replace(f.name, target)
    except OSError as exc:
        log.warning("Could not save the model info cache: %s", exc)


def _stamp(parts: tuple[Path, ...]) -> list[list[int]]:
    stamps = []
    for p in parts:
        try:
            st = p.stat()
        except OSError:  # gone since the scan: read_info will say so
            stamps.append([-1, -1])
        else:
            stamps.append([st.st_size, st.st_mtime_ns])
    return stamps


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _info(
    path: Path, parts: tuple[Path, ...], cache: dict[str, Any]
) -> tuple[GGUFInfo | None, str | None]:
    key = str(path)
    stamp = _stamp(parts)
    hit = cache.get(key)
    if isinstance(hit, dict) and hit.get("stamp") == stamp:
        if hit.get("error"):
            return None, str(hit["error"])
        try:
            return GGUFInfo.from_dict(hit["info"]), None
        except (KeyError, TypeError):
            pass
    try:
        info: GGUFInfo | None = read_info(path)
        error = None
    except InvalidGGUFError as exc:
        info, error = None, str(exc)
    cache[key] = {"stamp": stamp, "info": info.to_dict() if info else None, "error": error}
    return info, error


# --- listing ------------------------------------------------------------------------------


def read_links() -> list[Path]:
    try:
        data = json.loads((paths.models_dir() / LINKS_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        log.warning("Ignoring unreadable %s: %s", LINKS_FILE, exc)
        return []
    return [Path(p) for p in data if isinstance(p, str)] if isinstance(data, list) else []


def write_links(links: list[Path]) -> None:
    target = paths.models_dir() / LINKS_FILE
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps([str(p) for p in links], indent=1), encoding="utf-8")
    os.replace(tmp, target)


# A model found by a scan: repo id, source, the file to load, all its parts, and why it cannot
# be used when that is known without reading it (a linked file that is gone).
Found = tuple[str | None, Source, Path, tuple[Path, ...], str | None]


def _scan_models_dir() -> Iterator[Found]:
    root = paths.models_dir()
    by_folder: dict[Path, list[Path]] = {}
    for f in root.rglob("*.gguf"):
        if f.is_file() and not f.name.startswith("."):
            by_folder.setdefault(f.parent, []).append(f)
    for folder, files in sorted(by_folder.items()):
        top = folder.relative_to(root).parts[:1]
        owner, sep, repo = top[0].partition("__") if top else ("", "", "")
        repo_id = f"{owner}/{repo}" if sep and owner and repo else None
        source: Source = "downloaded" if repo_id else "imported"
        for path, parts in _group(files):
            yield repo_id, source, path, parts, None
    yield from _scan_links()


def _scan_links() -> Iterator[Found]:
    """Linked models, also those whose files are gone (listed with the reason, so that they
    can be removed)."""
    seen: set[Path] = set()
    for link in read_links():
        split = split_info(link.name)
        if split is None or split[2] < 2:
            parts: tuple[Path, ...] = (link,)
        else:
            parts = tuple(
                link.with_name(split_part_name(link.name, i)) for i in range(1, split[2] + 1)
            )
        if parts[0] in seen:
            continue
        seen.add(parts[0])
        yield None, "linked", parts[0], parts, _link_problem(link, parts)


def _link_problem(link: Path, parts: tuple[Path, ...]) -> str | None:
    if not link.is_file():
        return (
            f"The linked file {link} is missing (moved or deleted?). Remove this entry, "
            "then import the file from where it is now."
        )
    missing = [i for i, p in enumerate(parts, start=1) if not p.is_file()]
    if missing:
        i = missing[0]
        return (
            f"Part {i} of {len(parts)} ({parts[i - 1].name}) is missing next to {link.name}: "
            f"put all {len(parts)} parts in {link.parent}, or remove this entry."
        )
    return None


def _by_parent(files: list[Path]) -> dict[Path, list[Path]]:
    out: dict[Path, list[Path]] = {}
    for f in files:
        out.setdefault(f.parent, []).append(f)
    return out


def _scan_hf_cache() -> Iterator[Found]:
    if not Path(hf_constants.HF_HUB_CACHE).is_dir():
        return
    from huggingface_hub import scan_cache_dir  # 0.2 s to import: only when there is a cache
    from huggingface_hub.errors import CacheNotFound

    try:
        cache = scan_cache_dir(hf_constants.HF_HUB_CACHE)
    except CacheNotFound:
        return
    except (OSError, ValueError) as exc:
        log.warning("Cannot scan the Hugging Face cache: %s", exc)
        return
    for repo in sorted(cache.repos, key=lambda r: r.repo_id):
        if repo.repo_type != "model":
            continue
        # newest revision first, so each file name is taken from the latest snapshot
        seen: set[str] = set()
        for rev in sorted(repo.revisions, key=lambda r: r.last_modified, reverse=True):
            files = [f.file_path for f in rev.files if f.file_name.lower().endswith(".gguf")]
            for folder_files in _by_parent(files).values():
                for path, parts in _group(folder_files):
                    rel = str(path.relative_to(rev.snapshot_path))
                    if rel not in seen:
                        seen.add(rel)
                        yield repo.repo_id, "hf-cache", path, parts, None


def list_models(*, with_info: bool = True) -> list[LibraryEntry]:
    """Every model the app can load, downloads first; `with_info` reads (cached) metadata."""
    cache = _load_cache() if with_info else {}
    entries: list[LibraryEntry] = []
    names: set[str] = set()
    for scan in (_scan_models_dir, _scan_hf_cache):
        for repo_id, source, path, parts, problem in scan():
            stem = model_stem(path.name)
            name = f"{repo_id}/{stem}" if repo_id else stem
            if name.lower() in names:
                continue
            names.add(name.lower())
            info, error = None, problem
            if with_info and problem is None:
                info, error = _info(path, parts, cache)
            size = sum(_size(p) for p in parts)
            entries.append(LibraryEntry(name, path, source, size, repo_id, parts, info, error))
    if with_info:
        with _cache_lock:
            _save_cache(cache)
    return entries
