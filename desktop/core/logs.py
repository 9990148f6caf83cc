"""Logging to a file in the platform's log directory. Never log prompt text or tokens at
INFO: message contents stay at DEBUG, and secrets are never logged at all."""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

from . import paths

_configured = False


def setup_logging(level: int | None = None) -> Path:
    """Log to ``<log dir>/tokenscope.log`` (rotating). Returns the file's path."""
    global _configured
    log_file = paths.log_dir() / "tokenscope.log"
    if _configured:
        return log_file
    if level is None:
        level = logging.DEBUG if os.environ.get("TOKENSCOPE_DEBUG") else logging.INFO
    handler = logging.handlers.RotatingFileHandler(
        log_file, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    _configured = True
    return log_file
