"""Find GGUF models on the Hub and list a repository's GGUF files (split models as one).

The search is one request without retries, so an unreachable Hub is reported at once
(huggingface_hub's `list_models` retries for about 23 s first).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from huggingface_hub.hf_api import ModelInfo

from . import hub_client
from .gguf_file import GGUFInfo, info_from_name, quant_from_name, split_info
from .hub_client import api, get_json, resolve_token, safe_name
from .hub_errors import hub_errors

SortKey = Literal["downloads", "likes", "recent"]
_SORTS: dict[str, str] = {"downloads": "downloads", "likes": "likes", "recent": "lastModified"}
_EXPAND = ["downloads", "likes", "lastModified", "gated", "pipeline_tag", "tags", "gguf"]


@dataclass(frozen=True)
class ModelSummary:
    repo_id: str
    downloads: int = 0
    likes: int = 0
    last_modified: datetime | None = None
    gated: bool = False
    pipeline_tag: str | None = None
    tags: tuple[str, ...] = ()
    parameter_count: int | None = None  # from the Hub's GGUF summary, when it has one
    architecture: str | None = None
    context_length: int | None = None


def search_models(
    query: str, sort: SortKey = "downloads", limit: int = 30, *, token: str | None = None
) -> list[ModelSummary]:
    """GGUF model repositories matching `query`, most downloaded / liked / recent first."""
    if sort not in _SORTS:
        raise ValueError(f"sort must be one of {', '.join(_SORTS)}")
    params: dict[str, Any] = {
        "filter": "gguf",
        "sort": _SORTS[sort],
        "limit": limit,
        "expand": _EXPAND,
    }
    if query.strip():
        params["search"] = query.strip()
    with hub_errors(f"Searching for {query!r}"):
        found = get_json("/api/models", params, resolve_token(token))
    results = []
    for item in found[:limit] if isinstance(found, list) else []:
        m = ModelInfo(**{"siblings": None, **item})
        gguf = m.gguf if isinstance(m.gguf, dict) else {}
        results.append(
            ModelSummary(
                repo_id=m.id,
                downloads=m.downloads or 0,
                likes=m.likes or 0,
                last_modified=m.last_modified,
                gated=bool(m.gated),
                pipeline_tag=m.pipeline_tag,
                tags=tuple(m.tags or ()),
                parameter_count=_opt_int(gguf.get("total")),
                architecture=gguf.get("architecture"),
                context_length=_opt_int(gguf.get("context_length")),
            )
        )
    return results


def _opt_int(value: Any) -> int | None:
    return int(value) if isinstance(value, (int, float)) else None


@dataclass(frozen=True)
class RemoteFile:
    path: str  # in the repository
    size: int
    sha256: str | None  # None for files not stored with LFS


@dataclass(frozen=True)
class RemoteGGUF:
    """One model file in a repository; a split model is one entry with several parts."""

    repo_id: str
    name: str  # file name, or for a split model its base name + ".gguf"
    parts: tuple[RemoteFile, ...]
    quant: str | None
    split_count: int = 1

    @property
    def size(self) -> int:
        return sum(p.size for p in self.parts)

    @property
    def filenames(self) -> list[str]:
        return [p.path for p in self.parts]

    @property
    def complete(self) -> bool:
        return len(self.parts) == self.split_count

    def estimate(self) -> GGUFInfo:
        """Metadata guessed from name and size (for a "fits in RAM" verdict before download)."""
        return replace(info_from_name(self.parts[0].path, self.size), file_type=self.quant)


def list_gguf_files(
    repo_id: str, token: str | None = None, *, revision: str | None = None
) -> list[RemoteGGUF]:
    """The GGUF files of a repository with sizes and quantisation, smallest first."""
    with hub_errors(repo_id):
        info = api().model_info(
            repo_id,
            revision=revision,
            files_metadata=True,
            token=resolve_token(token),
            timeout=hub_client.TIMEOUT_S,
        )
    files = [
        RemoteFile(s.rfilename, s.size or 0, s.lfs.sha256 if s.lfs else None)
        for s in info.siblings or []
        if s.rfilename.lower().endswith(".gguf") and safe_name(s.rfilename)
    ]
    groups: dict[tuple[str, str, int], list[RemoteFile]] = {}
    singles: list[RemoteGGUF] = []
    for f in files:
        folder, _, filename = f.path.rpartition("/")
        quant = quant_from_name(filename) or (quant_from_name(folder) if folder else None)
        parts = split_info(filename)
        if parts is None:
            singles.append(RemoteGGUF(repo_id, f.path, (f,), quant))
        else:
            groups.setdefault((folder, parts[0], parts[2]), []).append(f)
    for (folder, base, count), members in groups.items():
        members.sort(key=lambda m: m.path)
        name = f"{folder}/{base}.gguf" if folder else f"{base}.gguf"
        quant = quant_from_name(base) or (quant_from_name(folder) if folder else None)
        singles.append(RemoteGGUF(repo_id, name, tuple(members), quant, count))
    return sorted(singles, key=lambda g: (g.size, g.name))
