"""The local model library: GGUF files the app can load.

Where models come from:
- downloads: ``models_dir()/<owner>__<repo>/<file>.gguf`` (written under a temporary name
  and renamed only once verified, so a partial download is never listed);
- imports: copies at the top of ``models_dir()``, or links to files left where they are
  (recorded in ``models_dir()/links.json``);
- GGUF files already in the Hugging Face cache (``huggingface_hub.scan_cache_dir``).

A split model (``-00001-of-00003.gguf``) is one entry, listed only when all its parts are
present; its path is the first part, which is what llama.cpp loads.
"""

from __future__ import annotations

import dataclasses
import difflib
import glob
import json
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from huggingface_hub import constants as hf_constants

from . import paths
from .errors import TokenscopeError
from .gguf_file import GGUFInfo, InvalidGGUFError, read_info, split_info, split_part_name

log = logging.getLogger(__name__)

Source = Literal["downloaded", "imported", "linked", "hf-cache"]
LINKS_FILE = "links.json"
_INFO_CACHE = "gguf-info.json"
_cache_lock = threading.Lock()


class LibraryError(TokenscopeError):
    """A library operation cannot be done; the message says why and what to do."""


class ModelNotFoundError(LibraryError, LookupError):
    """No model by that name or path; the message lists near names."""


class DiskFullError(LibraryError, OSError):
    """Not enough disk space; the message says how much is needed and where."""


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


def format_size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1000:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


def repo_dir(repo_id: str) -> Path:
    """Where downloads from `repo_id` go: ``models_dir()/<owner>__<repo>``."""
    owner, _, name = repo_id.partition("/")
    if not owner or not name or "/" in name or ".." in repo_id:
        raise LibraryError(f"{repo_id!r} is not a Hub repository id: use owner/name.")
    return paths.models_dir() / f"{owner}__{name}"


