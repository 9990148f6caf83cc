"""The Hugging Face token, kept in the operating system's keyring.

`HF_TOKEN` in the environment wins over the keyring (as in huggingface_hub). The token is
never logged; log lines say only where a token came from or went.

Honesty about the keyring: `keyring` may have no real backend. Its "fail" backend refuses
everything, its "null" backend (chosen with PYTHON_KEYRING_BACKEND or keyringrc.cfg)
silently discards what it is given, and the keyrings.alt file backends write passwords
to a file, in plain text for `PlaintextKeyring`. `keyring_status()` says which it is (the
`doctor` command warns about all three); `set_token` refuses the first two, reads the
token back to be sure it was kept, and returns where it went ("a plain-text file, …").
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any, Literal

import keyring
import keyring.backends.chainer
import keyring.backends.fail
import keyring.backends.null
import keyring.errors

from .errors import TokenscopeError

log = logging.getLogger(__name__)

SERVICE = "tokenscope"
KEY = "hf_token"
ENV_VAR = "HF_TOKEN"

TokenSource = Literal["env", "keyring"]
StoreKind = Literal["system", "encrypted-file", "plaintext-file", "none"]


class SecretStoreError(TokenscopeError, RuntimeError):
    """The keyring cannot store or delete the token; the message says what to do instead."""


class NoKeyringError(SecretStoreError):
    """There is no keyring that keeps anything (keyring's fail or null backend)."""


_USE_HF_TOKEN = (
    "Set the HF_TOKEN environment variable instead (for example `export HF_TOKEN=hf_…` in "
    "your shell profile), or install and unlock a keyring (GNOME Keyring, KWallet, macOS "
    "Keychain, Windows Credential Manager)."
)
_NO_KEYRING = "No usable system keyring ({reason}). " + _USE_HF_TOKEN


@dataclass(frozen=True)
class KeyringStatus:
    """Where a token given to `set_token` would go, for `doctor` and the token page."""

    backend: str  # the backend's class, e.g. "keyring.backends.SecretService.Keyring"
    kind: StoreKind
    where: str  # "the system keyring (SecretService)", "a plain-text file, /path", ""
    problem: str | None = None  # a warning with what to do instead; None when all is well

    @property
    def usable(self) -> bool:
        return self.kind != "none"


def _name(backend: Any) -> str:
    return f"{type(backend).__module__}.{type(backend).__qualname__}"


def _describe(backend: Any) -> KeyringStatus:
    name = _name(backend)
    if isinstance(backend, keyring.backends.fail.Keyring):
        reason = "no keyring backend is installed or working"
        return KeyringStatus(name, "none", "", _NO_KEYRING.format(reason=reason))
    if isinstance(backend, keyring.backends.null.Keyring):
        reason = (
            "the 'null' keyring backend is selected, by PYTHON_KEYRING_BACKEND or "
            "keyringrc.cfg; it silently discards what it is given"
        )
        return KeyringStatus(name, "none", "", _NO_KEYRING.format(reason=reason))
    if isinstance(backend, keyring.backends.chainer.ChainerBackend):
        chained = list(backend.backends)
        if not chained:
            reason = "the chained keyring backend has no backend to chain"
            return KeyringStatus(name, "none", "", _NO_KEYRING.format(reason=reason))
        first = _describe(chained[0])  # set_password goes to the first one
        return KeyringStatus(name, first.kind, first.where, first.problem)
    path = getattr(backend, "file_path", None)
    if isinstance(path, (str, os.PathLike)):  # keyrings.alt's file backends and the like
        kind = type(backend).__name__.lower()
        if "encrypt" in kind or "crypt" in kind:
            return KeyringStatus(name, "encrypted-file", f"an encrypted file, {path}")
        problem = (
            f"The keyring backend ({name}) keeps passwords in a plain-text file, {path}: "
            "anyone who can read your files can read a token saved there. " + _USE_HF_TOKEN
        )
        where = f"a plain-text file, {path} (not encrypted)"
        return KeyringStatus(name, "plaintext-file", where, problem)
    short = type(backend).__module__.rsplit(".", 1)[-1]
    return KeyringStatus(name, "system", f"the system keyring ({short})")


def keyring_status() -> KeyringStatus:
    """Which keyring backend is in use and whether it really keeps a token (asks the
    keyring for nothing, so it never prompts the user to unlock it)."""
    try:
        backend = keyring.get_keyring()
    except Exception as exc:  # a broken keyringrc.cfg, a backend that fails to load
        reason = f"the keyring could not be loaded: {type(exc).__name__}"
        return KeyringStatus("?", "none", "", _NO_KEYRING.format(reason=reason))
    return _describe(backend)


def _from_keyring() -> str | None:
    try:
        return keyring.get_password(SERVICE, KEY) or None
    except Exception as exc:  # NoKeyringError, locked or broken backends (D-Bus errors...)
        log.info("No token from the keyring: %s", type(exc).__name__)
        return None


def get_token() -> str | None:
    """The Hub token: `HF_TOKEN` if set, else the keyring's; None if neither (or no keyring)."""
    return token_and_source()[0]


def token_and_source() -> tuple[str | None, TokenSource | None]:
    """The token and where it came from, for Settings to show ("from HF_TOKEN")."""
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return env, "env"
    stored = _from_keyring()
    return (stored, "keyring") if stored else (None, None)


def set_token(token: str) -> str:
    """Store the token in the keyring and return where it went (`KeyringStatus.where`,
    e.g. "the system keyring (SecretService)" or "a plain-text file, /path (not
    encrypted)").

    Raises `NoKeyringError` when no keyring would keep it (fail or null backend, or one
    that accepts it but cannot give it back), `SecretStoreError` when storing fails.
    """
    token = token.strip()
    if not token:
        raise ValueError("The token is empty: paste the token from huggingface.co/settings/tokens.")
    status = keyring_status()
    if not status.usable:
        raise NoKeyringError(f"The token was not saved. {status.problem}")
    try:
        keyring.set_password(SERVICE, KEY, token)
    except Exception as exc:
        raise SecretStoreError(_NO_KEYRING.format(reason=type(exc).__name__)) from None
    if _from_keyring() != token:
        reason = f"{status.backend} accepted the token but does not give it back"
        raise NoKeyringError("The token was not saved. " + _NO_KEYRING.format(reason=reason))
    log.info("Hub token stored in %s", status.where)
    return status.where


def delete_token() -> None:
    """Forget the stored token (nothing happens if there is none)."""
    status = keyring_status()
    if not status.usable:
        raise NoKeyringError(str(status.problem))
    try:
        keyring.delete_password(SERVICE, KEY)
    except keyring.errors.PasswordDeleteError:
        return
    except Exception as exc:
        raise SecretStoreError(_NO_KEYRING.format(reason=type(exc).__name__)) from None
    log.info("Hub token removed from %s", status.where)
