"""A chat session whose replies come from a remote server (the remote ``ChatSession``).

Same tree, same store, same events as ``session.ChatSession``: ``send``, ``regenerate``,
``edit`` and ``branch`` yield generation events while they fill the reply node. Each remote
reply records, in ``node.stats["remote"]``, the server (name, URL, kind — never the key),
the model and the top-N asked for; ``node.model`` is ``"<model> @ <url>"``, the key of the
local id table (``RemoteVocab``) kept in the store's token texts.

Prompt size: llama-server tells the exact prompt and its tokens (``remote_extras``: they
become ``node.prompt_tokens``, ``n_prompt_estimated`` False, and ``n_ctx``); elsewhere
``n_prompt`` is an estimate (``n_prompt_estimated`` True) next to the server's
``usage_prompt_tokens`` where it reports usage.

Branching ("continue from here with this token") needs the exact prefix, sent as text:
llama-server renders the prompt (``/apply-template``) and Tokenscope appends the reply's
prefix on ``/v1/completions``; so for servers whose chat template Tokenscope is told
(``Server.template``: "chatml" or a Jinja file); vLLM continues the last assistant message
(``continue_final_message``). Elsewhere ``branch_support`` says why it cannot be done. The
server re-tokenizes the prefix text, which can split it differently from the original
tokens.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .chat import ChatTemplate, Message
from .conversation import Conversation, Node
from .errors import TemplateError, TokenscopeError
from .generation import DoneEvent, Event, PromptEvent
from .grammar import check_grammar
from .remote import RemoteClient, RemoteDone, estimate_tokens
from .remote_extras import ServerExtras
from .remote_sampling import SamplingRequest, sampling_request
from .remote_trace import RemoteStepTrace, RemoteVocab
from .reply_writer import record_event
from .sampling import SamplerSettings
from .store import ReplyWriter, Store
from .trace import StepTrace

log = logging.getLogger(__name__)

#: ChatML, the template of SmolLM2, Qwen and many others (for ``Server.template = "chatml"``)
CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + "
    "message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


#: what a branch inherits from the reply it branches from
_PROMPT_KEYS = ("n_prompt", "n_prompt_estimated", "n_ctx")


class RemoteBranchError(TokenscopeError):
    """This server cannot continue a reply from a chosen token; the message says why."""


def template_of(spec: str) -> ChatTemplate | None:
    """The chat template a ``Server.template`` names ("" none, "chatml", or a file path)."""
    if not spec:
        return None
    if spec.lower() == "chatml":
        return ChatTemplate(CHATML, name="ChatML")
    path = Path(spec).expanduser()
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TemplateError(f"The chat template file {path} cannot be read ({exc}).") from exc
    return ChatTemplate(source, name=f"The chat template {path.name}")


@dataclass
class RemoteChatSession:
    client: RemoteClient
    model: str
    settings: SamplerSettings = field(default_factory=SamplerSettings)
    system: str | None = None
    max_tokens: int = 512
    conversation: Conversation = field(default_factory=Conversation)
    store: Store | None = None
    last_done: DoneEvent | None = None
    last_writer: ReplyWriter | None = None
    vocab: RemoteVocab = field(default_factory=RemoteVocab)
    #: the window reads it like ChatSession's (a remote reply has no local context plan)
    last_plan: None = None

    def __post_init__(self) -> None:
        if self.system:
            self.conversation.system = self.system
        if self.store is not None and not len(self.vocab):
            self.vocab = RemoteVocab(self.store.pieces(self.name))
        self.template = template_of(self.client.server.template)
        self.extras = ServerExtras(self.client)

    @property
    def name(self) -> str:
        """What the reply records as its model: ``"<model> @ <server url>"``."""
        return f"{self.model} @ {self.client.server.url}"

    def piece(self, token: int) -> bytes:
        return self.vocab.piece(token)

    @property
    def messages(self) -> list[Message]:
        return self.conversation.messages()

    def reset(self) -> None:
        self.conversation = Conversation()
        if self.system:
            self.conversation.system = self.system
        self.last_done = None

    # --- replies -----------------------------------------------------------------------

    def send(self, user_text: str, cancel: threading.Event | None = None) -> Iterator[Event]:
        user = self.conversation.add(self.conversation.leaf, "user", user_text)
        return self._reply_to(user, cancel)

    def regenerate(self, reply_id: int, cancel: threading.Event | None = None) -> Iterator[Event]:
        parent = self.conversation.nodes[reply_id].parent
        assert parent is not None
        return self._reply_to(self.conversation.nodes[parent], cancel)

    def edit(self, user_id: int, text: str, cancel: threading.Event | None = None
             ) -> Iterator[Event]:
        user = self.conversation.add(self.conversation.nodes[user_id].parent, "user", text)
        return self._reply_to(user, cancel)

    def branch_support(self) -> str | None:
        """None when this server can continue a reply from a chosen token, else why not."""
        kind = self.client.server.kind
        if kind in ("vllm", "llama-server") or self.template is not None:
            return None
        return (
            f"{self.client.server.name} ({self.client.server.kind_label}) cannot continue a "
            "reply from a chosen token: Tokenscope needs the exact prompt, and this server "
            "neither continues an assistant message nor has a chat template set. Set one "
            f"with 'tokenscope servers add {self.client.server.name} "
            f"{self.client.server.url} --template chatml' (or a Jinja file)."
        )

    def branch(self, reply_id: int, index: int, token: int,
               cancel: threading.Event | None = None) -> Iterator[Event]:
        """Continue reply ``reply_id`` from token ``index`` with candidate ``token``."""
        why = self.branch_support()
        if why is not None:
            raise RemoteBranchError(why)
        old = self.conversation.nodes[reply_id]
        settings = old.settings or self.settings
        forced = old.traces[index].forced(token, self.vocab.piece(token), settings)
        kept = [*old.traces[:index], forced]
        node = self._new_reply(old.parent, settings)
        node.branched_at = index
        node.traces = kept
        prefix = b"".join(t.piece for t in kept).decode("utf-8", "replace")
        msgs = self.conversation.messages(old.parent)
        node.prompt_tokens = list(old.prompt_tokens)
        node.stats.update({k: v for k, v in old.stats.items() if k in _PROMPT_KEYS})
        n_prompt = int(old.stats.get("n_prompt", estimate_tokens(msgs)))
        rendered = self.extras.apply_template(msgs)  # llama-server: its own exact prompt
        if rendered is None and self.template is not None:
            rendered = self.template.render(msgs, add_generation_prompt=True)
        if rendered is not None:
            prompt = rendered + prefix
            events = self.client.complete(
                prompt, self.model, settings, self.vocab, max_tokens=self._budget(kept),
                cancel=cancel, first_index=len(kept), n_prompt=n_prompt,
            )
        else:
            events = self.client.chat(
                [*msgs, Message("assistant", prefix)], self.model, settings, self.vocab,
                max_tokens=self._budget(kept), cancel=cancel, first_index=len(kept),
                n_prompt=n_prompt, continue_final=True,
            )
        return self._run(node, events, kept)

    # --- machinery -----------------------------------------------------------------

    def _budget(self, kept: list[StepTrace]) -> int:
        return -1 if self.max_tokens < 0 else max(1, self.max_tokens - len(kept))

    def _new_reply(self, parent: int | None, settings: SamplerSettings) -> Node:
        """A new reply, recorded with the settings the server applies (those it does not
        read turned off; what the user asked for in vain listed in ``not_applied``)."""
        s = self.client.server
        request = self._request(settings)
        if "grammar" in request.extra:  # a bad one can make a server exit: llama.cpp's own
            check_grammar(request.extra["grammar"])  # parser refuses it here, before a reply
        node = self.conversation.add(parent, "assistant", "", settings=request.applied,
                                     model=self.name)
        node.stats["remote"] = {
            "server": s.name, "url": s.url, "kind": s.kind, "model": self.model,
            "top_logprobs": s.top_logprobs,
        }
        if request.not_applied:  # asked for, but the server does not read them
            node.stats["remote"]["not_applied"] = list(request.not_applied)
        return node

    def not_applied(self, settings: SamplerSettings | None = None) -> tuple[str, ...]:
        """The active sampler settings this server does not read (labels such as "DRY"),
        for ``settings`` (default: the session's)."""
        return self._request(settings or self.settings).not_applied

    def _request(self, settings: SamplerSettings) -> SamplingRequest:
        client = self.client
        if client.context_size is None and client.server.kind == "llama-server":
            try:
                client.context_size = self.extras.n_ctx()
            except Exception:  # an optional extra: unknown, and said so
                log.info("no context size from %s", client.server.name)
        return sampling_request(client.server.kind, settings, n_ctx=client.context_size)

    def _reply_to(self, user: Node, cancel: threading.Event | None) -> Iterator[Event]:
        msgs = self.conversation.messages(user.id)
        info = self.extras.prompt_info(msgs)
        if info.n_ctx is not None:
            self.client.context_size = info.n_ctx
        settings = _seeded(self.settings)
        node = self._new_reply(user.id, settings)
        node.prompt_tokens = [self.vocab.id(p) for p in info.pieces]
        node.stats.update(n_prompt=info.n_tokens, n_prompt_estimated=not info.exact)
        if info.n_ctx is not None:
            node.stats["n_ctx"] = info.n_ctx
        events = self.client.chat(
            msgs, self.model, settings, self.vocab, max_tokens=self.max_tokens,
            cancel=cancel, n_prompt=info.n_tokens,
        )
        return self._run(node, events, [])

    def _run(self, node: Node, events: Iterator[Event], prefix: list[StepTrace]
             ) -> Iterator[Event]:
        node.content = b"".join(t.piece for t in prefix).decode("utf-8", "replace")
        node.traces = list(prefix)
        writer = None
        if self.store is not None:
            writer = ReplyWriter(self.store, self.conversation, node, self.vocab.piece,
                                 self.vocab.is_special)
            writer.update(force=True)
        self.last_writer = writer
        for event in events:
            if isinstance(event, PromptEvent):  # time to the first streamed chunk
                node.stats.update(prompt_seconds=event.stats.seconds)
            elif isinstance(event, DoneEvent):
                if isinstance(event, RemoteDone):
                    if event.usage_prompt_tokens is not None:
                        node.stats["usage_prompt_tokens"] = event.usage_prompt_tokens
                    if event.usage_completion_tokens is not None:  # may exceed the traces:
                        # llama-server sends one entry for a character's byte tokens
                        node.stats["usage_completion_tokens"] = event.usage_completion_tokens
                    if event.error:
                        node.stats["error"] = event.error
                    if event.lost_text_tokens:
                        node.stats["remote"]["lost_text_tokens"] = event.lost_text_tokens
                self.last_done = event
            record_event(node, event, writer)  # the writer saves the stats above too
            yield event


def _seeded(settings: SamplerSettings) -> SamplerSettings:
    """``settings`` with a seed: a random one is drawn here (as ``generation.generate``
    does) and sent, so the reply records it and, on a server that honours ``seed``, the
    same request gives the same reply again."""
    if settings.seed is not None:
        return settings
    import numpy as np

    return settings.with_(seed=int(np.random.SeedSequence().generate_state(1)[0]))


def is_remote(node: Node) -> bool:
    """Whether a reply came from a remote server (its traces are RemoteStepTraces)."""
    return "remote" in node.stats or any(isinstance(t, RemoteStepTrace) for t in node.traces[:1])


class _ModelLabel:
    """``path`` of a RemoteEngine: ``stem`` is what a status bar shows."""

    def __init__(self, model: str, server: str, url: str) -> None:
        short = model.rstrip("/").rsplit("/", 1)[-1]
        self.stem = f"{short.removesuffix('.gguf')} @ {server}"
        self.name = self.stem
        self._text = f"{url} · {model}"

    def __str__(self) -> str:
        return self._text


class RemoteEngine:
    """Stands in for ``Engine`` where the window asks "the loaded model" for its name,
    token texts, context size and load options: here a server's model. It runs nothing;
    replies come from the session (``RemoteChatSession``)."""

    remote = True
    #: no live tokenizer: the server's tokenizer is not here
    tokenize = None
    chat_template = None
    load_seconds = 0.0

    def __init__(self, session: RemoteChatSession, n_ctx: int | None = None) -> None:
        s = session.client.server
        self.session = session
        self.name = session.name
        self.path = _ModelLabel(session.model, s.name, s.url)
        self.n_ctx = n_ctx or 0  #: 0: the server did not say
        self.options = _Options(self.n_ctx)

    def piece(self, token: int) -> bytes:
        return self.session.vocab.piece(token)

    def is_special(self, token: int) -> bool:
        return False

    def close(self) -> None:
        self.session.client.client.close()


@dataclass
class _Options:
    n_ctx: int
    n_gpu_layers: int = 0
