"""Every Hub operation fails fast and names the real cause: unreachable, a connection that
keeps dropping, a refused token, no such thing, a server error, a full disk (the last is in
test_hub_download). Against the loopback server and a closed port on loopback.

The time bounds are loose on purpose: they tell "answers at once" from "retries for 25 s".
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.core import hub, hub_client
from desktop.core.hub import (
    HubAuthError,
    HubConnectionError,
    HubNotFoundError,
    HubOfflineError,
    HubServerError,
)
from tests.core.hub_env import BIG, REPO, SMALL, Env, dest
from tests.hub_server import closed_port_url, isolate, use_endpoint

FAST_S = 5.0


@pytest.fixture
def unreachable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    isolate(monkeypatch, tmp_path)
    url = closed_port_url()
    use_endpoint(monkeypatch, url)
    yield url


@pytest.fixture
def silent(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """A Hub that takes connections and never answers (a hung server or proxy)."""
    isolate(monkeypatch, tmp_path)
    monkeypatch.setattr(hub_client, "TIMEOUT_S", 0.5)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        use_endpoint(monkeypatch, f"http://127.0.0.1:{s.getsockname()[1]}")
        yield


class Timer:
    def __enter__(self) -> Timer:
        self.start = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.monotonic() - self.start


def test_an_unreachable_hub_is_reported_at_once_by_every_operation(unreachable: str) -> None:
    with Timer() as t:
        with pytest.raises(HubOfflineError, match="Cannot reach the Hugging Face Hub") as e:
            hub.search_models("tiny")
        assert unreachable in str(e.value)
        with pytest.raises(HubOfflineError, match="Cannot reach the Hugging Face Hub"):
            hub.list_gguf_files(REPO)
        with pytest.raises(HubOfflineError, match="check your internet connection"):
            hub.download(REPO, SMALL)
    assert t.seconds < FAST_S


def test_a_hub_that_never_answers_is_not_waited_for_forever(silent: None) -> None:
    with Timer() as t:
        for call in (
            lambda: hub.search_models("tiny"),
            lambda: hub.list_gguf_files(REPO),
            lambda: hub.download(REPO, SMALL),
        ):
            with pytest.raises(HubConnectionError, match=r"stopped answering \(timed out\)"):
                call()
    assert t.seconds < FAST_S


def test_a_hub_that_went_away_is_reported_at_once(env: Env) -> None:
    env.server.stop()
    with Timer() as t:
        with pytest.raises(HubOfflineError, match="Cannot reach the Hugging Face Hub"):
            hub.search_models("tiny")
        with pytest.raises(HubOfflineError, match="Cannot reach the Hugging Face Hub"):
            hub.list_gguf_files(REPO)
        with pytest.raises(HubOfflineError, match="check your internet connection"):
            hub.download(REPO, SMALL)
    assert t.seconds < FAST_S


def test_an_unreachable_file_server_is_named(env: Env) -> None:
    env.server.cdn_base = closed_port_url()  # the Hub answers, the bytes' server does not
    with Timer() as t, pytest.raises(HubOfflineError, match="the server that holds the Hub's"):
        hub.download(REPO, BIG)
    assert t.seconds < FAST_S


def test_a_server_that_cuts_every_download_says_so(env: Env) -> None:
    cut = 1_000_000
    env.server.cut_every[BIG] = cut  # every transfer stops at this byte: resuming cannot help
    with Timer() as t, pytest.raises(HubConnectionError) as e:
        hub.download(REPO, BIG)
    assert t.seconds < FAST_S
    assert "kept closing the connection" in str(e.value)
    assert "resumes where it stopped" in str(e.value)
    assert "Cannot reach" not in str(e.value) and not isinstance(e.value, HubOfflineError)
    [partial] = dest().glob("*.incomplete")  # kept: the next try resumes from there
    assert partial.stat().st_size == cut
    env.server.cut_every.clear()
    [path] = hub.download(REPO, BIG)
    assert path.read_bytes() == env.repo.files[BIG].data


def test_a_connection_that_drops_but_makes_progress_is_resumed_every_time(env: Env) -> None:
    env.server.cut_each_response[BIG] = 400_000  # 8 drops for 3 MB
    [path] = hub.download(REPO, BIG)
    assert path.read_bytes() == env.repo.files[BIG].data
    gets = [r for r in env.server.requests_to("/cdn/") if r.method == "GET"]
    assert len(gets) >= 8


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_reported_as_such_without_retrying(env: Env, status: int) -> None:
    env.server.fail["/"] = status
    with Timer() as t:
        for call in (
            lambda: hub.search_models("tiny"),
            lambda: hub.list_gguf_files(REPO),
            lambda: hub.download(REPO, SMALL),
        ):
            with pytest.raises(HubServerError, match=rf"server error \(HTTP {status}\)"):
                call()
    assert t.seconds < FAST_S
    assert len(env.server.requests) == 3  # one request each: no back-off


def test_file_server_errors_are_reported_as_such(env: Env) -> None:
    env.server.fail["/cdn/"] = 503
    with pytest.raises(HubServerError, match="try again in a few minutes"):
        hub.download(REPO, BIG)


def test_refused_and_missing_are_told_apart(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(HubAuthError, match="gated or private"):
        hub.download("corp/Gated-GGUF", SMALL)  # 401
    monkeypatch.setenv("HF_TOKEN", "hf_refused")
    with pytest.raises(HubAuthError, match="add your Hugging Face token"):
        hub.download("corp/Gated-GGUF", SMALL)  # 403
    with pytest.raises(HubNotFoundError, match="check the name"):
        hub.download(REPO, "Tiny-Q9_9.gguf")
    with pytest.raises(HubNotFoundError, match="not found on the Hub"):
        hub.list_gguf_files(REPO, revision="no-such-branch")
