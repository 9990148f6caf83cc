"""The desktop app: QApplication, translations, the main window.

``tokenscope`` (no subcommand) calls ``run``; logging is already set up by the CLI.
"""

from __future__ import annotations

import logging
import signal
import sys

from PySide6.QtCore import QLibraryInfo, QLocale, QTimer, QTranslator
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QWidget

import desktop.ui.compat  # noqa: F401  (first: a PySide6 bug work-around)
from desktop import APP_NAME, __version__
from desktop.resources import app_icon_files, resource_path

log = logging.getLogger(__name__)

ORGANIZATION = "Tokenscope"
TRANSLATIONS_DIR = resource_path("translations")


def locale_for(language: str) -> QLocale:
    """The locale for a language setting ("system", "en", "zh_CN")."""
    return QLocale.system() if language == "system" else QLocale(language)


def install_translators(app: QApplication, language: str) -> list[QTranslator]:
    """Install Tokenscope's and Qt's own translations for ``language``.

    Returns the translators installed (kept referenced on the app, so they live on)."""
    locale = locale_for(language)
    QLocale.setDefault(locale)
    installed: list[QTranslator] = []
    for old in getattr(app, "_tokenscope_translators", []):
        app.removeTranslator(old)
    ours = QTranslator(app)
    if ours.load(locale, "tokenscope", "_", str(TRANSLATIONS_DIR)):
        app.installTranslator(ours)
        installed.append(ours)
        qt = QTranslator(app)  # Qt's standard buttons (Yes/No, Cancel, ...)
        qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        if qt.load(locale, "qtbase", "_", qt_dir) or qt.load(locale, "qt", "_", qt_dir):
            app.installTranslator(qt)
            installed.append(qt)
    elif locale.language() not in (QLocale.Language.English, QLocale.Language.C):
        log.info("no translation for %s; using English", locale.name())
    app._tokenscope_translators = installed  # type: ignore[attr-defined]
    return installed


def create_app(argv: list[str] | None = None) -> QApplication:
    """The QApplication with Tokenscope's name, organisation and version."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setOrganizationName(ORGANIZATION)
    app.setOrganizationDomain("tokenscope.app")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("io.github.tokenscope.Tokenscope")  # matches the .desktop file
    icon = QIcon()
    for file in app_icon_files():
        icon.addFile(str(file))
    if not icon.isNull():
        app.setWindowIcon(icon)
    return app


def run(model: str | None = None) -> int:
    """Open the window (loading ``model``, or else the last model) and run until it closes."""
    app = create_app()
    from desktop.ui.settings_store import SettingsStore

    store = SettingsStore()
    install_translators(app, store.language)
    from desktop.ui.main_window import MainWindow

    window = MainWindow(store, model_path=model)
    window.show()
    _close_on_signals(window)
    log.info("window open")
    return int(app.exec())


def _close_on_signals(window: QWidget) -> None:
    """Ctrl+C or SIGTERM in the terminal close the window properly (layout saved, reply
    stopped). Python only sees signals when it runs, hence the idle timer."""

    def close(*_: object) -> None:
        window.close()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, close)
    timer = QTimer(window)
    timer.timeout.connect(lambda: None)
    timer.start(250)
