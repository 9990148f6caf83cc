"""Which sampler settings a remote server takes, and the request fields that carry them.

OpenAI's chat API knows only ``temperature``, ``top_p``, the presence and frequency
penalties and ``seed``; every other stage of llama.cpp's chain travels as an extra field
that only some servers read. A setting a server does not read is silently ignored by it,
so ``sampling_request`` says which of the user's *active* settings were not sent
(``not_applied``); the reply records them and the window and the CLI say so.

What each kind reads (request fields as of the versions named):

* ``llama-server`` (llama.cpp's ``tools/server/server-schema.cpp``): all of them --
  ``top_k``, ``min_p``, ``typical_p``, ``repeat_penalty``/``repeat_last_n``, ``min_keep``,
  ``dry_*``, ``top_n_sigma``, ``xtc_*``, ``dynatemp_*``, ``mirostat*``, ``grammar``;
* ``llama-cpp-python`` (``llama_cpp/server/types.py``, CreateChatCompletionRequest):
  ``top_k``, ``min_p``, ``repeat_penalty`` (over its fixed last 64 tokens),
  ``mirostat_mode``/``_tau``/``_eta``, ``grammar``;
* ``vllm``: ``top_k``, ``min_p``, ``repetition_penalty`` (Hugging Face's, over the whole
  sequence);
* ``lmstudio``: ``top_k``, ``min_p``, ``repeat_penalty``;
* ``ollama`` (its OpenAI-compatible endpoint) and ``openai``: none of them.

Logit bias is never sent: its token ids belong to a local model's vocabulary, not the
server's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from .sampler_settings import SamplerSettings

#: the penalties' window llama-cpp-python's server uses (``last_n_tokens_size``)
LLAMA_CPP_PYTHON_LAST_N = 64
#: llama-server's default windows of the penalties and DRY (llama.cpp's common.h)
SERVER_LAST_N = 64

Fields = Callable[[SamplerSettings, str], dict[str, Any]]


def _penalty(s: SamplerSettings, kind: str) -> dict[str, Any]:
    if kind == "vllm":  # vLLM names llama.cpp's repeat_penalty after Hugging Face's
        return {"repetition_penalty": s.repeat_penalty}
    out: dict[str, Any] = {"repeat_penalty": s.repeat_penalty}
    if kind == "llama-server":
        out["repeat_last_n"] = s.repeat_last_n
    return out


def _whole_context(extra: dict[str, Any], n_ctx: int | None, labels: dict[str, str],
                   missing: list[str], changes: dict[str, Any]) -> None:
    """llama-server refuses a window of -1 (Tokenscope's "the whole context"): send its
    context size instead, or, not knowing it, leave the window to the server (its default,
    ``SERVER_LAST_N``) and say so."""
    for key, label in labels.items():
        if extra.get(key) == -1:
            if n_ctx:
                extra[key] = n_ctx
            else:
                del extra[key]
                changes[key] = SERVER_LAST_N
                missing.append(f"{label} -1 (the whole context: the server's size is unknown)")


def _mirostat(s: SamplerSettings, kind: str) -> dict[str, Any]:
    mode = "mirostat_mode" if kind == "llama-cpp-python" else "mirostat"
    return {mode: s.mirostat, "mirostat_tau": s.mirostat_tau, "mirostat_eta": s.mirostat_eta}


@dataclass(frozen=True)
class _Group:
    """One setting (or a few that only work together) as the user names it."""

    label: str
    active: Callable[[SamplerSettings], bool]
    fields: Fields
    off: dict[str, Any]  #: the setting values that turn it off


def _dry(s: SamplerSettings, kind: str) -> dict[str, Any]:
    return {"dry_multiplier": s.dry_multiplier, "dry_base": s.dry_base,
            "dry_allowed_length": s.dry_allowed_length,
            "dry_penalty_last_n": s.dry_penalty_last_n,
            "dry_sequence_breakers": list(s.dry_sequence_breakers)}


def _only(*names: str) -> Fields:
    """The request fields named as the settings are."""
    return lambda s, kind: {n: getattr(s, n) for n in names}


GROUPS: dict[str, _Group] = {
    "top_k": _Group("top-k", lambda s: s.top_k > 0, _only("top_k"), {"top_k": 0}),
    "min_p": _Group("min-p", lambda s: s.min_p > 0.0, _only("min_p"), {"min_p": 0.0}),
    "typical_p": _Group("typical-p", lambda s: s.typical_p < 1.0, _only("typical_p"),
                        {"typical_p": 1.0}),
    "repeat_penalty": _Group("repeat penalty", lambda s: s.repeat_penalty != 1.0
                             and s.repeat_last_n != 0, _penalty, {"repeat_penalty": 1.0}),
    "min_keep": _Group("min_keep", lambda s: s.min_keep > 1, _only("min_keep"),
                       {"min_keep": 1}),
    "dry": _Group("DRY", lambda s: s.dry_active, _dry, {"dry_multiplier": 0.0}),
    "top_n_sigma": _Group("top-nσ", lambda s: s.top_n_sigma > 0.0, _only("top_n_sigma"),
                          {"top_n_sigma": -1.0}),
    "xtc": _Group("XTC", lambda s: s.xtc_active, _only("xtc_probability", "xtc_threshold"),
                  {"xtc_probability": 0.0}),
    "dynatemp": _Group("dynamic temperature", lambda s: s.dynatemp_range > 0.0,
                       _only("dynatemp_range", "dynatemp_exponent"), {"dynatemp_range": 0.0}),
    "mirostat": _Group("mirostat", lambda s: s.mirostat in (1, 2), _mirostat, {"mirostat": 0}),
    "grammar": _Group("grammar", lambda s: bool(s.grammar.strip()), _only("grammar"),
                      {"grammar": ""}),
    "logit_bias": _Group("logit bias", lambda s: bool(s.logit_bias), lambda s, k: {},
                         {"logit_bias": ()}),
}

#: server kind -> the groups it reads
SUPPORTED: dict[str, frozenset[str]] = {
    "llama-server": frozenset(GROUPS) - {"logit_bias"},
    "llama-cpp-python": frozenset({"top_k", "min_p", "repeat_penalty", "mirostat",
                                   "grammar"}),
    "vllm": frozenset({"top_k", "min_p", "repeat_penalty"}),
    "lmstudio": frozenset({"top_k", "min_p", "repeat_penalty"}),
    "ollama": frozenset(),
    "openai": frozenset(),
}


@dataclass(frozen=True)
class SamplingRequest:
    """The request's OpenAI fields (``args``), the extra body fields (``extra``), the
    labels of the active settings the server would not read (``not_applied``), and the
    settings it applies (``applied``: those turned off, or at the server's own window)."""

    args: dict[str, Any]
    extra: dict[str, Any]
    not_applied: tuple[str, ...]
    applied: SamplerSettings


def sampling_request(
    kind: str, settings: SamplerSettings, max_tokens: int = -1, stop: Sequence[str] = (),
    n_ctx: int | None = None,
) -> SamplingRequest:
    """What to send a server of ``kind`` (a ``servers.KINDS`` key; unknown kinds are
    treated as ``openai``) for ``settings``. ``max_tokens`` <= 0: no limit sent; at most
    4 ``stop`` strings (OpenAI's cap); ``n_ctx``: the server's context window, if known
    (a window of -1 becomes it)."""
    s = settings
    args: dict[str, Any] = {
        "temperature": max(0.0, s.temperature),
        "top_p": s.top_p,
        "presence_penalty": s.presence_penalty,
        "frequency_penalty": s.frequency_penalty,
    }
    if max_tokens > 0:
        args["max_tokens"] = max_tokens
    if s.seed is not None:
        args["seed"] = s.seed
    if stop:
        args["stop"] = list(stop)[:4]
    supported = SUPPORTED.get(kind, frozenset())
    extra: dict[str, Any] = {}
    missing: list[str] = []
    changes: dict[str, Any] = {}
    for name, group in GROUPS.items():
        if name in supported:
            # sent even when off: the server's own defaults (or its command line) may
            # differ from llama.cpp's; an empty grammar is no grammar (and breaks some)
            if name != "grammar" or group.active(s):
                extra.update(group.fields(s, kind))
        elif group.active(s):
            missing.append(group.label)
            changes.update(group.off)
    if kind == "llama-server":
        _whole_context(extra, n_ctx, {"repeat_last_n": "repeat_last_n",
                                      "dry_penalty_last_n": "DRY window"}, missing, changes)
    if (kind == "llama-cpp-python" and GROUPS["repeat_penalty"].active(s)
            and s.repeat_last_n != LLAMA_CPP_PYTHON_LAST_N):
        missing.append(f"repeat_last_n {s.repeat_last_n} (the server uses "
                       f"{LLAMA_CPP_PYTHON_LAST_N})")
        changes["repeat_last_n"] = LLAMA_CPP_PYTHON_LAST_N
    return SamplingRequest(args, extra, tuple(missing), replace(s, **changes))
