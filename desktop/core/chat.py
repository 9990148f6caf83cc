"""Chat messages and the model's chat template.

Templates are rendered by llama-cpp-python's ``Jinja2ChatFormatter``: the same immutable
jinja2 sandbox and the Hugging Face extensions (``raise_exception``, ``tojson``,
``strftime_now``), with limits on time and size (``template_sandbox``). Any failure —
syntax, undefined names, security, overflow, recursion, memory, time — raises
``TemplateError``; ``ChatTemplate.for_model`` then falls back to the plain template and
says why (``fallback_reason``), so a broken template never costs the model.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jinja2
from jinja2.sandbox import SecurityError

from .errors import TemplateError
from .template_sandbox import SafeFormatter, TemplateTimeout, with_deadline

log = logging.getLogger(__name__)

ROLES = ("system", "user", "assistant")

#: Used when a model has no chat template: plain text turns.
FALLBACK_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{ message['content'] + '\n\n' }}"
    "{% elif message['role'] == 'user' %}{{ 'User: ' + message['content'] + '\n' }}"
    "{% else %}{{ 'Assistant: ' + message['content'] + '\n' }}{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}"
)
FALLBACK_STOPS = ("\nUser:",)

#: The system prompt new chats start with (small models answer far better with one).
DEFAULT_SYSTEM_PROMPT = "You are a helpful assistant."

#: Rendered prompts longer than this are refused (a hostile template could loop out).
MAX_PROMPT_CHARS = 4_000_000


@dataclass(frozen=True)
class Message:
    role: str
    content: str

    def as_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


class ChatTemplate:
    """A model's chat template (or the plain-text fallback) rendered in a sandbox.

    Raises ``TemplateError`` when the template is not valid Jinja.
    """

    def __init__(
        self, template: str | None, bos_token: str = "", eos_token: str = "",
        name: str = "The model's chat template",
    ) -> None:
        self.is_fallback = not template
        self.name = name
        self.source = template or FALLBACK_TEMPLATE
        self.stops: tuple[str, ...] = FALLBACK_STOPS if self.is_fallback else ()
        #: why the model's own template is not used (None: it is, or there was none)
        self.fallback_reason: str | None = None
        #: how this template was chosen, for the status bar and the CLI
        self.reason = ""
        #: extra variables for the template, e.g. {"enable_thinking": False} (Qwen3)
        self.extra_context: dict[str, Any] = {}
        try:
            self._formatter = SafeFormatter(
                template=self.source, eos_token=eos_token, bos_token=bos_token
            )
        except (jinja2.TemplateError, RecursionError, MemoryError, ValueError) as exc:
            raise TemplateError(
                f"{name} is not valid Jinja ({exc}). "
                "Load the model without its template (plain-text chat) or use another file."
            ) from exc

    @classmethod
    def for_model(
        cls, template: str | None, bos_token: str = "", eos_token: str = ""
    ) -> ChatTemplate:
        """The model's template if it compiles and renders a simple conversation; otherwise
        the plain template, with ``fallback_reason`` saying which template failed and why."""
        try:
            t = cls(template, bos_token, eos_token)
            t.render([Message("user", "Hello")])
            t.render([Message("user", "Hi"), Message("assistant", "Hello!"),
                      Message("user", "How are you?")])
            return t
        except TemplateError as exc:
            log.warning("chat template failed; using the plain template (%s)", exc)
            fallback = cls(None, bos_token, eos_token)
            fallback.fallback_reason = f"{exc} Using the plain template instead."
            return fallback

    def render_prompt(
        self, messages: Sequence[Message], add_generation_prompt: bool = True
    ) -> RenderedPrompt:
        """The rendered prompt with its message content located (see ``RenderedPrompt``).

        Content is located by rendering a second time with markers in place of each
        message's content. Where the template's output depends on the content in a way
        that defeats this, every occurrence of each message's content (in order) is taken
        as content instead: typed markers are then still plain text.
        """
        text = self.render(messages, add_generation_prompt)
        marked_msgs = [
            Message(m.role, f"{_MARK_OPEN}{i}{_MARK_CLOSE}") for i, m in enumerate(messages)
        ]
        contents = [m.content for m in messages]
        try:
            marked = self.render(marked_msgs, add_generation_prompt)
            spans = locate_content(text, marked, contents)
        except TemplateError:
            spans = None
        if spans is None:
            log.debug("chat template output depends on content; locating it by search")
            spans = _search_content(text, contents)
        return RenderedPrompt(text, spans)

    def render(self, messages: Sequence[Message], add_generation_prompt: bool = True) -> str:
        """The prompt text. Raises ``TemplateError`` with what went wrong and what to do."""
        self._formatter.add_generation_prompt = add_generation_prompt
        name = self.name
        try:
            msgs: Any = [m.as_dict() for m in messages]
            extra = dict(self.extra_context)
            out = with_deadline(lambda: self._formatter(messages=msgs, **extra).prompt)
        except SecurityError as exc:
            raise TemplateError(
                f"{name} tried to do something unsafe and was stopped ({exc}). "
                "The file may be malicious: do not use it."
            ) from exc
        except TemplateTimeout as exc:
            raise TemplateError(f"{name} was stopped: {exc}.") from exc
        except (OverflowError, RecursionError, MemoryError) as exc:
            raise TemplateError(
                f"{name} was stopped: {type(exc).__name__} ({exc})."
            ) from exc
        except (jinja2.TemplateError, ValueError, TypeError, KeyError, IndexError,
                AttributeError, ArithmeticError) as exc:
            raise TemplateError(
                f"{name} failed on this conversation: {exc}. "
                "Some templates require alternating user/assistant turns or no system prompt."
            ) from exc
        if len(out) > MAX_PROMPT_CHARS:
            raise TemplateError(f"{name} produced an absurdly long prompt; refused.")
        return out


def _search_content(text: str, contents: Sequence[str]) -> tuple[tuple[int, int], ...]:
    """Every non-empty content's occurrences in ``text``, found in message order."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for c in contents:
        c = c.strip()
        if not c:
            continue
        i = text.find(c, pos)
        if i < 0:
            i = text.find(c)
        if i >= 0:
            spans.append((i, i + len(c)))
            pos = i + len(c)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return tuple(merged)


