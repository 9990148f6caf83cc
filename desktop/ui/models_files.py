"""The Models window's file list: a repository's GGUF files (split files as one model) with
quantisation, size, the memory needed at ``n_ctx`` and a fits / tight / won't-fit verdict;
listed off the UI thread when the selected repository changes. A layer of
``ModelsDialog`` on top of ``models_search.HubSearch``."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtWidgets import (
    QTreeWidgetItem,
)

import desktop.ui.compat  # noqa: F401  (first: a PySide6 bug work-around)
from desktop.core import gguf_file, library
from desktop.core.hub import RemoteGGUF
from desktop.core.library import format_size
from desktop.ui.models_common import (
    count_text,
    verdict_color,
    verdict_label,
    verdict_tooltip,
)
from desktop.ui.models_search import _RIGHT, HubSearch

log = logging.getLogger(__name__)


class HubFiles(HubSearch):
    """The file list's handlers (its widgets are built with the search page)."""

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
