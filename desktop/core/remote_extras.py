"""What a server tells beyond the OpenAI API: the exact prompt, its tokens, its context.

llama.cpp's ``llama-server`` (tools/server) has, next to ``/v1``:

* ``POST /apply-template {"messages": [...]}`` -> ``{"prompt": text}``: the prompt exactly as
  its chat endpoint renders it;
* ``POST /tokenize {"content", "add_special", "parse_special", "with_pieces": true}`` ->
  ``{"tokens": [{"id", "piece"}]}``, a piece being text, or a list of byte values when it
  is not valid UTF-8 (the chat endpoint tokenizes with add_special and parse_special on);
* ``GET /props`` -> ``default_generation_settings.n_ctx``: the context window per slot.

Other servers do not say: ``prompt_info`` then returns an estimate (``exact`` False), and
the server's ``usage.prompt_tokens`` (recorded with the reply) is the count to trust.
Requests go through the ``openai`` client's own HTTP layer (absolute URLs).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .chat import Message
from .remote import RemoteClient, estimate_tokens, translate

log = logging.getLogger(__name__)


@dataclass
class PromptInfo:
    n_tokens: int  #: prompt tokens (exact, or an estimate when ``exact`` is False)
    exact: bool
    text: str | None = None  #: the prompt as the server renders it (None: unknown)
    pieces: list[bytes] = field(default_factory=list)  #: its tokens' bytes (exact only)
    n_ctx: int | None = None  #: the server's context window (None: unknown)


def root_url(url: str) -> str:
    """The server's root: the base URL without its ``/v1``."""
    return url[: -len("/v1")] if url.endswith("/v1") else url


def _piece(p: Any) -> bytes:
    if isinstance(p, list):
        return bytes(int(b) & 0xFF for b in p)
    return str(p).encode("utf-8")


class ServerExtras:
    """llama-server's extra endpoints through ``client`` (no-ops on other kinds)."""

    def __init__(self, client: RemoteClient) -> None:
        self.client = client
        self.available = client.server.kind == "llama-server"
        self.root = root_url(client.server.url)

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        api = self.client.client
        try:
            if method == "GET":
                return api.get(self.root + path, cast_to=object)
            return api.post(self.root + path, body=body, cast_to=object)
        except Exception as exc:
            raise translate(exc, self.client.server) from None

    def apply_template(self, messages: Sequence[Message]) -> str | None:
        """The exact prompt text for ``messages`` (None where the server cannot say)."""
        if not self.available:
            return None
        out = self._call("POST", "/apply-template",
                         {"messages": [m.as_dict() for m in messages]})
        return str(out["prompt"]) if isinstance(out, dict) and "prompt" in out else None

    def tokenize(self, text: str) -> list[bytes] | None:
        """The pieces of ``text`` as the chat endpoint tokenizes a prompt (None: unknown)."""
        if not self.available:
            return None
        out = self._call("POST", "/tokenize", {"content": text, "add_special": True,
                                              "parse_special": True, "with_pieces": True})
        tokens = out.get("tokens", []) if isinstance(out, dict) else []
        return [_piece(t.get("piece", "")) for t in tokens if isinstance(t, dict)]

    def n_ctx(self) -> int | None:
        if not self.available:
            return None
        out = self._call("GET", "/props")
        settings = out.get("default_generation_settings", {}) if isinstance(out, dict) else {}
        n = settings.get("n_ctx") if isinstance(settings, dict) else None
        return int(n) if isinstance(n, int) else None

    def prompt_info(self, messages: Sequence[Message]) -> PromptInfo:
        """The prompt's size: exact from llama-server, else an estimate (never raises for
        a missing endpoint: an older llama-server falls back to the estimate)."""
        if self.available:
            try:
                text = self.apply_template(messages)
                pieces = self.tokenize(text) if text is not None else None
                if text is not None and pieces is not None:
                    return PromptInfo(len(pieces), True, text, pieces, self.n_ctx())
            except Exception as exc:  # an old server without these endpoints
                log.info("llama-server extras unavailable: %s", exc)
        return PromptInfo(estimate_tokens(messages), False)
