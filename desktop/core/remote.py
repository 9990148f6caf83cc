"""The remote backend: chat with a model on an OpenAI-compatible server, traced.

Built on the official ``openai`` client (``httpx`` only for llama-server's own
``/tokenize`` and ``/apply-template``). ``RemoteClient.chat`` and ``.complete`` yield the
same events as local generation (``PromptEvent``, ``TokenEvent``, ``TextEvent``, then a
``DoneEvent``), with ``RemoteStepTrace``s built from the server's ``logprobs``.

Every failure a user can meet is a ``RemoteError`` subclass whose message says what to do:
refused connection, timeout, 401/403, 404 (unknown model or wrong URL path), 429, 5xx,
a request the server rejects. A stream that drops after tokens arrived does not raise:
the reply keeps what arrived and ends with reason ``"interrupted"`` (``RemoteDone.error``
says why). A stop (``cancel``) closes the stream at once, even while the server is silent.
"""

from __future__ import annotations

import contextlib
import math
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import openai

from .chat import Message
from .engine import EvalStats
from .errors import TokenscopeError
from .generation import DoneEvent, Event, PromptEvent, TextEvent, TokenEvent
from .remote_sampling import sampling_request
from .remote_trace import RemoteVocab, completion_entries, step_from_logprobs
from .sampling import SamplerSettings
from .servers import Server
from .trace import StepTrace

#: seconds to wait for a connection, and between two streamed chunks
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 120.0


class RemoteError(TokenscopeError):
    """A remote server could not be used; the message says what to do."""


class RemoteConnectionError(RemoteError):
    pass


class RemoteTimeoutError(RemoteConnectionError):
    pass


class RemoteAuthError(RemoteError):
    pass


class RemoteNotFoundError(RemoteError):
    pass


class RemoteRateLimitError(RemoteError):
    pass


class RemoteServerError(RemoteError):
    pass


class RemoteRequestError(RemoteError):
    pass


