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

The window is built in layers: ``models_search.HubSearch`` (the Hub query and results),
``models_files.HubFiles`` (a repository's files and their fits-in-memory verdicts), then
this module's frame, token and tabs; Downloads and Library are pages of their own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QByteArray, QCoreApplication, QSettings, Qt, Signal
from PySide6.QtGui import QCloseEvent, QHideEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

import desktop.ui.compat  # noqa: F401  (first: a PySide6 bug work-around)
from desktop.core import hub, paths
from desktop.core.hub import DownloadItem, ModelSummary, RemoteGGUF
from desktop.ui.models_common import (
    Background,
    error_text,
    is_auth_error,
    stylesheet,
)
from desktop.ui.models_downloads import DownloadsPage
from desktop.ui.models_files import HubFiles
from desktop.ui.models_library import LibraryPage
from desktop.ui.models_token import TokenDialog, env_token_in_use

log = logging.getLogger(__name__)

__all__ = ["ModelsDialog"]

class ModelsDialog(HubFiles):
    """Search, download and manage GGUF models. Emits `load_requested(path)` to load one."""

    load_requested = Signal(str)  #: a local .gguf file the user chose to load

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


def _int(value: object, default: int) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return default
