"""Chat messages and the model's chat template.

Templates are rendered by llama-cpp-python's ``Jinja2ChatFormatter``: the same immutable
jinja2 sandbox and the Hugging Face extensions (``raise_exception``, ``tojson``,
``strftime_now``). A template that reaches for Python internals raises ``TemplateError``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import jinja2
from jinja2.sandbox import SecurityError
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from .errors import TemplateError

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
    """A model's chat template (or the plain-text fallback) rendered in a sandbox."""

    def __init__(self, template: str | None, bos_token: str = "", eos_token: str = "") -> None:
        self.is_fallback = not template
        self.source = template or FALLBACK_TEMPLATE
        self.stops: tuple[str, ...] = FALLBACK_STOPS if self.is_fallback else ()
        try:
            self._formatter = Jinja2ChatFormatter(
                template=self.source, eos_token=eos_token, bos_token=bos_token
            )
        except jinja2.TemplateError as exc:
            raise TemplateError(
                f"The model's chat template is not valid Jinja ({exc}). "
                "Load the model without its template (plain-text chat) or use another file."
            ) from exc

    def render(self, messages: Sequence[Message], add_generation_prompt: bool = True) -> str:
        self._formatter.add_generation_prompt = add_generation_prompt
        try:
            msgs: Any = [m.as_dict() for m in messages]
            out = self._formatter(messages=msgs).prompt
        except SecurityError as exc:
            raise TemplateError(
                "The model's chat template tried to reach Python internals and was stopped "
                f"({exc}). The file may be malicious: do not use it."
            ) from exc
        except (jinja2.TemplateError, ValueError, TypeError, KeyError, IndexError) as exc:
            raise TemplateError(
                f"The model's chat template failed on this conversation: {exc}. "
                "Some templates require alternating user/assistant turns or no system prompt."
            ) from exc
        if len(out) > MAX_PROMPT_CHARS:
            raise TemplateError("The chat template produced an absurdly long prompt; refused.")
        return out


def prompt_tokens(
    tokenize: Callable[[str], list[int]], text: str, bos_id: int | None
) -> list[int]:
    """Tokens of a rendered prompt, with BOS prepended when the model wants it and the
    template did not already write it."""
    tokens = tokenize(text)
    if bos_id is not None and (not tokens or tokens[0] != bos_id):
        tokens.insert(0, bos_id)
    return tokens
