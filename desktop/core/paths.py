"""Where Tokenscope keeps its files, as the platform expects (platformdirs)."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import PlatformDirs

_DIRS = PlatformDirs(appname="tokenscope", appauthor=False)


def _dir(env: str, default: str) -> Path:
    """A directory, overridable by an environment variable (tests, portable installs)."""
    path = Path(os.environ.get(env) or default)
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    return _dir("TOKENSCOPE_DATA_DIR", _DIRS.user_data_dir)


def config_dir() -> Path:
    return _dir("TOKENSCOPE_CONFIG_DIR", _DIRS.user_config_dir)


def cache_dir() -> Path:
    return _dir("TOKENSCOPE_CACHE_DIR", _DIRS.user_cache_dir)


def log_dir() -> Path:
    return _dir("TOKENSCOPE_LOG_DIR", _DIRS.user_log_dir)


def models_dir() -> Path:
    return _dir("TOKENSCOPE_MODELS_DIR", str(data_dir() / "models"))
