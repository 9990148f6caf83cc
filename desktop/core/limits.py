"""The allowed range of every numeric setting, and llama.cpp's meaning of its special values.

One table for the command line (argparse types: a value outside its range is a usage
error, exit 2) and the Settings dialog (its fields cannot hold such a value). Special
values follow llama.cpp (common/arg.cpp, common/sampling.cpp):

* ``temperature`` <= 0 samples greedily (argmax); negative values are refused.
* ``top_k`` 0 turns top-k off (the whole vocabulary).
* ``top_p``, ``typical_p`` 1.0 and ``min_p`` 0.0 turn those stages off.
* ``repeat_penalty`` 1.0 is off; it must be > 0 (it divides positive logits).
* ``repeat_last_n`` and ``dry_penalty_last_n`` 0 turn the penalties (DRY) off; -1 is the
  whole context. The llama.cpp Tokenscope runs (vendored in llama-cpp-python 0.3.36) no
  longer takes -1 (its ``--repeat-last-n`` and llama-server refuse it; its samplers turn a
  negative window off), older ones read it as the context size: Tokenscope keeps that
  meaning, and sends llama-server the context size instead.
* ``seed`` -1 picks a random seed (recorded with the reply); otherwise 0 … 2^32-1.
* ``max_tokens`` -1 generates until end of turn or a full context window.
* ``n_ctx`` 0 uses the model's training context.

NaN and infinities are refused everywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import TokenscopeError


class SettingsError(TokenscopeError):
    """A setting outside its allowed range; the message says what is allowed."""


@dataclass(frozen=True)
class Limit:
    low: float
    high: float
    integer: bool = False
    #: llama.cpp's meaning of the special values, for --help and the error message
    note: str = ""
    #: the lower bound itself is excluded (e.g. repeat_penalty > 0)
    open_low: bool = False

    def describe(self) -> str:
        def num(x: float) -> str:
            return str(int(x)) if self.integer else f"{x:g}"

        low = f"> {num(self.low)}" if self.open_low else f">= {num(self.low)}"
        high = "" if math.isinf(self.high) else f" and <= {num(self.high)}"
        kind = "a whole number" if self.integer else "a number"
        text = f"{kind} {low}{high}"
        return f"{text} ({self.note})" if self.note else text


UINT32_MAX = 2**32 - 1

LIMITS: dict[str, Limit] = {
    "temperature": Limit(0.0, 100.0, note="0 = greedy: always the most likely token"),
    "top_k": Limit(0, 1_000_000, integer=True, note="0 = off"),
    "top_p": Limit(0.0, 1.0, note="1 = off"),
    "min_p": Limit(0.0, 1.0, note="0 = off"),
    "typical_p": Limit(0.0, 1.0, note="1 = off"),
    "repeat_penalty": Limit(0.0, 100.0, note="1 = off", open_low=True),
    "repeat_last_n": Limit(-1, 1_000_000, integer=True,
                           note="-1 = the whole context, 0 = off"),
    "frequency_penalty": Limit(-100.0, 100.0, note="0 = off"),
    "presence_penalty": Limit(-100.0, 100.0, note="0 = off"),
    "dry_multiplier": Limit(0.0, 100.0, note="0 = off"),
    "dry_base": Limit(0.0, 100.0, note="below 1 = off; default 1.75"),
    "dry_allowed_length": Limit(0, 1_000_000, integer=True),
    "dry_penalty_last_n": Limit(-1, 1_000_000, integer=True,
                                note="-1 = the whole context, 0 = off; default 64"),
    "top_n_sigma": Limit(-1.0, 100.0, note="-1 = off"),
    "xtc_probability": Limit(0.0, 1.0, note="0 = off"),
    "xtc_threshold": Limit(0.0, 1.0, note="above 0.5 = off"),
    "dynatemp_range": Limit(0.0, 100.0, note="0 = a fixed temperature"),
    "dynatemp_exponent": Limit(0.0, 100.0),
    "mirostat": Limit(0, 2, integer=True, note="0 = off, 1 = mirostat, 2 = mirostat 2.0"),
    "mirostat_tau": Limit(0.0, 100.0, note="target surprise in bits"),
    "mirostat_eta": Limit(0.0, 10.0, note="learning rate"),
    "seed": Limit(-1, UINT32_MAX, integer=True, note="-1 = random"),
    "max_tokens": Limit(-1, 1_000_000, integer=True,
                        note="-1 = until the end of the turn or a full context; not 0"),
    "n_ctx": Limit(0, 10_000_000, integer=True, note="0 = the model's training context"),
    "n_threads": Limit(1, 1024, integer=True),
    "thinking_budget": Limit(-1, 1_000_000, integer=True,
                             note="-1 = no budget, 0 = close the block at once"),
    "top_logprobs": Limit(0, 1000, integer=True,
                          note="alternatives per token a server returns; 0 = none"),
}


def check(name: str, value: float) -> float:
    """``value`` if it is allowed for setting ``name``; raises ``SettingsError`` otherwise."""
    lim = LIMITS[name]
    bad = isinstance(value, bool) or not isinstance(value, (int, float))
    if not bad:
        bad = (
            math.isnan(value) or math.isinf(value)
            or (lim.integer and value != int(value))
            or value < lim.low or value > lim.high
            or (lim.open_low and value == lim.low)
        )
    if name == "max_tokens" and value == 0:
        bad = True
    if bad:
        raise SettingsError(f"{name} must be {lim.describe()}, not {value!r}")
    return value


def parse(name: str, text: str) -> float:
    """A command-line value for setting ``name`` (raises ``SettingsError``)."""
    lim = LIMITS[name]
    try:
        value: float = int(text) if lim.integer else float(text)
    except ValueError:
        raise SettingsError(f"{name} must be {lim.describe()}, not {text!r}") from None
    return check(name, value)
