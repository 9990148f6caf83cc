"""The Downloads page: the download queue, one row per download, with its progress.

The queue (`core.hub.DownloadQueue`) reports from its worker thread; its snapshots reach
the UI thread through a queued signal. A change of state is shown at once, progress at
most every `REPAINT_MS` milliseconds.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

import desktop.ui.compat  # noqa: F401  (first: a PySide6 bug work-around)
from desktop.core.gguf_file import split_info
from desktop.core.hub import DownloadItem, DownloadQueue, DownloadState
from desktop.core.library import format_size
from desktop.ui.models_common import format_duration

log = logging.getLogger(__name__)

#: Progress is repainted at most this often (state changes are shown at once).
REPAINT_MS = 100

ACTIVE = (DownloadState.QUEUED, DownloadState.RUNNING)
FINISHED = (DownloadState.DONE, DownloadState.CANCELLED, DownloadState.FAILED)


def display_name(item: DownloadItem) -> str:
    """The file's name, or for a split model its base name and the number of parts."""
    first = item.filenames[0].rsplit("/", 1)[-1]
    parts = split_info(first)
    if parts is None or len(item.filenames) == 1:
        return first
    return (
        QCoreApplication.translate("ModelsDialog", "%1.gguf (%2 parts)")
        .replace("%1", parts[0])
        .replace("%2", str(len(item.filenames)))
    )


def state_text(item: DownloadItem) -> str:
    p = item.progress
    done_total = (
        QCoreApplication.translate("ModelsDialog", "%1 of %2")
        .replace("%1", format_size(p.done))
        .replace("%2", format_size(p.total))
        if p is not None and p.total
        else ""
    )
    if item.state == DownloadState.QUEUED:
        return QCoreApplication.translate("ModelsDialog", "Waiting…") + (
            f" · {done_total}" if done_total else ""
        )
    if item.state == DownloadState.RUNNING:
        if p is None or not p.total:
            return QCoreApplication.translate("ModelsDialog", "Starting…")
        parts = [
            done_total,
            QCoreApplication.translate("ModelsDialog", "%1/s").replace("%1", format_size(p.speed)),
        ]
        if p.eta is not None:
            parts.append(
                QCoreApplication.translate("ModelsDialog", "%1 left").replace(
                    "%1", format_duration(p.eta)
                )
            )
        if p.file_count > 1:
            parts.append(
                QCoreApplication.translate("ModelsDialog", "part %1 of %2")
                .replace("%1", str(p.file_index))
                .replace("%2", str(p.file_count))
            )
        return " · ".join(parts)
    if item.state == DownloadState.PAUSED:
        return QCoreApplication.translate("ModelsDialog", "Paused") + (
            f" · {done_total}" if done_total else ""
        )
    if item.state == DownloadState.DONE:
        size = format_size(p.total) if p is not None and p.total else ""
        return QCoreApplication.translate(
            "ModelsDialog", "Downloaded and verified · in the library"
        ) + (f" · {size}" if size else "")
    if item.state == DownloadState.CANCELLED:
        return QCoreApplication.translate("ModelsDialog", "Cancelled")
    return QCoreApplication.translate("ModelsDialog", "Failed")


def needs_token(item: DownloadItem) -> bool:
    """Whether a failed download asks for a Hub token (gated or private repository).

    `DownloadItem` keeps only the error's message; the Hub's messages for these cases are
    the ones that mention HF_TOKEN.
    """
    return item.state == DownloadState.FAILED and "HF_TOKEN" in (item.error or "")


