"""A real keyring backend that writes passwords to a plain-text file, as keyrings.alt's
`PlaintextKeyring` does (and with the same `file_path` attribute), for tests of how the
app reports where a token went. keyrings.alt itself is used too where it is installed."""

from __future__ import annotations

import configparser
from pathlib import Path

import keyring.backend
import keyring.errors


class PlainFileKeyring(keyring.backend.KeyringBackend):
    priority = 0.5  # type: ignore[assignment]

    def __init__(self, file_path: Path) -> None:
        super().__init__()
        self.file_path = str(file_path)

    def _read(self) -> configparser.ConfigParser:
        config = configparser.ConfigParser(interpolation=None)
        config.read(self.file_path, encoding="utf-8")
        return config

    def get_password(self, service: str, username: str) -> str | None:
        config = self._read()
        return config.get(service, username, fallback=None)

    def set_password(self, service: str, username: str, password: str) -> None:
        config = self._read()
        if not config.has_section(service):
            config.add_section(service)
        config.set(service, username, password)
        with open(self.file_path, "w", encoding="utf-8") as f:
            config.write(f)

    def delete_password(self, service: str, username: str) -> None:
        config = self._read()
        if not config.remove_option(service, username):
            raise keyring.errors.PasswordDeleteError("not found")
        with open(self.file_path, "w", encoding="utf-8") as f:
            config.write(f)


class EncryptedFileKeyring(PlainFileKeyring):
    """Named like keyrings.alt's EncryptedKeyring (it does not really encrypt: a test)."""


class ForgetfulKeyring(keyring.backend.KeyringBackend):
    """Accepts every password and keeps none (like the null backend, under another name)."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        pass

    def delete_password(self, service: str, username: str) -> None:
        pass
