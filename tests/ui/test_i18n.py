"""The window speaks the user's language: Chinese under zh_CN, English otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QLocale

from desktop.ui.app import TRANSLATIONS_DIR, install_translators, locale_for
from desktop.ui.main_window import MainWindow


@pytest.fixture
def language(qapp: Any) -> Iterator[Any]:
    """Install a language's translators for one test, then go back to none."""
    default = QLocale()

    def install(code: str) -> list[Any]:
        return install_translators(qapp, code)

    yield install
    for translator in getattr(qapp, "_tokenscope_translators", []):
        qapp.removeTranslator(translator)
    qapp._tokenscope_translators = []
    QLocale.setDefault(default)


def menu_titles(win: MainWindow) -> list[str]:
    return [a.text() for a in win.menuBar().actions()]


def test_the_chinese_translation_is_built() -> None:
    assert (TRANSLATIONS_DIR / "tokenscope_zh_CN.ts").is_file()
    assert (TRANSLATIONS_DIR / "tokenscope_zh_CN.qm").is_file()


def test_the_window_comes_up_in_chinese(
    qtbot: Any, store: Any, ui_engine: Any, language: Any
) -> None:
    assert language("zh_CN")  # Tokenscope's own translator at least
    win = MainWindow(store, engine=ui_engine, restore_layout=False)
    qtbot.addWidget(win)
    assert menu_titles(win) == ["文件(&F)", "视图(&V)", "透镜(&L)", "设置(&S)", "帮助(&H)"]
    assert win.composer.button.text() == "发送"
    assert win.conversations_dock.windowTitle() == "对话"
    assert win.windowTitle() == "新对话 — Tokenscope"
    assert win.first_run.download_button.text().startswith("下载入门模型")


def test_english_needs_no_translator(
    qtbot: Any, store: Any, ui_engine: Any, language: Any
) -> None:
    assert language("en") == []
    win = MainWindow(store, engine=ui_engine, restore_layout=False)
    qtbot.addWidget(win)
    assert menu_titles(win) == ["&File", "&View", "&Lenses", "&Settings", "&Help"]


def test_the_system_language_is_followed_unless_overridden() -> None:
    assert locale_for("system") == QLocale.system()
    assert locale_for("zh_CN").name() == "zh_CN"
