"""The Hugging Face token page says where a saved token really went (a plain-text file is
not "the system keyring") and refuses a keyring that would discard it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keyring.backends.null
import keyring.core
import pytest

from desktop.core import secrets
from desktop.ui.models_token import TokenDialog
from tests.file_keyring import PlainFileKeyring

TOKEN = "hf_dialog_secret"


@pytest.fixture
def dialog(qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> TokenDialog:
    monkeypatch.delenv("HF_TOKEN", raising=False)
    d = TokenDialog()
    qtbot.addWidget(d)
    return d


def test_a_plaintext_file_is_named(
    dialog: TokenDialog, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    backend = PlainFileKeyring(tmp_path / "plain.cfg")
    monkeypatch.setattr(keyring.core, "_keyring_backend", backend)
    dialog.field.setText(TOKEN)
    dialog.save()
    text = dialog.status.text()
    assert text == f"Token saved in a plain-text file, {backend.file_path} (not encrypted)."
    assert "system keyring" not in text and TOKEN not in text
    dialog.refresh()
    assert dialog.status.text().startswith("A token is saved in a plain-text file, ")
    assert secrets.get_token() == TOKEN


def test_a_discarding_keyring_is_refused(
    dialog: TokenDialog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keyring.core, "_keyring_backend", keyring.backends.null.Keyring())
    dialog.field.setText(TOKEN)
    dialog.save()
    assert dialog.error.isVisibleTo(dialog)
    assert "not saved" in dialog.error.text() and "HF_TOKEN" in dialog.error.text()
    assert "saved in" not in dialog.status.text()
    assert TOKEN not in dialog.error.text() + dialog.status.text()
