"""The remote client against real servers on loopback: llama-cpp-python's OpenAI server
(the tiny model), a server that answers only with an HTTP error status, a port that
accepts but never answers, and a closed port."""

from __future__ import annotations

import http.server
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from desktop.core import remote
from desktop.core.chat import Message
from desktop.core.generation import PromptEvent, TokenEvent
from desktop.core.remote import (
    RemoteAuthError,
    RemoteClient,
    RemoteConnectionError,
    RemoteDone,
    RemoteNotFoundError,
    RemoteRateLimitError,
    RemoteRequestError,
    RemoteServerError,
    RemoteTimeoutError,
)
from desktop.core.remote_trace import RemoteStepTrace, RemoteVocab
from desktop.core.sampling import SamplerSettings
from desktop.core.servers import Server
from tests.remote_server import LoopbackServer, free_port, llama_cpp_server, tiny_server

__all__ = ["tiny_server"]

GREEDY = SamplerSettings(temperature=0.0)
HELLO = [Message("system", "Be brief."), Message("user", "Hello there")]


def client_for(s: LoopbackServer, key: str | None = None) -> RemoteClient:
    return RemoteClient(Server("loop", s.url, "llama-cpp-python"), key)


def test_lists_models_and_streams_traced_tokens(tiny_server: LoopbackServer) -> None:
    c = client_for(tiny_server)
    assert c.models() == [tiny_server.model]
    events = list(c.chat(HELLO, tiny_server.model, GREEDY, RemoteVocab(), max_tokens=12))
    assert isinstance(events[0], PromptEvent)
    done = events[-1]
    assert isinstance(done, RemoteDone) and done.reason in ("length", "eog")
    tokens = [e for e in events if isinstance(e, TokenEvent)]
    assert len(tokens) == len(done.traces) > 0
    for e in tokens:
        t = e.trace
        assert isinstance(t, RemoteStepTrace) and t.p_sample == 1.0
        assert len(t.cand_ids) >= 1 and t.rank == 1  # greedy picks the most probable
        assert abs(t.p_model - float(t.cand_probs()[0])) < 1e-6
    assert done.text == "".join(e.text for e in tokens)


def test_stop_ends_the_reply_as_cancelled(tiny_server: LoopbackServer) -> None:
    cancel = threading.Event()
    seen = []
    for ev in client_for(tiny_server).chat(HELLO, tiny_server.model, GREEDY, RemoteVocab(),
                                           max_tokens=200, cancel=cancel):
        seen.append(ev)
        if isinstance(ev, TokenEvent) and len(seen) >= 3:
            cancel.set()
    done = seen[-1]
    assert isinstance(done, RemoteDone) and done.reason == "cancelled"
    assert len(done.traces) == 2


def test_an_unknown_model_is_named_with_the_ones_offered(tiny_server: LoopbackServer) -> None:
    with pytest.raises(RemoteNotFoundError, match=r"no model 'gpt-9'.*offers: .*tiny"):
        client_for(tiny_server).check_model("gpt-9")


def test_a_wrong_key_is_an_auth_error(tiny_model: Path, tmp_path: Path,
                                      caplog: pytest.LogCaptureFixture) -> None:
    with llama_cpp_server(tiny_model, tmp_path, api_key="right-key", n_ctx=256) as s:
        caplog.set_level("DEBUG")  # TOKENSCOPE_DEBUG: not even debug logs hold the key
        assert client_for(s, "right-key").models() == [s.model]
        list(client_for(s, "right-key").chat(HELLO, s.model, GREEDY, RemoteVocab(),
                                             max_tokens=2))
        assert caplog.records and "right-key" not in caplog.text
        with pytest.raises(RemoteAuthError, match=r"refused the API key.*--api-key"):
            client_for(s, "wrong-key").models()
        with pytest.raises(RemoteAuthError):
            list(client_for(s).chat(HELLO, s.model, GREEDY, RemoteVocab(), max_tokens=4))


