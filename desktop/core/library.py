"""The local model library: GGUF files the app can load.

Where models come from:
- downloads: ``models_dir()/<owner>__<repo>/<file>.gguf`` (written under a temporary name
  and renamed only once verified, so a partial download is never listed);
- imports: copies at the top of ``models_dir()``, or links to files left where they are
  (recorded in ``models_dir()/links.json``);
- GGUF files already in the Hugging Face cache (``huggingface_hub.scan_cache_dir``).

A split model (``-00001-of-00003.gguf``) is one entry, listed only when all its parts are
present; its path is the first part, which is what llama.cpp loads.

Finding the models (the scans and the cache of their metadata) is in ``library_scan``; here
are lookup, import and removal. Everything is importable from here.
"""

from __future__ import annotations

import dataclasses
import difflib
import glob
import logging
import os
import shutil
from pathlib import Path

from . import paths
from .errors import TokenscopeError
from .gguf_file import read_info, split_part_name
from .library_scan import (
    LINKS_FILE,
    Found,
    LibraryEntry,
    Source,
    list_models,
    model_stem,
    read_links,
    write_links,
)

__all__ = [
    "LINKS_FILE",
    "DiskFullError",
    "Found",
    "LibraryEntry",
    "LibraryError",
    "ModelNotFoundError",
    "Source",
    "check_free_space",
    "delete",
    "find",
    "format_size",
    "import_file",
    "list_models",
    "repo_dir",
    "resolve",
]

log = logging.getLogger(__name__)


class LibraryError(TokenscopeError):
    """A library operation cannot be done; the message says why and what to do."""


class ModelNotFoundError(LibraryError, LookupError):
    """No model by that name or path; the message lists near names."""


class DiskFullError(LibraryError, OSError):
    """Not enough disk space; the message says how much is needed and where."""


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
    _check_name_is_free(model_stem(source.name), existing)
    if copy:
        _copy_in(parts, root)
        log.info("Imported %s (copy)", source.name)
        return dataclasses.replace(find(str(root / source.name)), info=info)
    links = read_links()
    if source not in links:
        write_links([*links, source])
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
        write_links([p for p in read_links() if p.resolve() not in targets])
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
