"""Grammar-constrained sampling: llama.cpp's own GBNF grammar sampler as a stage.

The grammar stage runs ``llama_sampler_init_grammar``'s apply on the candidates (tokens the
grammar cannot accept next get -inf, i.e. are masked) and records which were masked; after
the draw the chosen token is accepted (``llama_sampler_accept``) so the grammar advances.
JSON schemas become GBNF through llama-cpp-python's converter
(``llama_cpp.llama_grammar.json_schema_to_gbnf``) — structured output, made visible.
"""

from __future__ import annotations

import ctypes
import json
from typing import Any

import llama_cpp
import numpy as np

from .candidates import Candidates
from .errors import TokenscopeError

_TOKEN_DATA = np.dtype([("id", "<i4"), ("logit", "<f4"), ("p", "<f4")])


_INVALID = ("The grammar is not valid GBNF (llama.cpp's parser refused it; the log file "
            "has its message). Check the rule names and the quoting.")


class GrammarError(TokenscopeError):
    """A grammar or JSON schema that cannot be used; the message says why."""


def gbnf_from_json_schema(schema_text: str) -> str:
    """GBNF for a JSON schema (text). Raises ``GrammarError`` for invalid JSON or schemas
    the converter does not support."""
    try:
        schema = json.loads(schema_text)
    except ValueError as exc:
        raise GrammarError(f"The JSON schema is not valid JSON: {exc}") from exc
    if not isinstance(schema, dict):
        raise GrammarError("A JSON schema must be a JSON object ({\"type\": …}), not "
                           f"a {type(schema).__name__}.")
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    try:
        return str(json_schema_to_gbnf(schema_text))
    except Exception as exc:  # the converter raises AssertionError, AttributeError, …
        raise GrammarError(
            f"The JSON schema cannot be turned into a grammar: {exc}. Check its $refs and "
            "types (llama-cpp-python's converter supports most of JSON Schema)."
        ) from exc


def check_grammar(gbnf: str, root: str = "root") -> None:
    """Raise ``GrammarError`` unless llama.cpp's GBNF parser accepts ``gbnf`` (undefined
    rules, syntax, left recursion): ``llama_sampler_init_grammar`` without a vocabulary
    parses and checks the grammar only. For grammars sent to a server, which may not
    survive a bad one (llama-cpp-python's server exits)."""
    smpl = llama_cpp.llama_sampler_init_grammar(None, gbnf.encode("utf-8"),
                                                root.encode("utf-8"))
    if not smpl:
        raise GrammarError(_INVALID)
    llama_cpp.llama_sampler_free(smpl)


class Grammar:
    """A live GBNF grammar over one model's vocabulary (``vocab``: a ``llama_vocab *``)."""

    def __init__(self, vocab: Any, gbnf: str, root: str = "root") -> None:
        self.text = gbnf
        self._smpl = llama_cpp.llama_sampler_init_grammar(
            vocab, gbnf.encode("utf-8"), root.encode("utf-8")
        )
        if not self._smpl:
            raise GrammarError(_INVALID)

    def mask(self, c: Candidates) -> Candidates:
        """The candidates the grammar allows next (the others are masked)."""
        data = np.zeros(len(c), dtype=_TOKEN_DATA)
        data["id"] = c.ids
        data["logit"] = c.logits
        arr = llama_cpp.llama_token_data_array(
            data=data.ctypes.data_as(llama_cpp.llama_token_data_p), size=len(c), selected=-1,
            sorted=False,
        )
        llama_cpp.llama_sampler_apply(self._smpl, ctypes.byref(arr))
        keep = np.nonzero(np.isfinite(data["logit"][: arr.size]))[0]
        if keep.size == len(c):
            return c
        return c.take(keep, c.sorted)

    def accept(self, token: int) -> None:
        llama_cpp.llama_sampler_accept(self._smpl, token)

    def close(self) -> None:
        if self._smpl:
            llama_cpp.llama_sampler_free(self._smpl)
            self._smpl = None

    def __del__(self) -> None:
        self.close()
