"""The Models window against the real loopback Hub (tests/hub_server.py) and a real library.

Run with QT_QPA_PLATFORM=offscreen. Set MODELS_DIALOG_PNG_DIR to keep the rendered PNGs.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import keyring.backend
import keyring.core
import keyring.errors
import pytest
from huggingface_hub.utils import _pagination
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QLineEdit,
    QMessageBox,
    QTreeWidget,
    QTreeWidgetItem,
)
from pytestqt.qtbot import QtBot

from desktop.core import library, paths, secrets
from desktop.core.hub import DownloadState
from desktop.ui.models_common import offline_text
from desktop.ui.models_dialog import ModelsDialog
from desktop.ui.models_downloads import DownloadRow
from tests.hub_server import FakeHub, Repo, isolate, make_gguf, use_hub
from tests.memory_keyring import MemoryKeyring

REPO = "acme/Tiny-GGUF"
OTHER = "acme/Other-GGUF"
GATED = "corp/Gated-GGUF"
SMALL = "Tiny-Q4_K_M.gguf"
BIG = "Tiny-Q8_0.gguf"  # about 1 MB: several progress reports when the link is paced
SPLIT = ["Tiny-F16-00001-of-00002.gguf", "Tiny-F16-00002-of-00002.gguf"]
TOKEN = "hf_secret_test_token_123"
WAIT = 5000


class Env(NamedTuple):
    server: FakeHub
    repo: Repo
    tmp: Path


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Env]:
    isolate(monkeypatch, tmp_path)
    src = tmp_path / "src"
    files = {
        SMALL: make_gguf(src / SMALL, name="small").read_bytes(),
        BIG: make_gguf(src / BIG, name="big", extra_bytes=1_000_000).read_bytes(),
        SPLIT[0]: make_gguf(src / "p1.gguf", split=(1, 2)).read_bytes(),
        SPLIT[1]: make_gguf(src / "p2.gguf", split=(2, 2)).read_bytes(),
        "README.md": b"# Tiny\n",
    }
    with FakeHub() as server:
        use_hub(monkeypatch, server)
        repo = server.add_repo(
            REPO,
            files,
            downloads=12345,
            likes=5,
            last_modified="2025-03-01T00:00:00.000Z",
            gguf={"total": 4544, "architecture": "llama", "context_length": 512},
        )
        server.add_repo(OTHER, {"Other-Q2_K.gguf": files[SMALL]}, downloads=50, likes=50)
        server.add_repo(GATED, {SMALL: files[SMALL]}, gated=True, downloads=7)
        yield Env(server, repo, tmp_path)


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def dialog(qtbot: QtBot, env: Env, settings: QSettings) -> Iterator[ModelsDialog]:
    d = ModelsDialog(n_ctx=4096, settings=settings)
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    qtbot.waitUntil(lambda: not d.busy_now(), timeout=WAIT)
    yield d
    d.shutdown()


# --- helpers ------------------------------------------------------------------------------


def search(qtbot: QtBot, d: ModelsDialog, text: str) -> None:
    d.search_field.setText(text)
    qtbot.keyClick(d.search_field, Qt.Key.Key_Return)  # Enter searches
    qtbot.waitUntil(lambda: d._search_job is None, timeout=WAIT)


def select_repo(qtbot: QtBot, d: ModelsDialog, repo_id: str) -> None:
    index = [m.repo_id for m in d.results].index(repo_id)
    d.results_tree.setCurrentItem(row_at(d.results_tree, index))
    qtbot.waitUntil(lambda: not d._select_timer.isActive() and d._files_job is None, timeout=WAIT)


def select_file(d: ModelsDialog, name: str) -> None:
    index = [f.name for f in d.files].index(name)
    d.files_tree.setCurrentItem(row_at(d.files_tree, index))


def row_at(tree: QTreeWidget, index: int) -> QTreeWidgetItem:
    found = tree.topLevelItem(index)
    assert found is not None
    return found


def texts(tree: QTreeWidget, column: int) -> list[str]:
    return [row_at(tree, i).text(column) for i in range(tree.topLevelItemCount())]


def only_row(d: ModelsDialog) -> DownloadRow:
    [row] = d.downloads.rows.values()
    return row


def put_in_library(name: str = "Local-Q4_0.gguf", **kwargs: Any) -> Path:
    template = "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% endfor %}"
    return make_gguf(paths.models_dir() / name, name="Local", chat_template=template, **kwargs)


# --- search -------------------------------------------------------------------------------


def test_search_shows_repos_from_the_hub(qtbot: QtBot, dialog: ModelsDialog) -> None:
    search(qtbot, dialog, "gguf")
    assert [m.repo_id for m in dialog.results] == [REPO, OTHER, GATED]
    assert texts(dialog.results_tree, 0) == [REPO, OTHER, f"{GATED} (gated)"]
    first = row_at(dialog.results_tree, 0)
    assert first.text(1) == "5K"  # parameters, from the Hub's GGUF summary
    assert first.text(2).replace(",", "").replace("\u00a0", "") == "12345"
    assert first.text(4)  # the date
    # sorting by likes asks the Hub again
    dialog.sort_box.setCurrentIndex(dialog.sort_box.findData("likes"))
    qtbot.waitUntil(lambda: dialog._search_job is None and bool(dialog.results), timeout=WAIT)
    assert dialog.results[0].repo_id == OTHER
    search(qtbot, dialog, "nothing like this")
    assert dialog.results == [] and "No GGUF models match" in dialog.message.text()


def test_selecting_a_repo_lists_files_with_quant_and_verdict(
    qtbot: QtBot, dialog: ModelsDialog
) -> None:
    search(qtbot, dialog, "tiny")
    select_repo(qtbot, dialog, REPO)
    tree = dialog.files_tree
    assert texts(tree, 0) == [SMALL, "Tiny-F16.gguf (2 parts)", BIG]
    assert texts(tree, 1) == ["Q4_K_M", "F16", "Q8_0"]
    assert all(t.startswith("~") and t.endswith("MB") for t in texts(tree, 3))
    assert set(texts(tree, 4)) <= {"fits", "tight", "won't fit"}
    assert "4,096" in tree.headerItem().text(3)
    tip = row_at(tree, 0).toolTip(4)
    assert "needs about" in tip and "available" in tip and "4,096 tokens" in tip
    # the smallest file that fits is preselected; Download is enabled
    assert dialog.selected_file() is not None and dialog.download_button.isEnabled()
    # a new context size redoes the estimates
    before = row_at(tree, 0).text(3)
    dialog.set_n_ctx(32768)
    assert "32,768" in tree.headerItem().text(3) and row_at(tree, 0).text(3) != before


# --- downloads ----------------------------------------------------------------------------


def test_download_shows_progress_completes_and_lands_in_the_library(
    qtbot: QtBot, dialog: ModelsDialog, env: Env
) -> None:
    env.server.rate = 1_000_000  # bytes/s: about 1 s for BIG, so progress is seen
    search(qtbot, dialog, "tiny")
    select_repo(qtbot, dialog, REPO)
    select_file(dialog, BIG)
    started = time.monotonic()
    qtbot.mouseClick(dialog.download_button, Qt.MouseButton.LeftButton)
    assert "Downloading Tiny-Q8_0.gguf (1.0 MB)" in dialog.message.text()
    assert dialog.tabs.tabText(dialog.DOWNLOADS) == "Downloads (1)"
    row = only_row(dialog)
    qtbot.waitUntil(lambda: 0 < row.bar.value() < 1000, timeout=WAIT)
    qtbot.waitUntil(lambda: "/s" in row.status.text() and "left" in row.status.text(), timeout=WAIT)
    assert " of " in row.status.text()
    qtbot.waitUntil(lambda: row.item.state == DownloadState.DONE, timeout=10_000)
    elapsed = time.monotonic() - started
    assert row.bar.value() == 1000 and "verified" in row.status.text()
    assert row.load_button.isVisibleTo(row) and not row.pause_button.isVisibleTo(row)
    assert dialog.downloads.repaints <= elapsed * 10 + 2  # at most ~10 repaints a second
    assert dialog.tabs.tabText(dialog.DOWNLOADS) == "Downloads"
    # it is in the library tab, selected
    qtbot.waitUntil(lambda: dialog.library.tree.topLevelItemCount() == 1, timeout=WAIT)
    entry = dialog.library.selected()
    assert entry is not None and entry.name == f"{REPO}/Tiny-Q8_0"
    assert entry.path == library.repo_dir(REPO) / BIG
    # the file list now offers to load it
    assert "in your library" in row_at(dialog.files_tree, 2).text(0)
    assert dialog.download_button.text() == "Load"
    with qtbot.waitSignal(dialog.load_requested, timeout=WAIT) as signal:
        qtbot.mouseClick(row.load_button, Qt.MouseButton.LeftButton)
    assert signal.args == [str(library.repo_dir(REPO) / BIG)]


def test_split_model_downloads_as_one_by_double_click(
    qtbot: QtBot, dialog: ModelsDialog
) -> None:
    search(qtbot, dialog, "tiny")
    select_repo(qtbot, dialog, REPO)
    select_file(dialog, "Tiny-F16.gguf")
    dialog.files_tree.itemActivated.emit(dialog.files_tree.currentItem(), 0)  # double-click
    row = only_row(dialog)
    assert row.title.text() == "Tiny-F16.gguf (2 parts)"
    qtbot.waitUntil(lambda: row.item.state == DownloadState.DONE, timeout=WAIT)
    qtbot.waitUntil(lambda: dialog.library.tree.topLevelItemCount() == 1, timeout=WAIT)
    assert [e.name for e in dialog.library.entries] == [f"{REPO}/Tiny-F16"]


def test_pause_resume_and_cancel(qtbot: QtBot, dialog: ModelsDialog, env: Env) -> None:
    env.server.rate = 3_000_000
    search(qtbot, dialog, "tiny")
    select_repo(qtbot, dialog, REPO)
    select_file(dialog, BIG)
    dialog.download_selected()
    row = only_row(dialog)
    dest = library.repo_dir(REPO)
    qtbot.waitUntil(lambda: row.bar.value() > 0, timeout=WAIT)
    assert row.pause_button.text() == "Pause"
    qtbot.mouseClick(row.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: row.item.state == DownloadState.PAUSED, timeout=WAIT)
    assert row.pause_button.text() == "Resume" and row.status.text().startswith("Paused")
    assert len(list(dest.glob("*.incomplete"))) == 1
    qtbot.mouseClick(row.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: row.item.state == DownloadState.DONE, timeout=10_000)
    assert (dest / BIG).read_bytes() == env.repo.files[BIG].data

    (dest / BIG).unlink()
    dialog.downloads.clear_finished()
    assert dialog.downloads.rows == {}
    dialog.download_selected()
    row = only_row(dialog)
    qtbot.waitUntil(lambda: row.bar.value() > 0, timeout=WAIT)
    qtbot.mouseClick(row.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: row.item.state == DownloadState.CANCELLED, timeout=WAIT)
    assert row.status.text() == "Cancelled" and row.pause_button.text() == "Download again"
    assert row.bar.value() == 0
    assert not list(dest.glob("*.incomplete"))


def test_a_failed_download_says_why(
    qtbot: QtBot, dialog: ModelsDialog, env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    search(qtbot, dialog, "gated")
    select_repo(qtbot, dialog, GATED)  # the listing works; the file itself needs a token
    dialog.download_selected()
    row = only_row(dialog)
    qtbot.waitUntil(lambda: row.item.state == DownloadState.FAILED, timeout=WAIT)
    assert row.error.isVisibleTo(row) and "HF_TOKEN" in row.error.text()
    assert "Traceback" not in row.error.text() and row.pause_button.text() == "Retry"
    assert row.token_button.isVisibleTo(row)
    # a token that has access, saved from the row's button: the download is retried
    monkeypatch.setattr(keyring.core, "_keyring_backend", MemoryKeyring())
    env.server.tokens.add(TOKEN)
    qtbot.mouseClick(row.token_button, Qt.MouseButton.LeftButton)
    token_dialog = dialog.token_dialog
    assert token_dialog is not None and token_dialog.isVisible()
    token_dialog.field.setText(TOKEN)
    token_dialog.save()
    qtbot.waitUntil(lambda: row.item.state == DownloadState.DONE, timeout=WAIT)
    assert not row.token_button.isVisibleTo(row)


# --- errors -------------------------------------------------------------------------------


def test_offline_listing_shows_the_offline_message_without_freezing(
    qtbot: QtBot, dialog: ModelsDialog, env: Env
) -> None:
    search(qtbot, dialog, "tiny")
    env.server.stop()
    started = time.monotonic()
    dialog.list_files(REPO)
    assert time.monotonic() - started < 0.2  # the call runs off the UI thread
    assert dialog.busy.isVisibleTo(dialog)
    qtbot.waitUntil(lambda: dialog.message.text() == offline_text(), timeout=WAIT)
    assert time.monotonic() - started < 3
    assert not dialog.busy.isVisibleTo(dialog)
    assert dialog.message.property("kind") == "error"
    assert dialog.message.action.isVisibleTo(dialog) and dialog.message.action.text() == "Try again"
    assert dialog.files == [] and not dialog.download_button.isEnabled()


def test_offline_search(qtbot: QtBot, dialog: ModelsDialog, env: Env) -> None:
    env.server.stop()
    started = time.monotonic()
    search(qtbot, dialog, "tiny")
    assert time.monotonic() - started < 3
    assert dialog.message.text() == offline_text()


def test_auth_error_offers_the_token_settings(
    qtbot: QtBot, dialog: ModelsDialog, env: Env, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    search(qtbot, dialog, "gated")
    env.server.repos[GATED].private = True  # now the listing needs a token
    select_repo(qtbot, dialog, GATED)
    assert "gated or private" in dialog.message.text()
    assert dialog.message.action.text() == "Set token…"
    store = MemoryKeyring()
    monkeypatch.setattr(keyring.core, "_keyring_backend", store)
    env.server.tokens.add(TOKEN)
    qtbot.mouseClick(dialog.message.action, Qt.MouseButton.LeftButton)
    token_dialog = dialog.token_dialog
    assert token_dialog is not None and token_dialog.isVisible()
    assert token_dialog.field.echoMode() == QLineEdit.EchoMode.Password
    assert token_dialog.status.text() == "No token saved."
    qtbot.keyClicks(token_dialog.field, TOKEN)
    qtbot.keyClick(token_dialog.field, Qt.Key.Key_Return)
    assert secrets.get_token() == TOKEN
    assert token_dialog.field.text() == "" and TOKEN not in token_dialog.status.text()
    assert dialog.token_status.text() == "A token is saved"
    # saving the token retried the listing, which now works
    qtbot.waitUntil(lambda: dialog.files_repo == GATED and bool(dialog.files), timeout=WAIT)
    assert dialog.message.text() == ""
    token_dialog.remove()
    assert secrets.get_token() is None and token_dialog.status.text().startswith("The saved")
    assert TOKEN not in caplog.text


def test_token_dialog_without_keyring_and_with_hf_token(
    dialog: ModelsDialog, monkeypatch: pytest.MonkeyPatch
) -> None:
    token_dialog = dialog.open_token_settings()
    token_dialog.field.setText(TOKEN)
    token_dialog.save()  # the test keyring refuses everything
    assert token_dialog.error.isVisibleTo(token_dialog)
    assert "No usable system keyring" in token_dialog.error.text()
    assert TOKEN not in token_dialog.error.text()
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    token_dialog.refresh()
    assert "HF_TOKEN" in token_dialog.status.text() and TOKEN not in token_dialog.status.text()
    token_dialog.close()


# --- library ------------------------------------------------------------------------------


def test_library_details_and_load(qtbot: QtBot, dialog: ModelsDialog) -> None:
    path = put_in_library()
    dialog.show_page(dialog.LIBRARY)
    dialog.refresh_library()
    page = dialog.library
    qtbot.waitUntil(lambda: page.tree.topLevelItemCount() == 1, timeout=WAIT)
    item = row_at(page.tree, 0)
    assert [item.text(c) for c in (0, 2, 3, 5, 6)] == [
        "Local-Q4_0", "F32", "llama", "512", "Imported"
    ]
    assert page.details_title.text() == "Local"
    assert page.fields["vocab"].text() == "6 tokens (llama)"
    assert "<|{{ m.role }}|>" in page.template.toPlainText() and page.template.isReadOnly()
    assert page.fields["memory"].text().startswith("about ")
    with qtbot.waitSignal(dialog.load_requested, timeout=WAIT) as signal:
        qtbot.mouseClick(page.load_button, Qt.MouseButton.LeftButton)
    assert signal.args == [str(path)]
    page.tree.setFocus()
    with qtbot.waitSignal(dialog.load_requested, timeout=WAIT) as signal:
        qtbot.keyClick(page.tree, Qt.Key.Key_Return)  # Enter loads too
    assert signal.args == [str(path)]


def test_import_garbage_shows_the_error_and_adds_nothing(
    qtbot: QtBot, dialog: ModelsDialog, env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    garbage = env.tmp / "downloads" / "model.gguf"
    garbage.parent.mkdir()
    garbage.write_bytes(b"<!DOCTYPE html><html>Not found</html>")
    warnings: list[tuple[str, str]] = []
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", lambda *a, **k: (str(garbage), "GGUF models (*.gguf)")
    )
    monkeypatch.setattr(
        QMessageBox, "warning", lambda parent, title, text, *a: warnings.append((title, text))
    )
    dialog.show_page(dialog.LIBRARY)
    qtbot.mouseClick(dialog.library.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(warnings), timeout=WAIT)
    [(title, text)] = warnings
    assert title == "Could not import the model"
    assert "model.gguf is not a usable GGUF model" in text and "HTML" in text
    assert library.list_models() == [] and not list(paths.models_dir().glob("*.gguf"))
    qtbot.waitUntil(lambda: not dialog.busy_now(), timeout=WAIT)
    assert dialog.library.tree.topLevelItemCount() == 0
    assert dialog.library.import_button.isEnabled()


def test_import_a_good_file(
    qtbot: QtBot, dialog: ModelsDialog, env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = make_gguf(env.tmp / "elsewhere" / "Good-Q8_0.gguf", name="Good")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(good), ""))
    dialog.library.choose_import()
    qtbot.waitUntil(lambda: dialog.library.tree.topLevelItemCount() == 1, timeout=WAIT)
    entry = dialog.library.selected()
    assert entry is not None and entry.path == paths.models_dir() / good.name  # a copy
    assert good.exists() and dialog.library.status.text() == "Imported Good-Q8_0."
    # unchecked "copy": the library links to the file where it is
    other = make_gguf(env.tmp / "elsewhere" / "Other-Q4_0.gguf", name="Other")
    dialog.library.copy_box.setChecked(False)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(other), ""))
    dialog.library.choose_import()
    qtbot.waitUntil(lambda: dialog.library.tree.topLevelItemCount() == 2, timeout=WAIT)
    linked = dialog.library.selected()
    assert linked is not None and linked.path == other and linked.source == "linked"
    assert dialog.settings.value("modelsDialog/copyImports") in (False, "false")


def test_delete_asks_first(
    qtbot: QtBot, dialog: ModelsDialog, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = put_in_library()
    dialog.show_page(dialog.LIBRARY)
    dialog.refresh_library()
    page = dialog.library
    qtbot.waitUntil(lambda: page.tree.topLevelItemCount() == 1, timeout=WAIT)
    answers = [QMessageBox.StandardButton.No]
    asked: list[str] = []

    def question(parent: Any, title: str, text: str, *args: Any) -> QMessageBox.StandardButton:
        asked.append(text)
        return answers.pop(0)

    monkeypatch.setattr(QMessageBox, "question", question)
    qtbot.mouseClick(page.delete_button, Qt.MouseButton.LeftButton)
    assert path.exists() and "Delete Local-Q4_0 from this computer?" in asked[0]
    answers.append(QMessageBox.StandardButton.Yes)
    dialog.activateWindow()
    page.tree.setFocus()
    qtbot.waitUntil(page.tree.hasFocus, timeout=WAIT)
    qtbot.keyClick(page.tree, Qt.Key.Key_Delete)  # the Delete key, with confirmation
    assert len(asked) == 2 and not path.exists()
    qtbot.waitUntil(lambda: page.tree.topLevelItemCount() == 0, timeout=WAIT)
    assert page.empty.isVisibleTo(page) and library.list_models() == []


# --- the window ---------------------------------------------------------------------------


def test_geometry_is_remembered_and_esc_closes(
    qtbot: QtBot, env: Env, settings: QSettings
) -> None:
    first = ModelsDialog(settings=settings)
    qtbot.addWidget(first)
    first.show()
    qtbot.waitExposed(first)
    first.resize(720, 530)
    first.show_page(first.LIBRARY)
    qtbot.keyClick(first, Qt.Key.Key_Escape)
    assert not first.isVisible()
    first.shutdown()
    second = ModelsDialog(settings=settings)
    qtbot.addWidget(second)
    assert (second.width(), second.height()) == (720, 530)
    assert second.tabs.currentIndex() == second.LIBRARY and not second.isModal()
    qtbot.waitUntil(lambda: not second.busy_now(), timeout=WAIT)
    second.shutdown()


def test_render_png(qtbot: QtBot, dialog: ModelsDialog, env: Env, tmp_path: Path) -> None:
    """Each page, filled with data, saved as PNG (MODELS_DIALOG_PNG_DIR keeps them)."""
    out = Path(os.environ.get("MODELS_DIALOG_PNG_DIR") or tmp_path / "png")
    out.mkdir(parents=True, exist_ok=True)

    def snap(name: str) -> bool:
        QApplication.processEvents()  # let the page that was just shown lay itself out
        return dialog.grab().save(str(out / name))

    put_in_library(context_length=8192)
    env.server.rate = 300_000
    dialog.resize(1000, 700)
    search(qtbot, dialog, "gguf")
    select_repo(qtbot, dialog, REPO)
    select_file(dialog, BIG)
    dialog.download_selected()
    saved = [snap("models-search.png")]

    dialog.show_page(dialog.DOWNLOADS)
    select_file(dialog, SMALL)
    dialog.download_selected()
    rows = list(dialog.downloads.rows.values())
    qtbot.waitUntil(lambda: 200 < rows[0].bar.value() < 900, timeout=10_000)
    dialog.downloads._flush()
    saved.append(snap("models-downloads.png"))

    dialog.downloads.cancel(rows[0].item.id)
    qtbot.waitUntil(lambda: rows[1].item.state == DownloadState.DONE, timeout=WAIT)
    dialog.downloads.add(GATED, [SMALL])
    failed = list(dialog.downloads.rows.values())[-1]
    qtbot.waitUntil(lambda: failed.item.state == DownloadState.FAILED, timeout=WAIT)
    saved.append(snap("models-downloads-finished.png"))
    dialog.show_page(dialog.LIBRARY)
    qtbot.waitUntil(lambda: dialog.library.tree.topLevelItemCount() == 2, timeout=WAIT)
    dialog.library.select_path(paths.models_dir() / "Local-Q4_0.gguf")
    saved.append(snap("models-library.png"))

    dialog.show_page(dialog.SEARCH)
    env.server.stop()
    dialog.list_files(OTHER)
    qtbot.waitUntil(lambda: dialog.message.text() == offline_text(), timeout=WAIT)
    saved.append(snap("models-offline.png"))
    token_dialog = dialog.open_token_settings()
    saved.append(token_dialog.grab().save(str(out / "models-token.png")))
    token_dialog.close()
    assert all(saved)


def test_render_png_dark(
    qtbot: QtBot, env: Env, settings: QSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same window with a dark palette: the verdict and message colours must stay legible."""
    out = Path(os.environ.get("MODELS_DIALOG_PNG_DIR") or tmp_path / "png")
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    old = app.palette()
    dark = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Window, "#2b2b2b"),
        (QPalette.ColorRole.WindowText, "#e6e6e6"),
        (QPalette.ColorRole.Base, "#1e1e1e"),
        (QPalette.ColorRole.AlternateBase, "#262626"),
        (QPalette.ColorRole.Text, "#e6e6e6"),
        (QPalette.ColorRole.Button, "#353535"),
        (QPalette.ColorRole.ButtonText, "#e6e6e6"),
        (QPalette.ColorRole.Highlight, "#2f65ca"),
        (QPalette.ColorRole.HighlightedText, "#ffffff"),
    ):
        dark.setColor(role, QColor(colour))
    app.setPalette(dark)
    try:
        d = ModelsDialog(settings=settings)
        qtbot.addWidget(d)
        d.show()
        d.resize(1000, 700)
        search(qtbot, d, "gguf")
        select_repo(qtbot, d, REPO)
        d.set_n_ctx(2_000_000)  # big enough for "tight" / "won't fit"
        assert "won't fit" in texts(d.files_tree, 4)
        assert d.grab().save(str(out / "models-files-dark.png"))
        quick = functools.partial(_pagination.http_backoff, max_retries=0)
        monkeypatch.setattr(_pagination, "http_backoff", quick)
        env.server.stop()
        d.list_files(OTHER)
        qtbot.waitUntil(lambda: d.message.isVisibleTo(d), timeout=10_000)
        assert d.grab().save(str(out / "models-search-dark.png"))
        d.shutdown()
    finally:
        app.setPalette(old)