def check_free_space(folder: Path, need: int, what: str) -> None:
    """Raise `DiskFullError` if `folder`'s file system has less than `need` bytes free."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    margin = 64 * 1024**2
    if free < need + margin:
        raise DiskFullError(
            f"Not enough disk space for {what}: it needs {format_size(need)} but only "
            f"{format_size(free)} is free on {folder}. Free some space, or choose another "
            "models folder (Settings, or the TOKENSCOPE_MODELS_DIR environment variable)."
        )


# --- model name helpers -------------------------------------------------------------------


def _stem(filename: str) -> str:
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


def _read_links() -> list[Path]:
    try:
        data = json.loads((paths.models_dir() / LINKS_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        log.warning("Ignoring unreadable %s: %s", LINKS_FILE, exc)
        return []
    return [Path(p) for p in data if isinstance(p, str)] if isinstance(data, list) else []


def _write_links(links: list[Path]) -> None:
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
    for link in _read_links():
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
            stem = _stem(path.name)
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


# --- lookup -------------------------------------------------------------------------------


def find(name_or_path: str, entries: list[LibraryEntry] | None = None) -> LibraryEntry:
    """The entry for a library name, a file name or stem, or a path inside the library."""
    if entries is None:
        entries = list_models(with_info=False)
    wanted = name_or_path.strip()
    low = wanted.lower()
    as_path = Path(wanted).expanduser()
    checks = (
        lambda e: e.name.lower() == low,
        lambda e: e.name.lower().endswith("/" + low) or e.stem.lower() == low,
        lambda e: any(p.name.lower() == low for p in e.parts),
        lambda e: as_path.exists() and any(_same(as_path, p) for p in e.parts),
    )
    for check in checks:
        matches = [e for e in entries if check(e)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            listed = ", ".join(e.name for e in matches)
            raise ModelNotFoundError(
                f"{wanted!r} matches several models: {listed}. Use the full name."
            )
    raise ModelNotFoundError(_not_found(wanted, entries))


def _same(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False


def _not_found(wanted: str, entries: list[LibraryEntry]) -> str:
    candidates = {e.name: e.name for e in entries} | {e.stem: e.name for e in entries}
    near = difflib.get_close_matches(wanted, list(candidates), n=5, cutoff=0.5)
    low = wanted.lower()
    near += [c for c in candidates if low and low in c.lower() and c not in near]
    names = list(dict.fromkeys(candidates[c] for c in near))[:5]
    message = f"No model named {wanted!r} in the library"
    if names:
        return f"{message}. Did you mean: {', '.join(names)}?"
    return f"{message}. See the list of models, or give the path of a .gguf file."


def resolve(name_or_path: str) -> Path:
    """The file to load for a library name, a file stem, or a path to a .gguf file."""
    candidate = Path(name_or_path).expanduser()
    if candidate.is_file():
        return candidate.resolve()
    if candidate.is_dir():
        raise ModelNotFoundError(f"{name_or_path} is a folder: give a .gguf file inside it.")
    return find(name_or_path).path


# --- changes ------------------------------------------------------------------------------


def import_file(path: str | os.PathLike[str], copy: bool = True) -> LibraryEntry:
    """Add a .gguf file to the library after validating it (all parts, for split models).

    `copy=True` copies it into the models folder; `copy=False` links to it where it is.
    Nothing is written unless the whole model can be used: a later part of a split model,
    a set with a part missing, or a name the library already has is refused.
    """
    source = Path(path).expanduser().resolve()
    info = read_info(source)  # raises InvalidGGUFError / SplitModelError with a clear message
    parts: tuple[Path, ...] = (source,)
    if info.split_count > 1:  # read_info checked that the parts are named as llama.cpp expects
        parts = tuple(
            source.with_name(split_part_name(source.name, i))
            for i in range(1, info.split_count + 1)
        )
    root = paths.models_dir().resolve()
    if root in source.parents:
        return dataclasses.replace(find(str(source)), info=info)
    existing = list_models(with_info=False)
    _check_name_is_free(_stem(source.name), existing)
    if copy:
        _copy_in(parts, root)
        log.info("Imported %s (copy)", source.name)
        return dataclasses.replace(find(str(root / source.name)), info=info)
    links = _read_links()
    if source not in links:
        _write_links([*links, source])
    log.info("Imported %s (link)", source.name)
    return dataclasses.replace(find(str(source)), info=info)


def _check_name_is_free(stem: str, entries: list[LibraryEntry]) -> None:
    for e in entries:
        if e.name.lower() == stem.lower():
            raise LibraryError(
                f"{e.name} is already in the library ({e.source}: {e.path}). Remove it first "
                "to import this file, or rename the file."
            )


def _copy_in(parts: tuple[Path, ...], root: Path) -> None:
    """Copy all parts into `root`, or none (a failed copy removes what it copied)."""
    for part in parts:
        if (root / part.name).exists():
            raise LibraryError(
                f"{part.name} is already in the library. Delete it first to import it again."
            )
    check_free_space(root, sum(p.stat().st_size for p in parts), parts[0].name)
    done: list[Path] = []
    for part in parts:
        tmp = root / f".{part.name}.importing"
        try:
            shutil.copyfile(part, tmp)
            os.replace(tmp, root / part.name)
            done.append(root / part.name)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            for copied in done:
                copied.unlink(missing_ok=True)
            raise LibraryError(f"Could not copy {part.name}: {exc.strerror or exc}.") from exc


def delete(name: str) -> list[Path]:
    """Remove a model from the library; returns the files deleted (none for a link)."""
    entry = find(name)
    if entry.source == "hf-cache":
        raise LibraryError(
            f"{entry.name} is in the Hugging Face cache, shared with other apps: remove it "
            f"with `hf cache rm model/{entry.repo_id}`."
        )
    if entry.source == "linked":
        targets = {p.resolve() for p in entry.parts}
        _write_links([p for p in _read_links() if p.resolve() not in targets])
        log.info("Unlinked %s", entry.name)
        return []
    removed: list[Path] = []
    for part in entry.parts:
        for partial in part.parent.glob(f"{glob.escape(part.name)}.*.incomplete"):
            partial.unlink(missing_ok=True)
        part.unlink(missing_ok=True)
        removed.append(part)
    folder = entry.path.parent
    root = paths.models_dir()
    while folder != root and root in folder.parents and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
    log.info("Deleted %s", entry.name)
    return removed