@dataclass(frozen=True)
class RenderedPrompt:
    """A rendered chat prompt and where the messages' content lies in it.

    Only text *outside* ``content`` (what the template itself wrote) may become special
    tokens; content is always tokenized as plain text (see ``prompt.tokenize_prompt``).
    """

    text: str
    #: (start, end) character ranges of message content in ``text``, in order
    content: tuple[tuple[int, int], ...] = ()


#: Private-use characters that stand in for message content while locating it.
_MARK_OPEN, _MARK_CLOSE = "\ue000", "\ue001"


def locate_content(
    real: str, marked: str, contents: Sequence[str]
) -> tuple[tuple[int, int], ...] | None:
    """Where each message's content lies in ``real`` (the template rendered with the real
    messages), given ``marked`` (the same template rendered with each content replaced by
    a marker). The template's own text between markers must appear in ``real`` unchanged;
    the content may have been trimmed by the template. None when they cannot be aligned
    (the template changes its output with the content)."""
    parts = marked.split(_MARK_OPEN)
    segments = [parts[0]]
    order: list[int] = []
    for part in parts[1:]:
        idx, sep, rest = part.partition(_MARK_CLOSE)
        if not sep or not idx.isdigit() or int(idx) >= len(contents):
            return None
        order.append(int(idx))
        segments.append(rest)
    if not real.startswith(segments[0]):
        return None
    pos, spans = len(segments[0]), []
    for k, msg in enumerate(order):
        nxt, last = segments[k + 1], k + 1 == len(order)
        c = contents[msg]
        for t in dict.fromkeys((c, c.strip(), c.lstrip(), c.rstrip())):
            end = pos + len(t)
            if real.startswith(t, pos) and (
                real[end:] == nxt if last else real.startswith(nxt, end)
            ):
                break
        else:
            return None
        spans.append((pos, end))
        pos = end + len(nxt)
    return tuple(spans) if pos == len(real) else None