class DownloadRow(QFrame):
    """One download: name, progress bar, bytes / speed / time left, and its buttons."""

    def __init__(self, item: DownloadItem, page: DownloadsPage) -> None:
        super().__init__(page)
        self.setObjectName("downloadRow")
        self.page = page
        self.item = item
        grid = QGridLayout(self)
        grid.setContentsMargins(10, 8, 10, 8)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(4)
        self.title = QLabel(self)
        self.title.setObjectName("downloadTitle")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        grid.addWidget(self.title, 0, 0)
        self.repo = QLabel(item.repo_id, self)
        self.repo.setObjectName("downloadStatus")
        grid.addWidget(self.repo, 0, 1, Qt.AlignmentFlag.AlignRight)
        self.bar = QProgressBar(self)
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(True)
        self.bar.setFormat("%p%")
        grid.addWidget(self.bar, 1, 0, 1, 2)
        self.status = QLabel(self)
        self.status.setObjectName("downloadStatus")
        grid.addWidget(self.status, 2, 0, 1, 2)
        self.error = QLabel(self)
        self.error.setObjectName("downloadError")
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()
        grid.addWidget(self.error, 3, 0, 1, 2)

        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        self.pause_button = QPushButton(self)
        self.cancel_button = QPushButton(self.tr("Cancel"), self)
        self.load_button = QPushButton(self.tr("Load"), self)
        self.load_button.setObjectName("downloadLoad")
        self.token_button = QPushButton(self.tr("Set token…"), self)
        for b in (self.token_button, self.pause_button, self.cancel_button, self.load_button):
            b.setAutoDefault(False)
            buttons.addWidget(b)
        grid.addLayout(buttons, 0, 2, 3, 1, Qt.AlignmentFlag.AlignVCenter)
        grid.setColumnStretch(0, 1)
        self.pause_button.clicked.connect(self._pause_or_resume)
        self.cancel_button.clicked.connect(lambda: self.page.cancel(self.item.id))
        self.load_button.clicked.connect(self._load)
        self.token_button.clicked.connect(lambda: self.page.token_requested.emit(self.item.id))
        self.update_item(item)

    def update_item(self, item: DownloadItem) -> None:
        self.item = item
        self.title.setText(display_name(item))
        self.title.setToolTip("\n".join(item.filenames))
        p = item.progress
        if item.state == DownloadState.DONE:
            self.bar.setValue(1000)
        elif item.state == DownloadState.CANCELLED:
            self.bar.setValue(0)  # its partial file is gone
        elif p is not None and p.total:
            self.bar.setValue(int(1000 * p.fraction))
        else:
            self.bar.setValue(0)
        self.status.setText(state_text(item))
        self.error.setText(item.error or "")
        self.error.setVisible(item.state == DownloadState.FAILED and bool(item.error))
        state = item.state
        self.pause_button.setVisible(state != DownloadState.DONE)
        if state in ACTIVE:
            self.pause_button.setText(self.tr("Pause"))
        elif state == DownloadState.PAUSED:
            self.pause_button.setText(self.tr("Resume"))
        elif state == DownloadState.CANCELLED:
            self.pause_button.setText(self.tr("Download again"))
        else:
            self.pause_button.setText(self.tr("Retry"))
        self.token_button.setVisible(needs_token(item))
        self.cancel_button.setVisible(state in (*ACTIVE, DownloadState.PAUSED))
        self.load_button.setVisible(state == DownloadState.DONE and bool(item.paths))
        self.bar.setEnabled(state != DownloadState.PAUSED)

    def _pause_or_resume(self) -> None:
        if self.item.state in ACTIVE:
            self.page.pause(self.item.id)
        else:
            self.page.resume(self.item.id)

    def _load(self) -> None:
        if self.item.paths:
            self.page.load_requested.emit(str(self.item.paths[0]))