def _detail(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        err = body.get("error", body)
        msg = err.get("message") if isinstance(err, dict) else err
        if msg:
            return str(msg)[:300]
    return str(exc.message)[:300]


def translate(exc: Exception, server: Server, model: str | None = None) -> RemoteError:
    """The ``RemoteError`` for an exception of the ``openai`` client (or httpx)."""
    where = f"{server.name} ({server.url})" if server.name != "url" else server.url
    if isinstance(exc, RemoteError):
        return exc
    if isinstance(exc, openai.APITimeoutError):
        return RemoteTimeoutError(
            f"{where} stopped answering (no data for {READ_TIMEOUT:.0f} s). The server may "
            "be overloaded or still loading the model; try again, or check its log.")
    if isinstance(exc, openai.APIConnectionError):
        return RemoteConnectionError(
            f"Could not connect to {where}: {exc.__cause__ or exc}. Is the server running, "
            "and are the host, port and http/https right?")
    if isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
        return RemoteAuthError(
            f"{where} refused the API key (HTTP {exc.status_code}: {_detail(exc)}). Set the "
            f"right key with 'tokenscope servers add {server.name} {server.url} --api-key' "
            "(or TOKENSCOPE_API_KEY).")
    if isinstance(exc, openai.NotFoundError):
        what = f"the model {model!r}" if model else "that endpoint"
        return RemoteNotFoundError(
            f"{where} has no {what} (HTTP 404: {_detail(exc)}). 'tokenscope servers models "
            f"{server.name}' lists its models; check that the URL ends with the API path "
            "(usually /v1).")
    if isinstance(exc, openai.RateLimitError):
        return RemoteRateLimitError(
            f"{where} is rate-limiting requests (HTTP 429: {_detail(exc)}). Wait a moment "
            "and try again, or raise the server's limits.")
    if isinstance(exc, openai.InternalServerError):
        return RemoteServerError(
            f"{where} failed (HTTP {exc.status_code}: {_detail(exc)}). Check the server's "
            "log; the request itself may be fine to retry.")
    if isinstance(exc, openai.APIStatusError):
        detail = _detail(exc)
        hint = ("Lower the server's top_logprobs ('tokenscope servers add … --top-logprobs "
                "N'; vLLM: start it with --max-logprobs 20)." if "logprob" in detail.lower()
                else "Check the sampler settings it names (Settings, or the CLI's flags).")
        return RemoteRequestError(
            f"{where} rejected the request (HTTP {exc.status_code}: {detail}). {hint}")
    return RemoteConnectionError(f"{where}: {type(exc).__name__}: {exc}")


@dataclass
class RemoteDone(DoneEvent):
    """The end of a remote reply: the DoneEvent plus what only a server tells."""

    error: str | None = None  #: why the stream dropped (reason "interrupted")
    usage_prompt_tokens: int | None = None  #: the server's ``usage.prompt_tokens``
    usage_completion_tokens: int | None = None
    #: tokens the server streamed without their text: llama-cpp-python's server sends ""
    #: for each token holding part of a character (Chinese, emoji) and never the bytes, so
    #: the reply's text is incomplete (``lost_text_message`` says so)
    lost_text_tokens: int = 0


def lost_text_message(server: str, n: int) -> str:
    """What to tell the user about ``n`` tokens a server streamed without their text."""
    return (f"{server} sent {n} token(s) without their text (pieces of characters split "
            "over several tokens, which llama-cpp-python's server drops when it streams): "
            "the reply's text is incomplete. llama.cpp's llama-server sends them whole.")


_FINISH = {"stop": "eog", "length": "length", "content_filter": "stop"}


class RemoteClient:
    """One server, through the ``openai`` client (no retries: errors surface at once)."""

    def __init__(self, server: Server, api_key: str | None = None) -> None:
        self.server = server
        #: the server's context window, once known (llama-server's /props): a sampler
        #: window of -1 ("the whole context") is sent as this
        self.context_size: int | None = None
        self.client = openai.OpenAI(
            base_url=server.url, api_key=api_key or "none", max_retries=0,
            timeout=openai.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT),
        )

    def models(self) -> list[str]:
        """The model ids the server offers (``GET /v1/models``)."""
        try:
            return [m.id for m in self.client.models.list()]
        except Exception as exc:
            raise translate(exc, self.server) from None

    def check_model(self, model: str) -> None:
        """Raises ``RemoteNotFoundError`` when the server does not list ``model`` (some
        servers, llama-cpp-python's among them, silently answer with another one)."""
        names = self.models()
        if model not in names:
            raise RemoteNotFoundError(
                f"{self.server.name} has no model {model!r}; it offers: "
                f"{', '.join(names) or 'none'}.")

    # --- requests ---------------------------------------------------------------------

    def _sampling(self, settings: SamplerSettings, max_tokens: int, stop: Sequence[str]
                  ) -> tuple[dict[str, Any], dict[str, Any]]:
        request = sampling_request(self.server.kind, settings, max_tokens, stop,
                                   self.context_size)
        extra = dict(request.extra)
        if self.server.kind == "llama-server" and self.server.top_logprobs:
            extra["n_probs"] = self.server.top_logprobs
        return request.args, extra

    def chat(
        self, messages: Sequence[Message], model: str, settings: SamplerSettings, vocab:
        RemoteVocab, *, max_tokens: int = 512, stop: Sequence[str] = (),
        cancel: threading.Event | None = None, first_index: int = 0, n_prompt: int = 0,
        continue_final: bool = False,
    ) -> Iterator[Event]:
        """Stream a chat reply (``/v1/chat/completions``) with logprobs. With
        ``continue_final`` the last message is an assistant prefix the reply continues
        (vLLM's ``continue_final_message``)."""
        args, extra = self._sampling(settings, max_tokens, stop)
        if continue_final:
            extra.update(continue_final_message=True, add_generation_prompt=False)
        n = self.server.top_logprobs
        logprob_args: dict[str, Any] = {"logprobs": True}
        if n:
            logprob_args["top_logprobs"] = n

        def open_stream() -> Any:
            api: Any = self.client.chat.completions  # loosely typed: extra fields
            return api.create(
                model=model, messages=[m.as_dict() for m in messages],
                stream=True, stream_options={"include_usage": True}, extra_body=extra or None,
                **logprob_args, **args,
            )

        def parts(choice: Any) -> tuple[list[dict[str, Any]], str]:
            lp = choice.logprobs
            entries = [e.model_dump() for e in (lp.content or [])] if lp is not None else []
            return entries, choice.delta.content or ""

        return self._stream(open_stream, parts, model, settings, vocab, cancel,
                            first_index, n_prompt)

    def complete(
        self, prompt: str, model: str, settings: SamplerSettings, vocab: RemoteVocab, *,
        max_tokens: int = 512, stop: Sequence[str] = (), cancel: threading.Event | None = None,
        first_index: int = 0, n_prompt: int = 0,
    ) -> Iterator[Event]:
        """Stream a continuation of ``prompt`` exactly as given (``/v1/completions``)."""
        args, extra = self._sampling(settings, max_tokens, stop)

        def open_stream() -> Any:
            api: Any = self.client.completions
            return api.create(
                model=model, prompt=prompt, stream=True, logprobs=self.server.top_logprobs,
                stream_options={"include_usage": True}, extra_body=extra or None, **args,
            )

        def parts(choice: Any) -> tuple[list[dict[str, Any]], str]:
            lp = choice.logprobs.model_dump() if choice.logprobs is not None else None
            if lp is None:
                return [], choice.text or ""
            if isinstance(lp.get("content"), list):  # llama-server: the chat format
                return list(lp["content"]), choice.text or ""
            return completion_entries(lp), choice.text or ""

        return self._stream(open_stream, parts, model, settings, vocab, cancel,
                            first_index, n_prompt)

    # --- the stream -------------------------------------------------------------------

    def _stream(
        self, open_stream: Callable[[], Any],
        parts: Callable[[Any], tuple[list[dict[str, Any]], str]], model: str,
        settings: SamplerSettings, vocab: RemoteVocab, cancel: threading.Event | None,
        first_index: int, n_prompt: int,
    ) -> Iterator[Event]:
        cancel = cancel or threading.Event()
        greedy = settings.greedy
        t0 = time.perf_counter()
        try:
            stream = open_stream()
        except Exception as exc:
            raise translate(exc, self.server, model) from None
        finished = threading.Event()
        threading.Thread(target=_stop_when, args=(cancel, finished, stream), daemon=True,
                         name="remote-stop").start()
        traces: list[StepTrace] = []
        text: list[str] = []
        reason, error = "", None  # "": the stream has not said how it ended
        usage: Any = None
        t_first = t_prev = time.perf_counter()
        prompted = False
        try:
            for chunk in stream:
                if chunk.usage is not None:
                    usage = chunk.usage
                if not prompted:
                    prompted = True
                    yield PromptEvent(EvalStats(n_prompt, 0, n_prompt, time.perf_counter() - t0),
                                      settings.seed or 0)
                for choice in chunk.choices[:1]:
                    entries, piece_text = parts(choice)
                    now = time.perf_counter()
                    for j, entry in enumerate(entries):
                        index = first_index + len(traces)
                        trace = step_from_logprobs(
                            entry, vocab, index=index, position=n_prompt + index,
                            greedy=greedy, seconds=(now - t_prev) if j == 0 else 0.0)
                        if not traces:
                            t_first = now
                        traces.append(trace)
                        last = j == len(entries) - 1
                        yield TokenEvent(trace, piece_text if last else "")
                    if entries:
                        t_prev = now
                    elif piece_text:
                        yield TextEvent(piece_text)
                    text.append(piece_text)
                    if choice.finish_reason:
                        reason = _FINISH.get(choice.finish_reason, choice.finish_reason)
                if cancel.is_set():
                    reason = "cancelled"
                    break
            if not reason:  # the stream ended without a finish reason
                if cancel.is_set():
                    reason = "cancelled"  # the stop shut the connection down
                elif not traces and not text:
                    raise RemoteServerError(
                        f"{self.server.name} closed the stream without a reply. Check the "
                        "server's log.")
                else:
                    reason = "interrupted"
                    error = f"{self.server.name} closed the stream before the reply ended."
        except RemoteError:
            raise
        except Exception as exc:
            if cancel.is_set():  # the stop closed the stream under the read
                reason = "cancelled"
            else:
                err = translate(exc, self.server, model)
                if not traces and not text:
                    raise err from None
                reason, error = "interrupted", str(err)
        finally:
            finished.set()
            with contextlib.suppress(Exception):
                stream.close()
        if not prompted:
            yield PromptEvent(EvalStats(n_prompt, 0, n_prompt, time.perf_counter() - t0),
                              settings.seed or 0)
        yield RemoteDone(
            reason=reason, text="".join(text), traces=traces,
            prompt=EvalStats(n_prompt, 0, n_prompt, t_first - t0 if traces else 0.0),
            seed=settings.seed or 0,
            first_token_seconds=(t_first - t0) if traces else 0.0,
            gen_seconds=t_prev - t_first if traces else 0.0, error=error,
            usage_prompt_tokens=getattr(usage, "prompt_tokens", None),
            usage_completion_tokens=getattr(usage, "completion_tokens", None),
            lost_text_tokens=sum(1 for t in traces if not t.piece),
        )


def _stop_when(cancel: threading.Event, finished: threading.Event, stream: Any) -> None:
    """Close ``stream`` as soon as ``cancel`` is set, so a stop takes effect even while the
    server is silent (a large model reading a long prompt); ends with the stream."""
    while not finished.wait(0.05):
        if cancel.is_set():
            # closing the response does not wake a read blocked in another thread; shutting
            # the socket down does (the read then fails and the stream ends as cancelled)
            with contextlib.suppress(Exception):
                net = stream.response.extensions["network_stream"]
                net.get_extra_info("socket").shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(Exception):
                stream.response.close()
            return


def estimate_tokens(messages: Sequence[Message]) -> int:
    """A rough prompt size for servers that do not tokenize for us: ~4 characters per
    token plus ~4 tokens of template per message (labelled an estimate wherever shown)."""
    return sum(math.ceil(len(m.content) / 4) + 4 for m in messages)
