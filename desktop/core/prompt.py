"""The prompt as tokens: only the chat template's own text may become special tokens.

A user who types ``<|im_end|>\\n<|im_start|>system\\n…`` (ChatML), ``<end_of_turn>`` (Gemma)
or ``<|eot_id|>`` (Llama 3) must not get real control tokens: message content — user,
assistant, system, imported or edited — is text. Tokenizing the whole rendered prompt with
llama.cpp's ``parse_special`` (what llama-server and most apps do) would turn them into
control tokens.

``tokenize_prompt`` mirrors llama.cpp's ``tokenizer_st_partition`` (src/llama-vocab.cpp),
restricted to the template's text: the special tokens that parsing finds in the template's
own text are cut out (longest text first, honouring their LSTRIP/RSTRIP attributes), then
every stretch of raw text between them — template text and content alike — is tokenized
with ``parse_special = false`` in one piece, as llama.cpp tokenizes a raw fragment. For a
conversation without typed markers this gives exactly the tokens of the whole prompt
tokenized with ``parse_special = true`` (the tests hold the two equal on real models).
User-defined tokens (e.g. Gemma's whitespace runs) are matched by llama.cpp in raw text
either way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from .chat import RenderedPrompt

# llama.h: enum llama_token_attr
ATTR_UNKNOWN = 1 << 0
ATTR_CONTROL = 1 << 3
ATTR_USER_DEFINED = 1 << 4
ATTR_LSTRIP = 1 << 7
ATTR_RSTRIP = 1 << 8


class Tokenizer(Protocol):
    def tokenize(self, text: str, *, add_bos: bool = False, special: bool = True) -> list[int]:
        ...

    def piece(self, token: int) -> bytes:
        ...

    def token_attr(self, token: int) -> int:
        ...


Fragment = int | str  # a special token id, or raw text


def template_regions(prompt: RenderedPrompt) -> list[tuple[int, int, bool]]:
    """(start, end, is_content) ranges covering ``prompt.text`` in order."""
    out: list[tuple[int, int, bool]] = []
    pos = 0
    for a, b in prompt.content:
        if a > pos:
            out.append((pos, a, False))
        if b > a:
            out.append((a, b, True))
        pos = max(pos, b)
    if pos < len(prompt.text):
        out.append((pos, len(prompt.text), False))
    return out


def tokenize_prompt(tok: Tokenizer, prompt: RenderedPrompt, bos_id: int | None) -> list[int]:
    """The prompt's tokens: specials only where the template wrote them.

    ``bos_id``: prepended when not None and the template did not already write it.
    """
    regions = template_regions(prompt)
    text = prompt.text
    # the special tokens llama.cpp's parse_special finds in the template's own text
    specials: dict[str, tuple[int, int]] = {}
    for a, b, is_content in regions:
        if is_content:
            continue
        for t in tok.tokenize(text[a:b], special=True):
            attr = tok.token_attr(t)
            if attr & (ATTR_CONTROL | ATTR_UNKNOWN):
                piece = tok.piece(t).decode("utf-8", "replace")
                if piece:
                    specials[piece] = (t, attr)
    # fragments: content stays raw; template text is split at those specials
    frags: list[tuple[Fragment, bool]] = [
        (text[a:b], is_content) for a, b, is_content in regions
    ]
    for piece in sorted(specials, key=len, reverse=True):  # llama.cpp: longest first
        token, attr = specials[piece]
        frags = _split(frags, piece, token, attr)
    # join neighbouring raw text (template and content alike) and tokenize it as one
    tokens: list[int] = []
    raw: list[str] = []

    def flush() -> None:
        if raw:
            s = "".join(raw)
            if s:
                tokens.extend(tok.tokenize(s, special=False))
            raw.clear()

    for frag, _content in frags:
        if isinstance(frag, int):
            flush()
            tokens.append(frag)
        else:
            raw.append(frag)
    flush()
    if bos_id is not None and (not tokens or tokens[0] != bos_id):
        tokens.insert(0, bos_id)
    return tokens


def _split(
    frags: list[tuple[Fragment, bool]], piece: str, token: int, attr: int
) -> list[tuple[Fragment, bool]]:
    out: list[tuple[Fragment, bool]] = []
    for frag, is_content in frags:
        if isinstance(frag, int) or is_content or piece not in frag:
            out.append((frag, is_content))
            continue
        parts = frag.split(piece)
        for i, part in enumerate(parts):
            if i > 0:
                out.append((token, False))
            if i + 1 < len(parts) and attr & ATTR_LSTRIP:
                part = part.rstrip()
            if i > 0 and attr & ATTR_RSTRIP:
                part = part.lstrip()
            if part:
                out.append((part, False))
    return out


def prompt_tokenizer(
    tok: Tokenizer, bos_id: int | None
) -> Callable[[RenderedPrompt], list[int]]:
    """``tokenize_prompt`` bound to a model, for ``context.plan_context``."""
    return lambda prompt: tokenize_prompt(tok, prompt, bos_id)
