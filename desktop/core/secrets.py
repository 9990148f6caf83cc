"""The Hugging Face token, kept in the operating system's keyring.

`HF_TOKEN` in the environment wins over the keyring (as in huggingface_hub). The token is
never logged; log lines say only where a token came from.
"""

from __future__ import annotations

import logging
import os
from typing import Literal

import keyring
import keyring.errors

from .errors import TokenscopeError

log = logging.getLogger(__name__)

SERVICE = "tokenscope"
KEY = "hf_token"
ENV_VAR = "HF_TOKEN"

TokenSource = Literal["env", "keyring"]


class SecretStoreError(TokenscopeError, RuntimeError):
    """The keyring cannot store or delete the token; the message says what to do instead."""


_NO_KEYRING = (
    "No usable system keyring ({reason}). Set the HF_TOKEN environment variable instead, "
    "or install and unlock a keyring (GNOME Keyring, KWallet, macOS Keychain, Windows "
    "Credential Manager)."
)


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


def set_token(token: str) -> None:
    """Store the token in the keyring; raise `SecretStoreError` if no keyring can hold it."""
    token = token.strip()
    if not token:
        raise ValueError("The token is empty: paste the token from huggingface.co/settings/tokens.")
    try:
        keyring.set_password(SERVICE, KEY, token)
    except Exception as exc:
        raise SecretStoreError(_NO_KEYRING.format(reason=type(exc).__name__)) from None
    log.info("Hub token stored in the keyring")


def delete_token() -> None:
    """Forget the stored token (nothing happens if there is none)."""
    try:
        keyring.delete_password(SERVICE, KEY)
    except keyring.errors.PasswordDeleteError:
        return
    except Exception as exc:
        raise SecretStoreError(_NO_KEYRING.format(reason=type(exc).__name__)) from None
    log.info("Hub token removed from the keyring")
