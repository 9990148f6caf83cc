"""The Hub token: HF_TOKEN first, then the keyring; a missing keyring is a clear error."""

from __future__ import annotations

import logging

import keyring.backend
import keyring.backends.fail
import keyring.core
import pytest

from desktop.core import secrets
from tests.memory_keyring import MemoryKeyring


@pytest.fixture
def memory(monkeypatch: pytest.MonkeyPatch) -> MemoryKeyring:
    backend = MemoryKeyring()
    monkeypatch.setattr(keyring.core, "_keyring_backend", backend)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    return backend


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyring.core, "_keyring_backend", keyring.backends.fail.Keyring())
    monkeypatch.delenv("HF_TOKEN", raising=False)


def test_token_round_trip(memory: MemoryKeyring, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    assert secrets.get_token() is None
    secrets.set_token("  hf_secret123 \n")
    assert memory.store[("tokenscope", "hf_token")] == "hf_secret123"
    assert secrets.token_and_source() == ("hf_secret123", "keyring")
    secrets.delete_token()
    assert secrets.get_token() is None
    secrets.delete_token()  # deleting twice is fine
    assert "hf_secret123" not in caplog.text


def test_env_var_wins(memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch) -> None:
    secrets.set_token("hf_from_keyring")
    monkeypatch.setenv("HF_TOKEN", "hf_from_env")
    assert secrets.token_and_source() == ("hf_from_env", "env")


def test_empty_token_is_refused(memory: MemoryKeyring) -> None:
    with pytest.raises(ValueError, match="empty"):
        secrets.set_token("   ")


def test_without_a_keyring(no_keyring: None, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    assert secrets.get_token() is None
    with pytest.raises(secrets.SecretStoreError, match="HF_TOKEN"):
        secrets.set_token("hf_secret456")
    with pytest.raises(secrets.SecretStoreError):
        secrets.delete_token()
    assert "hf_secret456" not in caplog.text


def test_without_a_keyring_env_still_works(
    no_keyring: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_env_only")
    assert secrets.get_token() == "hf_env_only"


def test_cli_stores_and_removes_the_token_without_showing_it(
    memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    from desktop.cli import main

    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO("hf_secret123\n"))
    assert main(["models", "token"]) == 0
    assert secrets.get_token() == "hf_secret123"
    assert main(["models", "token", "--remove"]) == 0
    assert secrets.get_token() is None
    out = capsys.readouterr()
    assert "hf_secret123" not in out.out + out.err
