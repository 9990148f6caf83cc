"""Settings… and About: the dialogs of the Settings and Help menus, and what a change of
settings means for the open session, the conversation and the model."""

from __future__ import annotations

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop import __version__
from desktop.ui.panels._remote_texts import RemoteTexts
from desktop.ui.settings_dialog import SettingsDialog
from desktop.ui.settings_store import SettingsStore
from desktop.ui.window.models import Models
from desktop.ui.window.state import AppState


class Preferences(QObject):
    def __init__(self, state: AppState, models: Models, settings: SettingsStore,
                 parent: QWidget) -> None:
        super().__init__(parent)
        self.state = state
        self.models = models
        self.settings = settings
        self.parent_widget = parent

    @Slot()
    def open_settings(self) -> None:
        state = self.state
        offload = bool(state.build.get("gpu_offload")) if state.build else None
        if offload is None:
            try:
                from desktop.core import backend

                offload = backend.build_info().gpu_offload
            except Exception:  # no llama.cpp: nothing to offload either
                offload = False
        not_applied = getattr(state.session, "not_applied", None)  # a server's session
        server = state.build.get("server") if state.build and not_applied else None
        dialog = SettingsDialog(self.settings, offload, self.parent_widget, server=server)
        if not dialog.exec():
            return
        if state.session is not None:
            state.session.settings = self.settings.sampler_settings()
            state.session.max_tokens = self.settings.max_tokens
        if not_applied is not None:  # say at once what the server will not read
            ignored = not_applied()
            if ignored:
                state.say(RemoteTexts(self).not_applied(ignored), 20000)
        if not state.current.nodes:
            state.current.system = self.settings.system_prompt
        if dialog.load_options_changed and self.models.dialog is not None:
            self.models.dialog.set_n_ctx(self.settings.load_options().n_ctx)
        if dialog.language_changed:
            QMessageBox.information(
                self.parent_widget, self.tr("Language"),
                self.tr("The new language is used when Tokenscope starts again."),
            )
        if dialog.load_options_changed:
            self.models.reload_if_wanted()

    @Slot()
    def about(self) -> None:
        QMessageBox.about(
            self.parent_widget,
            self.tr("About Tokenscope"),
            self.tr(
                "<h3>Tokenscope %1</h3>"
                "<p>Chat with language models on your own computer, offline, and see how "
                "they work: every token with its probability, the sampler's candidates, the "
                "prompt as tokens and the context window.</p>"
                "<p>Models run with llama.cpp (llama-cpp-python).</p>"
            ).replace("%1", __version__),
        )

    @Slot()
    def about_qt(self) -> None:
        QMessageBox.aboutQt(self.parent_widget)
