"""Pieces shared by the Models window's pages: background calls, messages, formatting.

Network and disk work runs on a private ``QThreadPool``; its result comes back to the UI
thread through a queued signal (`Background`). Errors become one clear sentence for the
user (`error_text`); a traceback only ever goes to the log.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QLocale,
    QObject,
    Qt,
    QThreadPool,
    Signal,
    Slot,
)
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

import desktop.ui.compat  # noqa: F401  (first: a PySide6 bug work-around)
from desktop.core.errors import TokenscopeError
from desktop.core.gguf_file import Verdict
from desktop.core.hub import HubAuthError, HubOfflineError
from desktop.core.library import format_size

log = logging.getLogger(__name__)

# --- background calls ---------------------------------------------------------------------

_pool: QThreadPool | None = None


def thread_pool() -> QThreadPool:
    """The pool for the Models window's calls (several, so a slow search blocks nothing)."""
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setObjectName("models")
        _pool.setMaxThreadCount(6)
    return _pool


class Background(QObject):
    """Runs functions off the UI thread and hands their result back on it.

    `run(fn, on_result, on_error)` calls `fn()` on the pool; `on_result(value)` or
    `on_error(exception)` is then called on the UI thread. `forget(job)` drops a job's
    answer (a newer request replaced it).
    """

    _finished = Signal(int, bool, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._callbacks: dict[int, tuple[Callable[[Any], None], Callable[[Exception], None]]] = {}
        self._next_id = 1
        self._finished.connect(self._deliver)

    def run(
        self,
        fn: Callable[[], Any],
        on_result: Callable[[Any], None],
        on_error: Callable[[Exception], None],
    ) -> int:
        job_id = self._next_id
        self._next_id += 1
        self._callbacks[job_id] = (on_result, on_error)
        emit = self._finished.emit

        def job() -> None:
            try:
                value, ok = fn(), True
            except Exception as exc:  # handed to the UI thread, shown as a message
                value, ok = exc, False
            with contextlib.suppress(RuntimeError):  # the window was deleted meanwhile
                emit(job_id, ok, value)

        thread_pool().start(job)
        return job_id

    def forget(self, job_id: int | None) -> None:
        if job_id is not None:
            self._callbacks.pop(job_id, None)

    def busy(self) -> bool:
        return bool(self._callbacks)

    @Slot(int, bool, object)
    def _deliver(self, job_id: int, ok: bool, value: object) -> None:
        callbacks = self._callbacks.pop(job_id, None)
        if callbacks is None:
            return
        if ok:
            callbacks[0](value)
        else:
            assert isinstance(value, Exception)
            callbacks[1](value)


# --- messages -----------------------------------------------------------------------------


def offline_text() -> str:
    return QCoreApplication.translate(
        "ModelsDialog",
        "Can't reach Hugging Face — check your connection; your local models still work.",
    )


def error_text(exc: BaseException) -> str:
    """What to tell the user about a failed call (never a traceback)."""
    if isinstance(exc, HubOfflineError):
        return offline_text()
    if isinstance(exc, TokenscopeError):
        return str(exc)
    log.error("unexpected error in the Models window", exc_info=exc)
    return QCoreApplication.translate(
        "ModelsDialog",
        "Something went wrong: %1. The details are in the log file; please try again, or "
        "report the problem.",
    ).replace("%1", f"{type(exc).__name__}: {exc}")


def is_auth_error(exc: BaseException) -> bool:
    return isinstance(exc, HubAuthError)


class MessageBar(QFrame):
    """An inline message (info or error) with an optional action button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelsMessage")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.label, 1)
        self.action = QPushButton(self)
        self.action.setAutoDefault(False)
        self.action.hide()
        layout.addWidget(self.action)
        self._slot: Callable[[], object] | None = None
        self.action.clicked.connect(self._on_action)
        self.hide()

    def show_message(
        self,
        text: str,
        kind: str = "info",
        action: tuple[str, Callable[[], object]] | None = None,
    ) -> None:
        self.setProperty("kind", kind)
        self.style().unpolish(self)
        self.style().polish(self)
        self.label.setText(text)
        if action is None:
            self._slot = None
            self.action.hide()
        else:
            self.action.setText(action[0])
            self._slot = action[1]
            self.action.show()
        self.show()

    def clear(self) -> None:
        self.label.clear()
        self._slot = None
        self.hide()

    def text(self) -> str:
        """The message shown (empty when hidden)."""
        return "" if self.isHidden() else self.label.text()

    def _on_action(self) -> None:
        if self._slot is not None:
            self._slot()


# --- formatting ---------------------------------------------------------------------------


def format_params(n: int | None) -> str:
    if not n:
        return ""
    if n >= 1e9:
        return f"{n / 1e9:.1f}B"
    return f"{n / 1e6:.0f}M" if n >= 1e6 else f"{n / 1e3:.0f}K"


def format_count(n: int) -> str:
    return QLocale().toString(int(n))


def format_date(when: datetime | None) -> str:
    """ISO dates (2025-03-01): unambiguous in every language, and they sort."""
    return when.date().isoformat() if when is not None else ""


def count_text(n: int, one: str, many: str) -> str:
    """`one` or `many` (translated by the caller) with %1 replaced by `n`."""
    return (one if n == 1 else many).replace("%1", str(n))


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return QCoreApplication.translate("ModelsDialog", "—")
    s = max(0, round(seconds))
    if s < 60:
        return QCoreApplication.translate("ModelsDialog", "%1 s").replace("%1", str(s))
    if s < 3600:
        return QCoreApplication.translate("ModelsDialog", "%1 min").replace(
            "%1", str(round(s / 60))
        )
    return (
        QCoreApplication.translate("ModelsDialog", "%1 h %2 min")
        .replace("%1", str(s // 3600))
        .replace("%2", str(s % 3600 // 60))
    )


def verdict_label(verdict: Verdict) -> str:
    return {
        "fits": QCoreApplication.translate("ModelsDialog", "fits"),
        "tight": QCoreApplication.translate("ModelsDialog", "tight"),
        "won't fit": QCoreApplication.translate("ModelsDialog", "won't fit"),
    }[verdict]


def verdict_color(verdict: Verdict, palette: QPalette) -> QColor:
    """Green / amber / red, readable on the palette's base (light or dark)."""
    dark = palette.color(QPalette.ColorRole.Base).lightness() < 128
    colours = {
        "fits": ("#1b7f3b", "#6fd98f"),
        "tight": ("#a15c00", "#f0b45a"),
        "won't fit": ("#c62828", "#ff7b7b"),
    }
    return QColor(colours[verdict][1 if dark else 0])


def verdict_tooltip(verdict: Verdict, need: int, available: int, n_ctx: int) -> str:
    if available <= 0:
        return (
            QCoreApplication.translate(
                "ModelsDialog", "Needs about %1 of memory with %2 tokens of context."
            )
            .replace("%1", format_size(need))
            .replace("%2", f"{n_ctx:,}")
        )
    text = {
        "fits": QCoreApplication.translate(
            "ModelsDialog",
            "Fits: needs about %1 of memory with %2 tokens of context; %3 is available.",
        ),
        "tight": QCoreApplication.translate(
            "ModelsDialog",
            "Tight: needs about %1 of memory with %2 tokens of context, more than 3/4 of the "
            "%3 available. Close other programs, or choose a smaller file.",
        ),
        "won't fit": QCoreApplication.translate(
            "ModelsDialog",
            "Won't fit: needs about %1 of memory with %2 tokens of context but only %3 is "
            "available. Choose a smaller quantisation or a smaller context.",
        ),
    }[verdict]
    return (
        text.replace("%1", format_size(need))
        .replace("%2", f"{n_ctx:,}")
        .replace("%3", format_size(available))
    )


def stylesheet(palette: QPalette) -> str:
    """The Models window's few touches, derived from the palette (light and dark)."""
    base = palette.color(QPalette.ColorRole.Base)
    text = palette.color(QPalette.ColorRole.Text)
    window = palette.color(QPalette.ColorRole.Window)
    dark = base.lightness() < 128

    def mix(a: QColor, b: QColor, t: float) -> str:
        return QColor(
            round(a.red() + (b.red() - a.red()) * t),
            round(a.green() + (b.green() - a.green()) * t),
            round(a.blue() + (b.blue() - a.blue()) * t),
        ).name()

    red = QColor("#ff5252" if dark else "#d32f2f")
    blue = palette.color(QPalette.ColorRole.Highlight)
    dim = mix(base, text, 0.6)
    border = mix(window, text, 0.18)
    return f"""
#modelsMessage[kind="error"] {{ background: {mix(base, red, 0.12)};
    border: 1px solid {mix(base, red, 0.45)}; border-radius: 6px; }}
#modelsMessage[kind="info"] {{ background: {mix(base, blue, 0.08)};
    border: 1px solid {mix(base, blue, 0.35)}; border-radius: 6px; }}
#modelsHint, #downloadStatus, #libraryFolder, #tokenStatus, #modelsEmpty {{ color: {dim}; }}
#downloadRow {{ border: 1px solid {border}; border-radius: 6px; background: {base.name()}; }}
#downloadTitle {{ font-weight: 600; }}
#downloadError, #tokenError {{ color: {red.name()}; }}
#detailsTitle {{ font-weight: 600; font-size: 12pt; }}
#resultsTree::item, #filesTree::item, #libraryTree::item {{ padding: 2px 6px; }}
#resultsTree QHeaderView::section, #filesTree QHeaderView::section,
#libraryTree QHeaderView::section {{ padding: 2px 6px; }}
#detailsScroll, #detailsBox {{ background: transparent; }}
"""
