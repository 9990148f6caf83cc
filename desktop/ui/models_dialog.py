"""The Models window: search the Hugging Face Hub, download GGUF files, manage the library.

``ModelsDialog`` is non-modal: the main window keeps one and shows it. Its pages:

- Search the Hub: GGUF repositories by downloads / likes / recency; a repository's files
  (split files as one model) with quantisation, size, estimated memory at ``n_ctx`` and a
  fits / tight / won't fit verdict; Download (or double-click / Enter).
- Downloads: the `DownloadQueue`, one row per download (progress, speed, time left,
  pause / resume / cancel, Load once done).
- Library: the local models and their metadata; Load, Import, Delete, Show in folder.

and a Hugging Face token button (`TokenDialog`). Network and disk work never runs on the
UI thread; failures are shown as one clear message, never a traceback.

It is long (~670 lines): the Search page (the Hub query, the file table and its
fits-in-memory verdicts) lives here with the dialog's frame; Downloads and Library are
modules of their own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QByteArray, QCoreApplication, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QHideEvent, QKeySequence, QShortcut, QShowEvent
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
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

import desktop.ui.compat  # noqa: F401  (first: a PySide6 bug work-around)
from desktop.core import gguf_file, hub, library, paths
from desktop.core.hub import DownloadItem, DownloadState, ModelSummary, RemoteGGUF
from desktop.core.library import format_size
from desktop.ui.models_common import (
    Background,
    MessageBar,
    count_text,
    error_text,
    format_count,
    format_date,
    format_params,
    is_auth_error,
    stylesheet,
    verdict_color,
    verdict_label,
    verdict_tooltip,
)
from desktop.ui.models_downloads import ACTIVE, DownloadsPage
from desktop.ui.models_library import LibraryPage
from desktop.ui.models_token import TokenDialog, env_token_in_use

log = logging.getLogger(__name__)

__all__ = ["ModelsDialog"]

#: How many repositories a search lists.
SEARCH_LIMIT = 50
#: Wait this long after the selection moves before listing a repository's files (arrow keys).
SELECT_DELAY_MS = 150

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class ModelsDialog(QDialog):
    """Search, download and manage GGUF models. Emits `load_requested(path)` to load one."""

    load_requested = Signal(str)  #: a local .gguf file the user chose to load

    SEARCH, DOWNLOADS, LIBRARY = range(3)

    def __init__(
        self,
        parent: QWidget | None = None,
        n_ctx: int = 4096,
        *,
        settings: QSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("modelsDialog")
        self.setWindowTitle(self.tr("Models"))
        self.setModal(False)
        self.setSizeGripEnabled(True)
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint, True)
        self.setStyleSheet(stylesheet(self.palette()))
        self.settings = settings if settings is not None else QSettings()
        self._n_ctx = max(1, int(n_ctx))
        self.background = Background(self)
        self.results: list[ModelSummary] = []
        self.files: list[RemoteGGUF] = []
        self.files_repo: str | None = None
        self._query: str | None = None
        self._search_job: int | None = None
        self._files_job: int | None = None
        self._available_ram = 0
        self.token_dialog: TokenDialog | None = None
        self._after_token: list[Callable[[], None]] = []

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("modelsTabs")
        self.tabs.addTab(self._build_search(), self.tr("Search the Hub"))
        self.downloads = DownloadsPage(self.tabs)
        self.downloads.set_folder_note(paths.models_dir())
        self.tabs.addTab(self.downloads, self.tr("Downloads"))
        self.library = LibraryPage(self.background, self.settings, self._n_ctx, self.tabs)
        self.tabs.addTab(self.library, self.tr("Library"))

        bottom = QHBoxLayout()
        self.token_button = QPushButton(self.tr("Hugging Face token…"), self)
        self.token_button.setToolTip(
            self.tr("Needed only for gated or private models (e.g. Llama, Gemma)")
        )
        self.token_status = QLabel(self)
        self.token_status.setObjectName("tokenStatus")
        self.close_button = QPushButton(self.tr("Close"), self)
        for b in (self.token_button, self.close_button):
            b.setAutoDefault(False)
        bottom.addWidget(self.token_button)
        bottom.addWidget(self.token_status, 1)
        bottom.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(bottom)

        self.token_button.clicked.connect(lambda: self.open_token_settings())
        self.close_button.clicked.connect(self.close)
        self.downloads.load_requested.connect(self.load_requested)
        self.downloads.item_finished.connect(self._download_finished)
        self.downloads.active_changed.connect(self._update_downloads_tab)
        self.downloads.token_requested.connect(
            lambda item_id: self.open_token_settings(lambda: self.downloads.resume(item_id))
        )
        self.library.load_requested.connect(self.load_requested)
        self._update_token_status(None)

        self.resize(1000, 700)
        geometry = self.settings.value("modelsDialog/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        tab = self.settings.value("modelsDialog/tab", self.SEARCH)
        self.tabs.setCurrentIndex(_int(tab, self.SEARCH) % self.tabs.count())
        find = QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self)
        find.activated.connect(self._focus_search)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        self.library.refresh()

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

    # --- public API ----------------------------------------------------------------------------

    @property
    def n_ctx(self) -> int:
        return self._n_ctx

    def set_n_ctx(self, n_ctx: int) -> None:
        """The context size memory estimates are made for (Settings changed it)."""
        self._n_ctx = max(1, int(n_ctx))
        self._set_files_header()
        self._fill_files()
        self.library.set_n_ctx(self._n_ctx)

    def show_page(self, index: int) -> None:
        """Show one page: `SEARCH`, `DOWNLOADS` or `LIBRARY`."""
        self.tabs.setCurrentIndex(index)

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

    def refresh_library(self) -> None:
        self.library.refresh()

    def open_token_settings(self, retry: Callable[[], None] | None = None) -> TokenDialog:
        """Show the token dialog (non-blocking); `retry()` runs after a token is saved."""
        if retry is not None:
            self._after_token.append(retry)
        if self.token_dialog is None:
            self.token_dialog = TokenDialog(self)
            self.token_dialog.token_changed.connect(self._token_changed)
            self.token_dialog.finished.connect(lambda _: self._after_token.clear())
        else:
            self.token_dialog.refresh()
        self.token_dialog.open()
        self.token_dialog.field.setFocus()
        return self.token_dialog

    def busy_now(self) -> bool:
        """Whether a search, a listing or a library read is under way."""
        return self.background.busy()

    def shutdown(self) -> None:
        """Pause running downloads (partial files stay for next time); call before exit."""
        self._save_state()
        self.downloads.shutdown()

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

    # --- files ---------------------------------------------------------------------------------

    def _list_selected_repo(self) -> None:
        self._select_timer.stop()
        repo = self.selected_repo()
        if repo is not None and (repo.repo_id != self.files_repo or not self.files):
            self.list_files(repo.repo_id)

    def _files_listed(self, repo_id: str, result: tuple[list[RemoteGGUF], int]) -> None:
        self._files_job = None
        self._update_busy()
        self.files, self._available_ram = list(result[0]), result[1]
        self.files_repo = repo_id
        if self.files:
            self.files_label.setText(
                count_text(
                    len(self.files), self.tr("1 GGUF model in %2"), self.tr("%1 GGUF models in %2")
                ).replace("%2", repo_id)
            )
        else:
            self.files_label.setText(self.tr("%1 has no GGUF files.").replace("%1", repo_id))
        self._fill_files()
        if self.files:
            best = next(
                (i for i, f in enumerate(self.files) if self._verdict(f)[0] != "won't fit"), 0
            )
            self.files_tree.setCurrentItem(self.files_tree.topLevelItem(best))  # type: ignore[arg-type]

    def _files_failed(self, repo_id: str, exc: Exception) -> None:
        self._files_job = None
        self._update_busy()
        self._clear_files(self.tr("Could not list the files of %1.").replace("%1", repo_id))
        self.files_repo = None
        self._show_error(exc, retry=lambda: self.list_files(repo_id))

    def _verdict(self, f: RemoteGGUF) -> tuple[gguf_file.Verdict | None, int]:
        need = gguf_file.estimate_memory(f.estimate(), self._n_ctx)
        if self._available_ram <= 0:
            return None, need
        return gguf_file.fit_verdict(need, self._available_ram), need

    def _fill_files(self) -> None:
        selected = self.files_tree.currentIndex().row()
        self.files_tree.clear()
        for f in self.files:
            verdict, need = self._verdict(f)
            name = f.name
            if f.split_count > 1:
                if f.complete:
                    name = self.tr("%1 (%2 parts)").replace("%1", f.name).replace(
                        "%2", str(f.split_count)
                    )
                else:
                    name = (
                        self.tr("%1 (incomplete: %2 of %3 parts)")
                        .replace("%1", f.name)
                        .replace("%2", str(len(f.parts)))
                        .replace("%3", str(f.split_count))
                    )
            local = self._local_path(f)
            if local is not None:
                name = self.tr("%1 — in your library").replace("%1", name)
            item = QTreeWidgetItem(
                [
                    name,
                    f.quant or "?",
                    format_size(f.size),
                    "~" + format_size(need),
                    verdict_label(verdict) if verdict else "?",
                ]
            )
            item.setToolTip(0, "\n".join(f.filenames))
            for column in (2, 3):
                item.setTextAlignment(column, _RIGHT)
            tip = verdict_tooltip(verdict or "fits", need, self._available_ram, self._n_ctx)
            if verdict is not None:
                item.setForeground(4, verdict_color(verdict, self.palette()))
                font = item.font(4)
                font.setBold(True)
                item.setFont(4, font)
            item.setToolTip(3, tip)
            item.setToolTip(4, tip)
            if not f.complete:
                item.setDisabled(True)
                item.setToolTip(
                    0, self.tr("Some parts of this split model are missing in the repository.")
                )
            self.files_tree.addTopLevelItem(item)
        if 0 <= selected < self.files_tree.topLevelItemCount():
            self.files_tree.setCurrentItem(self.files_tree.topLevelItem(selected))  # type: ignore[arg-type]
        self._update_download_button()

    def _clear_files(self, label: str) -> None:
        self.files = []
        self.files_tree.clear()
        self.files_label.setText(label)
        self._update_download_button()

    def _set_files_header(self) -> None:
        self.files_tree.setHeaderLabels(
            [
                self.tr("File"),
                self.tr("Quant"),
                self.tr("Size"),
                self.tr("Memory at %1 tokens").replace("%1", f"{self._n_ctx:,}"),
                self.tr("Fit"),
            ]
        )
        for column in (2, 3):
            self.files_tree.headerItem().setTextAlignment(column, _RIGHT)

    def _local_path(self, f: RemoteGGUF) -> Path | None:
        try:
            path = library.repo_dir(f.repo_id) / f.parts[0].path
        except library.LibraryError:
            return None
        return path if all((path.parent / Path(p.path).name).is_file() for p in f.parts) else None

    def _update_download_button(self) -> None:
        f = self.selected_file()
        self.download_button.setEnabled(f is not None and f.complete)
        if f is not None and self._local_path(f) is not None:
            self.download_button.setText(self.tr("Load"))
            self.download_button.setToolTip(self.tr("Already in your library: load it"))
        else:
            self.download_button.setText(self.tr("Download"))
            self.download_button.setToolTip(
                self.tr("Download the selected file into the library (or double-click it)")
            )

    # --- downloads and library -------------------------------------------------------------

    def _download_finished(self, item: DownloadItem) -> None:
        self.library.refresh(select=item.paths[0] if item.paths else None)
        if self.files:
            self._fill_files()

    def _update_downloads_tab(self, active: int) -> None:
        text = self.tr("Downloads")
        if active:
            text = self.tr("Downloads (%1)").replace("%1", str(active))
        self.tabs.setTabText(self.DOWNLOADS, text)

    # --- errors and the token ------------------------------------------------------------

    def _show_error(self, exc: Exception, retry: Callable[[], None] | None = None) -> None:
        text = error_text(exc)
        if is_auth_error(exc):
            self.message.show_message(
                text,
                "error",
                action=(self.tr("Set token…"), lambda: self.open_token_settings(retry)),
            )
        elif isinstance(exc, hub.HubOfflineError) and retry is not None:
            self.message.show_message(text, "error", action=(self.tr("Try again"), retry))
        else:
            self.message.show_message(text, "error")

    def _token_changed(self) -> None:
        dialog = self.token_dialog
        self._update_token_status(dialog.source if dialog is not None else None)
        retries, self._after_token = self._after_token, []
        for retry in retries:
            retry()

    def _update_token_status(self, source: str | None) -> None:
        if env_token_in_use() or source == "env":
            text = self.tr("Using the token from HF_TOKEN")
        elif source == "keyring":
            text = self.tr("A token is saved")
        else:
            text = ""
        self.token_status.setText(text)

    def _focus_search(self) -> None:
        self.show_page(self.SEARCH)
        self.search_field.setFocus()
        self.search_field.selectAll()

    def _update_busy(self) -> None:
        self.busy.setVisible(self._search_job is not None or self._files_job is not None)

    # --- window --------------------------------------------------------------------------------

    def _save_state(self) -> None:
        self.settings.setValue("modelsDialog/geometry", self.saveGeometry())
        self.settings.setValue("modelsDialog/tab", self.tabs.currentIndex())

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.tabs.currentIndex() == self.SEARCH and not self.results:
            self.search_field.setFocus()

    def hideEvent(self, event: QHideEvent) -> None:
        self._save_state()
        super().hideEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._save_state()
        super().closeEvent(event)


def _stretch_first(tree: QTreeWidget, right: tuple[int, ...] = ()) -> None:
    header = tree.header()
    header.setStretchLastSection(False)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    for column in range(1, tree.columnCount()):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
    for column in right:
        tree.headerItem().setTextAlignment(column, _RIGHT)


def _int(value: object, default: int) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return default
