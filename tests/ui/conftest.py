"""GUI tests: offscreen Qt, settings kept away from the user's, a window per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import QSettings, QStandardPaths

import desktop.ui.compat  # noqa: F401  (a PySide6 reference-count bug work-around)


@pytest.fixture(scope="session")
def qapp_args() -> list[str]:
    return ["tokenscope-tests"]


@pytest.fixture(scope="session", autouse=True)
def _isolated_qt(tmp_path_factory: pytest.TempPathFactory, qapp: Any) -> Iterator[None]:
    """QSettings and QStandardPaths point into a temporary directory."""
    QStandardPaths.setTestModeEnabled(True)
    root = tmp_path_factory.mktemp("qsettings")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(root))
    qapp.setOrganizationName("TokenscopeTests")
    qapp.setApplicationName("TokenscopeTests")
    yield


@pytest.fixture(autouse=True)
def _own_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test has a data directory of its own: its own conversation history."""
    data = tmp_path / "data"
    monkeypatch.setenv("TOKENSCOPE_DATA_DIR", str(data))
    return data


@pytest.fixture
def store(tmp_path: Path) -> Any:
    """A SettingsStore of its own for one test."""
    from desktop.ui.settings_store import SettingsStore

    return SettingsStore(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture(scope="module")
def ui_engine(tiny_model: Path) -> Iterator[Any]:
    """The tiny model on one thread. With two llama.cpp threads on a two-core machine, the
    UI thread preempts one of them and the other spins at each barrier: the tiny model's
    decode then takes milliseconds instead of microseconds."""
    from desktop.core.engine import Engine, LoadOptions

    engine = Engine(tiny_model, LoadOptions(n_ctx=512, n_threads=1))
    yield engine
    engine.close()


@pytest.fixture
def window(qtbot: Any, store: Any, ui_engine: Any) -> Iterator[Any]:
    """The main window over the tiny random-weight model (not owned by the window)."""
    from desktop.ui.main_window import MainWindow

    win = MainWindow(store, engine=ui_engine, restore_layout=False)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()