class DownloadsPage(QWidget):
    """The queue and its rows. Owns the `DownloadQueue` (close it with `shutdown`)."""

    load_requested = Signal(str)  #: a finished download's file to load
    item_finished = Signal(object)  #: a DownloadItem that is now DONE
    active_changed = Signal(int)  #: how many downloads are queued or running
    token_requested = Signal(int)  #: a download failed for want of a token: its id
    _changed = Signal(object)  # a snapshot from the queue's thread

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: dict[int, DownloadRow] = {}
        self._dirty: dict[int, DownloadItem] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REPAINT_MS)
        self._timer.timeout.connect(self._flush)
        self.repaints = 0  # progress repaints, for tests and curiosity

        layout = QVBoxLayout(self)
        self.scroll_area = QScrollArea(self)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.list = QWidget(self.scroll_area)
        self.list_layout = QVBoxLayout(self.list)
        self.list_layout.setContentsMargins(0, 0, 0, 0)
        self.list_layout.setSpacing(6)
        self.empty = QLabel(
            self.tr(
                "No downloads yet. Find a model under “Search the Hub”, choose a file and "
                "press Download."
            ),
            self.list,
        )
        self.empty.setObjectName("modelsEmpty")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.list_layout.addWidget(self.empty)
        self.list_layout.addStretch(1)
        self.scroll_area.setWidget(self.list)
        layout.addWidget(self.scroll_area, 1)

        bottom = QHBoxLayout()
        self.folder_note = QLabel(self)
        self.folder_note.setObjectName("downloadStatus")
        bottom.addWidget(self.folder_note, 1)
        self.clear_button = QPushButton(self.tr("Clear finished"), self)
        self.clear_button.setAutoDefault(False)
        self.clear_button.setEnabled(False)
        self.clear_button.clicked.connect(self.clear_finished)
        bottom.addWidget(self.clear_button)
        layout.addLayout(bottom)

        self._changed.connect(self._on_change)
        self.queue = DownloadQueue(self._from_queue)

    # --- the queue's side (any thread) ----------------------------------------------------

    def _from_queue(self, item: DownloadItem) -> None:
        self._changed.emit(item)  # queued to the UI thread when called from the worker

    # --- actions ---------------------------------------------------------------------------

    def add(self, repo_id: str, filenames: list[str]) -> DownloadItem:
        return self.queue.add(repo_id, filenames)

    def pause(self, item_id: int) -> None:
        self.queue.pause(item_id)

    def resume(self, item_id: int) -> None:
        self.queue.resume(item_id)

    def cancel(self, item_id: int) -> None:
        self.queue.cancel(item_id)

    def clear_finished(self) -> None:
        for item_id, row in list(self.rows.items()):
            if row.item.state in FINISHED:
                row.hide()
                row.deleteLater()
                del self.rows[item_id]
                self._dirty.pop(item_id, None)
        self._update_summary()

    def active_count(self) -> int:
        return sum(1 for r in self.rows.values() if r.item.state in ACTIVE)

    def shutdown(self, timeout: float = 5.0) -> None:
        """Pause what runs (partial files stay, to resume next time) and stop the worker."""
        self._timer.stop()
        self.queue.close(timeout)

    # --- updates (UI thread) ---------------------------------------------------------------

    @Slot(object)
    def _on_change(self, item: DownloadItem) -> None:
        row = self.rows.get(item.id)
        if row is None:
            row = DownloadRow(item, self)
            self.rows[item.id] = row
            self.list_layout.insertWidget(self.list_layout.count() - 1, row)
            self._update_summary()
            return
        if row.item.state == item.state:
            self._dirty[item.id] = item  # progress only: shown by the next repaint
            if not self._timer.isActive():
                self._timer.start()
            return
        self._dirty.pop(item.id, None)
        row.update_item(item)
        self._update_summary()
        if item.state == DownloadState.DONE:
            self.item_finished.emit(item)

    @Slot()
    def _flush(self) -> None:
        dirty, self._dirty = self._dirty, {}
        for item_id, item in dirty.items():
            row = self.rows.get(item_id)
            if row is not None and row.item.state == item.state:
                row.update_item(item)
        if dirty:
            self.repaints += 1

    def _update_summary(self) -> None:
        self.empty.setVisible(not self.rows)
        self.clear_button.setEnabled(any(r.item.state in FINISHED for r in self.rows.values()))
        self.active_changed.emit(self.active_count())

    def set_folder_note(self, folder: Path) -> None:
        self.folder_note.setText(self.tr("Downloads go to %1").replace("%1", str(folder)))
