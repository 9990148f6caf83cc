"""The Hugging Face Hub: search GGUF models, list their files, download them verified.

This module gathers the public names of the modules that do the work, for callers that
want one import:

- `hub_search`: `search_models`, `list_gguf_files` (and what they return)
- `hub_download`: `download` (resumable, verified, into the library)
- `hub_transfer`: one file's transfer, its partial file and the retry policy
- `hub_progress`: `Progress` and the byte counting behind it
- `hub_queue`: `DownloadQueue`, one download at a time on a worker thread
- `hub_errors`: the typed errors, each naming its cause
- `hub_client`: endpoint, token, URLs and a GET without retries
"""

from __future__ import annotations

from .hub_download import download
from .hub_errors import (
    GATED,
    DownloadCancelled,
    HubAuthError,
    HubConnectionError,
    HubError,
    HubNotFoundError,
    HubOfflineError,
    HubServerError,
    VerificationError,
)
from .hub_progress import Progress, ProgressCallback
from .hub_queue import DownloadItem, DownloadQueue, DownloadState
from .hub_search import (
    ModelSummary,
    RemoteFile,
    RemoteGGUF,
    SortKey,
    list_gguf_files,
    search_models,
)
from .hub_transfer import discard_partials
from .library import DiskFullError

__all__ = [
    "GATED",
    "DiskFullError",
    "DownloadCancelled",
    "DownloadItem",
    "DownloadQueue",
    "DownloadState",
    "HubAuthError",
    "HubConnectionError",
    "HubError",
    "HubNotFoundError",
    "HubOfflineError",
    "HubServerError",
    "ModelSummary",
    "Progress",
    "ProgressCallback",
    "RemoteFile",
    "RemoteGGUF",
    "SortKey",
    "VerificationError",
    "discard_partials",
    "download",
    "list_gguf_files",
    "search_models",
]
