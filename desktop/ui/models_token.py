"""The Hugging Face token: set or remove it (kept in the system keyring by core.secrets).

The token is typed into a password field and never shown back, logged or kept in a
widget once saved: the dialog only says whether one is saved and where it comes from.
"""

from __future__ import annotations

import logging
import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

import desktop.ui.compat  # noqa: F401  (first: a PySide6 bug work-around)
from desktop.core import secrets

log = logging.getLogger(__name__)

TOKENS_URL = "https://huggingface.co/settings/tokens"


def env_token_in_use() -> bool:
    """Whether HF_TOKEN is set (asks no keyring: that may prompt the user to unlock it)."""
    return bool(os.environ.get(secrets.ENV_VAR, "").strip())


class TokenDialog(QDialog):
    """Set or remove the token. `token_changed` after a save or removal."""

    token_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tokenDialog")
        self.setWindowTitle(self.tr("Hugging Face token"))
        layout = QVBoxLayout(self)
        intro = QLabel(
            self.tr(
                "A token lets Tokenscope download gated or private models your Hugging Face "
                "account has access to. Public models need none. Create a token with "
                "<i>read</i> access at <a href=\"%1\">huggingface.co/settings/tokens</a>; it "
                "is kept in your system's keyring."
            ).replace("%1", TOKENS_URL),
            self,
        )
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.RichText)
        intro.setOpenExternalLinks(True)
        layout.addWidget(intro)

        self.status = QLabel(self)
        self.status.setObjectName("tokenStatus")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)

        row = QHBoxLayout()
        self.field = QLineEdit(self)
        self.field.setObjectName("tokenField")
        self.field.setEchoMode(QLineEdit.EchoMode.Password)
        self.field.setPlaceholderText(self.tr("Paste a token (hf_…)"))
        self.field.setClearButtonEnabled(True)
        self.field.setAccessibleName(self.tr("Hugging Face token"))
        row.addWidget(self.field, 1)
        self.save_button = QPushButton(self.tr("Save"), self)
        row.addWidget(self.save_button)
        layout.addLayout(row)

        self.error = QLabel(self)
        self.error.setObjectName("tokenError")
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addWidget(self.error)

        buttons = QHBoxLayout()
        self.remove_button = QPushButton(self.tr("Remove the saved token"), self)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        self.close_button = QPushButton(self.tr("Close"), self)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)
        for button in (self.save_button, self.remove_button, self.close_button):
            button.setAutoDefault(False)

        self.field.returnPressed.connect(self.save)
        self.field.textChanged.connect(self._update_buttons)
        self.save_button.clicked.connect(self.save)
        self.remove_button.clicked.connect(self.remove)
        self.close_button.clicked.connect(self.accept)
        self.source: secrets.TokenSource | None = None
        self.refresh()
        self.resize(460, self.sizeHint().height())

    def refresh(self) -> None:
        """Say whether a token is saved / comes from HF_TOKEN (never the token itself)."""
        _, self.source = secrets.token_and_source()
        stored = self.source == "keyring"
        if self.source == "env":
            text = self.tr(
                "Using the token from the HF_TOKEN environment variable. It takes precedence "
                "over a token saved here."
            )
            # the keyring may hold one too: removing it must stay possible
            stored = True
        elif stored:  # say where: not always the system keyring (a plain-text file?)
            text = self.tr("A token is saved in %1.").replace("%1", secrets.keyring_status().where)
        else:
            text = self.tr("No token saved.")
        self.status.setText(text)
        self.remove_button.setEnabled(stored)
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.save_button.setEnabled(bool(self.field.text().strip()))

    def _show_error(self, text: str | None) -> None:
        self.error.setText(text or "")
        self.error.setVisible(bool(text))

    def save(self) -> None:
        token = self.field.text()
        if not token.strip():
            return
        try:
            where = secrets.set_token(token)
        except (ValueError, secrets.SecretStoreError) as exc:
            self._show_error(str(exc))
            return
        self.field.setText("")  # unlike clear(), also forgets the undo history
        self._show_error(None)
        self.refresh()
        if self.source == "keyring":
            self.status.setText(self.tr("Token saved in %1.").replace("%1", where))
        self.token_changed.emit()

    def remove(self) -> None:
        try:
            secrets.delete_token()
        except secrets.SecretStoreError as exc:
            self._show_error(str(exc))
            return
        self._show_error(None)
        self.refresh()
        if self.source != "env":
            self.status.setText(self.tr("The saved token was removed."))
        self.token_changed.emit()