def test_a_server_killed_mid_stream_keeps_the_reply_interrupted(
    tiny_model: Path, tmp_path: Path
) -> None:
    # a grammar that never ends: the reply cannot finish (end of turn) before the kill
    endless = replace(GREEDY, grammar='root ::= [a-z] root')
    with llama_cpp_server(tiny_model, tmp_path, n_ctx=4096) as s:
        events = []
        for ev in client_for(s).chat(HELLO, s.model, endless, RemoteVocab(), max_tokens=4000):
            events.append(ev)
            if isinstance(ev, TokenEvent) and len(events) == 3:
                s.kill()
        done = events[-1]
        assert isinstance(done, RemoteDone) and done.reason == "interrupted"
        assert len(done.traces) >= 2 and done.error and "loop" in done.error


def test_a_closed_port_is_a_connection_error() -> None:
    c = RemoteClient(Server("gone", f"http://127.0.0.1:{free_port()}/v1"))
    with pytest.raises(RemoteConnectionError, match=r"Could not connect.*Is the server running"):
        c.models()
    with pytest.raises(RemoteConnectionError):
        list(c.chat(HELLO, "m", GREEDY, RemoteVocab()))


def test_a_silent_server_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(remote, "READ_TIMEOUT", 0.5)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(4)  # accepts connections, never answers
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
        with pytest.raises(RemoteTimeoutError, match="stopped answering"):
            RemoteClient(Server("mute", url)).models()


class _Status(http.server.BaseHTTPRequestHandler):
    status = 500
    extra = ""  #: more of the error message

    def do_GET(self) -> None:
        body = json.dumps(
            {"error": {"message": f"status {self.status} from the test{self.extra}"}})
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    do_POST = do_GET

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def status_server() -> Iterator[tuple[str, type[_Status]]]:
    handler = type("H", (_Status,), {})
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/v1", handler
    srv.shutdown()
    srv.server_close()


@pytest.mark.parametrize(("status", "error", "hint"), [
    (401, RemoteAuthError, "API key"),
    (403, RemoteAuthError, "API key"),
    (404, RemoteNotFoundError, "servers models"),
    (429, RemoteRateLimitError, "Wait a moment"),
    (500, RemoteServerError, "server's log"),
    (503, RemoteServerError, "server's log"),
    (400, RemoteRequestError, "sampler settings"),
    (400, RemoteRequestError, "top_logprobs"),  # when the server names logprobs
])
def test_http_errors_say_what_to_do(
    status_server: tuple[str, type[_Status]], status: int, error: type, hint: str
) -> None:
    url, handler = status_server
    handler.status = status
    if hint == "top_logprobs":
        handler.extra = ": top_logprobs must be at most 5"
    c = RemoteClient(Server("st", url))
    with pytest.raises(error, match=hint) as info:
        list(c.chat(HELLO, "m", GREEDY, RemoteVocab()))
    assert f"status {status} from the test" in str(info.value)


class _Stalling(http.server.BaseHTTPRequestHandler):
    """Starts an event stream and then says nothing (a big model reading a long prompt)."""

    def do_POST(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        self.wfile.flush()
        time.sleep(30)

    def log_message(self, *args: object) -> None:
        pass


def test_stop_works_while_the_server_is_silent() -> None:
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Stalling)
    srv.daemon_threads = True
    srv.block_on_close = False  # type: ignore[misc]
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        cancel = threading.Event()
        c = RemoteClient(Server("slow", f"http://127.0.0.1:{srv.server_address[1]}/v1"))
        threading.Timer(0.5, cancel.set).start()
        events = list(c.chat(HELLO, "m", GREEDY, RemoteVocab(), cancel=cancel))
        done = events[-1]
        assert isinstance(done, RemoteDone) and done.reason == "cancelled"
        assert done.traces == []
    finally:
        srv.shutdown()
        srv.server_close()
