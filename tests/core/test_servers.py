"""Saved servers: the list in the config directory, API keys in the OS keyring only."""

from __future__ import annotations

import json

import keyring.backends.fail
import keyring.core
import pytest

from desktop.core import paths, servers
from desktop.core.secrets import NoKeyringError
from desktop.core.servers import Server, ServerConfigError
from tests.memory_keyring import MemoryKeyring


@pytest.fixture
def ring(monkeypatch: pytest.MonkeyPatch) -> MemoryKeyring:
    backend = MemoryKeyring()
    monkeypatch.setattr(keyring.core, "_keyring_backend", backend)
    monkeypatch.delenv(servers.ENV_KEY, raising=False)
    (paths.config_dir() / "servers.json").unlink(missing_ok=True)
    return backend


def test_add_list_remove_keeps_the_key_out_of_the_file(
    ring: MemoryKeyring, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    where = servers.add_server(Server("gpu-box", "http://10.0.0.5:8000", "vllm"), "sk-secret")
    assert where is not None and "keyring" in where
    saved = servers.load_servers()["gpu-box"]
    assert saved.url == "http://10.0.0.5:8000/v1"  # a bare host gets the API path
    assert saved.kind == "vllm"
    text = (paths.config_dir() / "servers.json").read_text()
    assert "sk-secret" not in text and "sk-secret" not in caplog.text
    assert json.loads(text)[0]["name"] == "gpu-box"
    assert servers.api_key(saved) == "sk-secret"
    servers.remove_server("gpu-box")
    assert servers.load_servers() == {}
    assert ring.store == {}  # the key went with it
    with pytest.raises(ServerConfigError, match="servers list"):
        servers.remove_server("gpu-box")


def test_the_environment_key_wins(ring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch) -> None:
    servers.add_server(Server("a", "http://127.0.0.1:1/v1"), "from-ring")
    monkeypatch.setenv(servers.ENV_KEY, "from-env")
    assert servers.api_key(servers.resolve("a")) == "from-env"


def test_resolve_a_name_or_a_url(ring: MemoryKeyring) -> None:
    servers.add_server(Server("local", "http://127.0.0.1:8080/v1", "llama-server"))
    assert servers.resolve("local").kind == "llama-server"
    adhoc = servers.resolve("http://127.0.0.1:9/")
    assert adhoc.url == "http://127.0.0.1:9/v1" and adhoc.kind == "openai"
    with pytest.raises(ServerConfigError, match="servers add"):
        servers.resolve("nowhere")


@pytest.mark.parametrize("url", ["ftp://x/v1", "gpu-box:8000", "http://:80", "http://h:99999"])
def test_bad_urls_are_refused(ring: MemoryKeyring, url: str) -> None:
    with pytest.raises(ServerConfigError):
        servers.add_server(Server("x", url))


def test_bad_names_and_kinds_are_refused(ring: MemoryKeyring) -> None:
    with pytest.raises(ServerConfigError, match="name"):
        servers.add_server(Server("no spaces", "http://h:1"))
    with pytest.raises(ServerConfigError, match="kind"):
        servers.add_server(Server("ok", "http://h:1", "mystery"))


def test_no_keyring_refuses_the_key_and_saves_nothing(
    ring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keyring.core, "_keyring_backend", keyring.backends.fail.Keyring())
    with pytest.raises(NoKeyringError, match=servers.ENV_KEY):
        servers.add_server(Server("s", "http://h:1"), "sk-x")
    assert servers.load_servers() == {}


def test_a_broken_file_is_reported_and_left_alone(ring: MemoryKeyring) -> None:
    path = paths.config_dir() / "servers.json"
    path.write_text("{not json")
    with pytest.raises(ServerConfigError, match="cannot be read"):
        servers.load_servers()
    assert path.read_text() == "{not json"
    path.unlink()


def test_renaming_keeps_the_key(ring: MemoryKeyring) -> None:
    servers.add_server(Server("old", "http://h:1/v1", "vllm"), "sk-keep")
    servers.rename_server("old", Server("new", "http://h:2/v1", "vllm"))
    assert list(servers.load_servers()) == ["new"]
    assert servers.api_key(servers.resolve("new")) == "sk-keep"
    assert ("tokenscope", "server:old") not in ring.store
