"""The Models window's "Search the Hub" page: the query, the repositories found, Download.
``HubSearch`` is the first of the window's layers: ``models_files.HubFiles`` (a
repository's files) builds on it and ``models_dialog.ModelsDialog`` (downloads, library,
token, the window) on that; the page's widgets live on the dialog."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

import desktop.ui.compat  # noqa: F401  (first: a PySide6 bug work-around)
from desktop.core import gguf_file, hub
from desktop.core.hub import DownloadState, ModelSummary, RemoteGGUF
from desktop.core.library import format_size
from desktop.ui.models_common import (
    Background,
    MessageBar,
    error_text,
    format_count,
    format_date,
    format_params,
)
from desktop.ui.models_downloads import ACTIVE, DownloadsPage

log = logging.getLogger(__name__)

#: How many repositories a search lists.
SEARCH_LIMIT = 50
#: Wait this long after the selection moves before listing a repository's files (arrow keys).
SELECT_DELAY_MS = 150

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter



class HubSearch(QDialog):
    """The search page: its widgets and the search's handlers (``HubFiles`` adds the file
    list, ``ModelsDialog`` the rest of the window)."""

    SEARCH, DOWNLOADS, LIBRARY = range(3)  #: the window's pages

    # the dialog's own parts, used here
    settings: QSettings
    background: Background
    downloads: DownloadsPage
    load_requested: Any
    results: list[ModelSummary]
    files: list[RemoteGGUF]
    files_repo: str | None
    _query: str | None
    _search_job: int | None
    _files_job: int | None
    _available_ram: int
    _n_ctx: int

    if TYPE_CHECKING:  # provided by HubFiles and ModelsDialog
        def _list_selected_repo(self) -> None: ...
        def _clear_files(self, label: str) -> None: ...
        def _fill_files(self) -> None: ...
        def _update_download_button(self) -> None: ...
        def _files_listed(self, repo_id: str, result: tuple[list[RemoteGGUF], int]) -> None: ...
        def _files_failed(self, repo_id: str, exc: Exception) -> None: ...
        def _set_files_header(self) -> None: ...
        def _local_path(self, f: RemoteGGUF) -> Path | None: ...
        def show_page(self, index: int) -> None: ...
        def _show_error(
            self, exc: Exception, retry: Callable[[], None] | None = None
        ) -> None: ...
        def _update_busy(self) -> None: ...

    # --- building --------------------------------------------------------------------------

    def _build_search(self) -> QWidget:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        row = QHBoxLayout()
        self.search_field = QLineEdit(page)
        self.search_field.setObjectName("searchField")
        self.search_field.setPlaceholderText(
            self.tr("Search GGUF models, e.g. “qwen2.5 0.5b instruct” — press Enter")
        )
        self.search_field.setClearButtonEnabled(True)
        self.search_field.setAccessibleName(self.tr("Search the Hugging Face Hub"))
        row.addWidget(self.search_field, 1)
        self.sort_box = QComboBox(page)
        self.sort_box.addItem(self.tr("Most downloaded"), "downloads")
        self.sort_box.addItem(self.tr("Most liked"), "likes")
        self.sort_box.addItem(self.tr("Recently updated"), "recent")
        self.sort_box.setAccessibleName(self.tr("Sort by"))
        sort = str(self.settings.value("modelsDialog/sort", "downloads"))
        self.sort_box.setCurrentIndex(max(0, self.sort_box.findData(sort)))
        row.addWidget(self.sort_box)
        self.search_button = QPushButton(self.tr("Search"), page)
        self.search_button.setAutoDefault(False)
        row.addWidget(self.search_button)
        self.busy = QProgressBar(page)
        self.busy.setObjectName("modelsBusy")
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.setFixedWidth(80)
        self.busy.setMaximumHeight(14)
        self.busy.setAccessibleName(self.tr("Working…"))
        self.busy.hide()
        row.addWidget(self.busy)
        layout.addLayout(row)

        self.message = MessageBar(page)
        layout.addWidget(self.message)

        splitter = QSplitter(Qt.Orientation.Vertical, page)
        self.results_tree = QTreeWidget(splitter)
        self.results_tree.setObjectName("resultsTree")
        self.results_tree.setRootIsDecorated(False)
        self.results_tree.setUniformRowHeights(True)
        self.results_tree.setAlternatingRowColors(True)
        self.results_tree.setHeaderLabels(
            [
                self.tr("Repository"),
                self.tr("Parameters"),
                self.tr("Downloads"),
                self.tr("Likes"),
                self.tr("Updated"),
            ]
        )
        _stretch_first(self.results_tree, right=(1, 2, 3))

        files_box = QWidget(splitter)
        files_layout = QVBoxLayout(files_box)
        files_layout.setContentsMargins(0, 4, 0, 0)
        self.files_label = QLabel(
            self.tr("Select a repository to see its GGUF files."), files_box
        )
        self.files_label.setObjectName("modelsHint")
        files_layout.addWidget(self.files_label)
        self.files_tree = QTreeWidget(files_box)
        self.files_tree.setObjectName("filesTree")
        self.files_tree.setRootIsDecorated(False)
        self.files_tree.setUniformRowHeights(True)
        self.files_tree.setAlternatingRowColors(True)
        self.files_tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.files_tree.setHeaderLabels(["", "", "", "", ""])
        _stretch_first(self.files_tree, right=(2, 3))
        files_layout.addWidget(self.files_tree, 1)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        layout.addWidget(splitter, 1)
        self._set_files_header()

        actions = QHBoxLayout()
        self.estimate_note = QLabel(
            self.tr("Memory is estimated from the file size and name, before downloading."),
            page,
        )
        self.estimate_note.setObjectName("modelsHint")
        self.estimate_note.setWordWrap(True)
        actions.addWidget(self.estimate_note, 1)
        self.download_button = QPushButton(self.tr("Download"), page)
        self.download_button.setObjectName("downloadButton")
        self.download_button.setAutoDefault(False)
        self.download_button.setEnabled(False)
        actions.addWidget(self.download_button)
        layout.addLayout(actions)

        self._select_timer = QTimer(self)
        self._select_timer.setSingleShot(True)
        self._select_timer.setInterval(SELECT_DELAY_MS)
        self._select_timer.timeout.connect(self._list_selected_repo)

        self.search_field.returnPressed.connect(self.search)
        self.search_button.clicked.connect(self.search)
        self.sort_box.currentIndexChanged.connect(self._sort_changed)
        self.results_tree.itemSelectionChanged.connect(self._select_timer.start)
        self.results_tree.itemActivated.connect(lambda *_: self._list_selected_repo())
        self.files_tree.itemSelectionChanged.connect(self._update_download_button)
        self.files_tree.itemActivated.connect(lambda *_: self.download_selected())
        self.download_button.clicked.connect(self.download_selected)
        return page

    def search(self, query: str | None = None) -> None:
        """Search the Hub for GGUF repositories (the field's text unless `query` is given)."""
        if query is not None:
            self.search_field.setText(query)
        text = self.search_field.text().strip()
        self._query = text
        self.background.forget(self._search_job)
        self.background.forget(self._files_job)
        self._files_job = None
        self.message.clear()
        self.results_tree.clear()
        self.results = []
        self._clear_files(self.tr("Select a repository to see its GGUF files."))
        sort = str(self.sort_box.currentData())
        self._search_job = self.background.run(
            lambda: hub.search_models(text, sort=sort, limit=SEARCH_LIMIT),  # type: ignore[arg-type]
            self._searched,
            self._search_failed,
        )
        self._update_busy()

    def list_files(self, repo_id: str) -> None:
        """List the GGUF files of `repo_id` (called when a repository is selected)."""
        self.background.forget(self._files_job)
        self.message.clear()
        self._clear_files(self.tr("Listing the files of %1…").replace("%1", repo_id))
        self.files_repo = repo_id

        def work() -> tuple[list[RemoteGGUF], int]:
            return hub.list_gguf_files(repo_id), gguf_file.available_ram()

        self._files_job = self.background.run(
            work,
            lambda result: self._files_listed(repo_id, result),
            lambda exc: self._files_failed(repo_id, exc),
        )
        self._update_busy()

    def download_selected(self) -> None:
        """Queue the selected file for download (or load it, if it is in the library)."""
        f = self.selected_file()
        if f is None or not f.complete:
            return
        local = self._local_path(f)
        if local is not None:
            self.load_requested.emit(str(local))
            return
        for row in self.downloads.rows.values():
            item = row.item
            if (
                item.repo_id == f.repo_id
                and list(item.filenames) == f.filenames
                and item.state in (*ACTIVE, DownloadState.PAUSED)
            ):
                self.message.show_message(
                    self.tr("%1 is already in the download queue.").replace("%1", f.name),
                    action=(self.tr("Show downloads"), lambda: self.show_page(self.DOWNLOADS)),
                )
                return
        try:
            self.downloads.add(f.repo_id, f.filenames)
        except Exception as exc:  # a bad repository id, a closed queue: say so
            self.message.show_message(error_text(exc), "error")
            return
        self.message.show_message(
            self.tr("Downloading %1 (%2) — follow it under Downloads.")
            .replace("%1", f.name)
            .replace("%2", format_size(f.size)),
            action=(self.tr("Show downloads"), lambda: self.show_page(self.DOWNLOADS)),
        )

    def selected_file(self) -> RemoteGGUF | None:
        item = self.files_tree.currentItem()
        if item is None or not item.isSelected():
            return None
        index = self.files_tree.indexOfTopLevelItem(item)
        return self.files[index] if 0 <= index < len(self.files) else None

    def selected_repo(self) -> ModelSummary | None:
        item = self.results_tree.currentItem()
        if item is None or not item.isSelected():
            return None
        index = self.results_tree.indexOfTopLevelItem(item)
        return self.results[index] if 0 <= index < len(self.results) else None

    # --- search --------------------------------------------------------------------------------

    def _sort_changed(self) -> None:
        self.settings.setValue("modelsDialog/sort", str(self.sort_box.currentData()))
        if self._query is not None:
            self.search()

    def _searched(self, found: list[ModelSummary]) -> None:
        self._search_job = None
        self._update_busy()
        self.results = list(found)
        self.results_tree.clear()
        for m in self.results:
            name = m.repo_id
            if m.gated:
                name = self.tr("%1 (gated)").replace("%1", m.repo_id)
            item = QTreeWidgetItem(
                [
                    name,
                    format_params(m.parameter_count),
                    format_count(m.downloads),
                    format_count(m.likes),
                    format_date(m.last_modified),
                ]
            )
            for column in (1, 2, 3):
                item.setTextAlignment(column, _RIGHT)
            tip = [m.repo_id]
            if m.architecture:
                tip.append(self.tr("Architecture: %1").replace("%1", m.architecture))
            if m.context_length:
                tip.append(self.tr("Context length: %1").replace("%1", str(m.context_length)))
            if m.gated:
                tip.append(
                    self.tr("Gated: accept its terms on huggingface.co and add your token to "
                            "download it.")
                )
            item.setToolTip(0, "\n".join(tip))
            self.results_tree.addTopLevelItem(item)
        if not self.results:
            text = (
                self.tr("No GGUF models match “%1”.").replace("%1", self._query)
                if self._query
                else self.tr("No GGUF models found.")
            )
            self.message.show_message(text)

    def _search_failed(self, exc: Exception) -> None:
        self._search_job = None
        self._update_busy()
        self._show_error(exc, retry=self.search)


def _stretch_first(tree: QTreeWidget, right: tuple[int, ...] = ()) -> None:
    header = tree.header()
    header.setStretchLastSection(False)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    for column in range(1, tree.columnCount()):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
    for column in right:
        tree.headerItem().setTextAlignment(column, _RIGHT)
