"""The Hub token: HF_TOKEN first, then the keyring; a missing keyring is a clear error.

Honesty about where the token goes, with real keyring backends: keyring's fail and null
backends, one that accepts and forgets, plain-text and "encrypted" file backends (ours in
tests/file_keyring.py, and keyrings.alt's PlaintextKeyring where it is installed).
"""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path
from typing import Any

import keyring.backend
import keyring.backends.chainer
import keyring.backends.fail
import keyring.backends.null
import keyring.core
import pytest

from desktop.core import secrets
from tests.file_keyring import EncryptedFileKeyring, ForgetfulKeyring, PlainFileKeyring
from tests.memory_keyring import MemoryKeyring

TOKEN = "hf_secret789"


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


# --- where the token goes: never "the OS keyring" when it is not ---------------------------


def use_backend(monkeypatch: pytest.MonkeyPatch, backend: Any) -> Any:
    monkeypatch.setattr(keyring.core, "_keyring_backend", backend)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    return backend


def plaintext_backends(tmp_path: Path) -> list[Any]:
    backends: list[Any] = [PlainFileKeyring(tmp_path / "plain.cfg")]
    try:
        from keyrings.alt.file import PlaintextKeyring  # type: ignore[import-not-found]
    except ImportError:
        return backends
    alt = PlaintextKeyring()
    alt.file_path = str(tmp_path / "keyrings-alt" / "keyring_pass.cfg")
    return [*backends, alt]


@pytest.mark.parametrize(
    ("backend", "says"),
    [
        (keyring.backends.fail.Keyring(), "no keyring backend is installed"),
        (keyring.backends.null.Keyring(), "silently discards"),
    ],
    ids=["fail", "null"],
)
def test_no_keyring_is_refused_and_says_to_use_hf_token(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, backend: Any, says: str
) -> None:
    caplog.set_level(logging.DEBUG)
    use_backend(monkeypatch, backend)
    status = secrets.keyring_status()
    assert status.kind == "none" and not status.usable and status.where == ""
    assert status.problem is not None and says in status.problem
    assert "HF_TOKEN" in status.problem
    with pytest.raises(secrets.NoKeyringError, match=f"not saved.*{says}.*HF_TOKEN"):
        secrets.set_token(TOKEN)
    with pytest.raises(secrets.NoKeyringError):
        secrets.delete_token()
    assert TOKEN not in caplog.text


def test_a_backend_that_forgets_is_found_out(monkeypatch: pytest.MonkeyPatch) -> None:
    use_backend(monkeypatch, ForgetfulKeyring())
    assert secrets.keyring_status().usable  # it looks like a keyring...
    with pytest.raises(secrets.NoKeyringError, match=r"does not give it back.*HF_TOKEN"):
        secrets.set_token(TOKEN)  # ...but reading the token back shows it kept nothing


def test_a_plaintext_file_is_named_as_such(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for backend in plaintext_backends(tmp_path):
        use_backend(monkeypatch, backend)
        status = secrets.keyring_status()
        assert status.kind == "plaintext-file"
        assert status.problem is not None and "plain-text file" in status.problem
        assert backend.file_path in status.problem and "HF_TOKEN" in status.problem
        where = secrets.set_token(TOKEN)
        assert where == f"a plain-text file, {backend.file_path} (not encrypted)"
        assert "system keyring" not in where and "OS keyring" not in where
        assert Path(backend.file_path).is_file()  # it really went there
        assert secrets.token_and_source() == (TOKEN, "keyring")
        secrets.delete_token()
        assert secrets.get_token() is None
    assert TOKEN not in caplog.text


def test_an_encrypted_file_and_a_system_keyring(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_backend(monkeypatch, EncryptedFileKeyring(tmp_path / "crypt.cfg"))
    assert secrets.set_token(TOKEN) == f"an encrypted file, {tmp_path / 'crypt.cfg'}"
    assert secrets.keyring_status().problem is None
    use_backend(monkeypatch, MemoryKeyring())
    assert secrets.set_token(TOKEN) == "the system keyring (memory_keyring)"
    status = secrets.keyring_status()
    assert status.kind == "system" and status.problem is None
    assert status.backend == "tests.memory_keyring.MemoryKeyring"


def test_a_chain_is_judged_by_where_it_stores(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    chainer = keyring.backends.chainer.ChainerBackend
    use_backend(monkeypatch, chainer())
    monkeypatch.setattr(chainer, "backends", [])
    assert secrets.keyring_status().kind == "none"
    monkeypatch.setattr(chainer, "backends", [PlainFileKeyring(tmp_path / "p.cfg")])
    assert secrets.keyring_status().kind == "plaintext-file"


def test_cli_token_says_where_it_went(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from desktop.cli import main

    backend = use_backend(monkeypatch, PlainFileKeyring(tmp_path / "plain.cfg"))
    monkeypatch.setattr("sys.stdin", io.StringIO(TOKEN + "\n"))
    assert main(["models", "token"]) == 0
    out = capsys.readouterr()
    assert f"stored in a plain-text file, {backend.file_path}" in out.out
    assert "OS keyring" not in out.out
    assert "warning" in out.err and "HF_TOKEN" in out.err
    assert TOKEN not in out.out + out.err

    use_backend(monkeypatch, keyring.backends.null.Keyring())
    monkeypatch.setattr("sys.stdin", io.StringIO(TOKEN + "\n"))
    assert main(["models", "token"]) == 1
    out = capsys.readouterr()
    assert "stored" not in out.out and "not saved" in out.err and "HF_TOKEN" in out.err
    assert TOKEN not in out.out + out.err


def test_doctor_warns_without_a_usable_keyring(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from desktop.cli import main

    use_backend(monkeypatch, keyring.backends.null.Keyring())
    main(["doctor", "--json"])
    report = json.loads(capsys.readouterr().out)["keyring"]
    assert report["backend"] == "keyring.backends.null.Keyring" and report["kind"] == "none"
    assert "HF_TOKEN" in report["warning"]
    main(["doctor"])
    out = capsys.readouterr().out
    assert "WARNING" in out and "silently discards" in out and "HF_TOKEN" in out
