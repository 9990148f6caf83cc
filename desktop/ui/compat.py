"""Work-arounds for bugs in the Qt bindings. Imported first by every window module.

PySide6 6.12.0 on Python < 3.12 returns ``None`` (void methods such as
``QPainter.drawRect``, ``QLabel.setText``) and ``True``/``False`` (``Signal.emit``) without
taking a reference, as if they were immortal objects (they are only from Python 3.12 on).
Each call drops their reference count by one; after some thousands of calls Python aborts
with "Fatal Python error: none_dealloc" (seen as random crashes while painting). Until
the bindings are fixed or Python >= 3.12 is required, give those three objects a
reference count they can never lose.
"""

from __future__ import annotations

import ctypes
import logging
import sys

log = logging.getLogger(__name__)

#: References added to each of None, True and False (about 10^12 calls' worth).
_PIN = 1 << 40
_pinned = False


def _affected() -> bool:
    if sys.version_info >= (3, 12):
        return False  # None, True and False are immortal: nothing to lose
    try:
        import PySide6
    except ImportError:
        return False
    try:
        major, minor = (int(x) for x in PySide6.__version__.split(".")[:2])
    except ValueError:
        return True
    return (major, minor) >= (6, 12)


def pin_singletons() -> None:
    """Make None/True/False's reference counts unreachable by the bindings' bug."""
    global _pinned
    if _pinned or not _affected():
        return
    for obj in (None, True, False):
        refcnt = ctypes.c_ssize_t.from_address(id(obj))  # ob_refcnt is the first field
        refcnt.value += _PIN
    _pinned = True
    log.debug("pinned None/True/False against a PySide6 reference-count bug")


pin_singletons()
