"""The sampler flags every generating command shares (``chat``, ``step``): llama.cpp's
names and defaults, ranges from ``core.limits`` (out of range: a usage error, exit 2), and
the ``SamplerSettings`` they give."""

from __future__ import annotations

import argparse
import math
import re
from pathlib import Path
from typing import Any

from desktop.cli_common import _help, _limited
from desktop.core.errors import UsageError

#: (flag, SamplerSettings field, default): llama.cpp's flag names and defaults
SAMPLER_FLAGS: tuple[tuple[str, str, float], ...] = (
    ("--temp", "temperature", 0.8),
    ("--top-k", "top_k", 40),
    ("--top-p", "top_p", 0.95),
    ("--min-p", "min_p", 0.05),
    ("--typical-p", "typical_p", 1.0),
    ("--repeat-penalty", "repeat_penalty", 1.0),
    ("--repeat-last-n", "repeat_last_n", 64),
    ("--frequency-penalty", "frequency_penalty", 0.0),
    ("--presence-penalty", "presence_penalty", 0.0),
    ("--seed", "seed", -1),
    ("--dry-multiplier", "dry_multiplier", 0.0),
    ("--dry-base", "dry_base", 1.75),
    ("--dry-allowed-length", "dry_allowed_length", 2),
    ("--dry-penalty-last-n", "dry_penalty_last_n", 64),
    ("--top-nsigma", "top_n_sigma", -1.0),
    ("--xtc-probability", "xtc_probability", 0.0),
    ("--xtc-threshold", "xtc_threshold", 0.1),
    ("--dynatemp-range", "dynatemp_range", 0.0),
    ("--dynatemp-exp", "dynatemp_exponent", 1.0),
    ("--mirostat", "mirostat", 0),
    ("--mirostat-ent", "mirostat_tau", 5.0),
    ("--mirostat-lr", "mirostat_eta", 0.1),
)
_INTS = {"top_k", "repeat_last_n", "dry_allowed_length", "dry_penalty_last_n", "mirostat"}


def add_sampler_args(p: argparse.ArgumentParser) -> None:
    """The sampler flags, DRY's sequence breakers, logit bias, grammar and JSON schema."""
    for flag, name, default in SAMPLER_FLAGS:
        p.add_argument(flag, dest=name, type=_limited(name), default=default,
                       help=f"{_help(name)}; default {default}")
    p.add_argument(
        "--dry-sequence-breaker", action="append", metavar="TEXT", default=None,
        help='a DRY sequence breaker (repeatable; default "\\n" ":" "\\"" "*"; "none" for '
             "none)",
    )
    p.add_argument(
        "--logit-bias", action="append", metavar="ID(+|-)BIAS", type=_logit_bias, default=[],
        help="add a bias to a token's logit, as llama.cpp: 15043+1, 15043-1.5, 15043-inf "
             "(bans it); repeatable",
    )
    p.add_argument("--grammar", metavar="FILE", help="a GBNF grammar file the reply must follow")
    p.add_argument("--json-schema", metavar="FILE",
                   help="a JSON schema file the reply must follow (converted to GBNF)")


def settings_from_args(args: argparse.Namespace) -> Any:
    """The ``SamplerSettings`` of the flags ``add_sampler_args`` added (``--seed -1``:
    a random seed, drawn when generation starts). Raises ``UsageError`` for an unreadable
    or invalid grammar or schema."""
    from desktop.core.sampling import SamplerSettings

    values: dict[str, Any] = {name: getattr(args, name) for _f, name, _d in SAMPLER_FLAGS}
    for name in _INTS:
        values[name] = int(values[name])
    values["seed"] = None if values["seed"] == -1 else int(values["seed"])
    breakers = SamplerSettings().dry_sequence_breakers
    if args.dry_sequence_breaker is not None:
        given = [b.encode().decode("unicode_escape") for b in args.dry_sequence_breaker]
        breakers = () if given == ["none"] else tuple(given)
    return SamplerSettings(**values, dry_sequence_breakers=breakers,
                           logit_bias=tuple(args.logit_bias), grammar=_grammar(args))


def _grammar(args: argparse.Namespace) -> str:
    """The GBNF text from --grammar or --json-schema ("" for none)."""
    from desktop.core.grammar import GrammarError, check_grammar, gbnf_from_json_schema

    if args.grammar and args.json_schema:
        raise UsageError("Give --grammar or --json-schema, not both.")
    path = args.grammar or args.json_schema
    if not path:
        return ""
    try:
        text = Path(path).read_text(encoding="utf-8")
        gbnf = gbnf_from_json_schema(text) if args.json_schema else text
        check_grammar(gbnf)  # before a model loads or a server gets it
        return gbnf
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"Cannot read {path}: {exc}") from exc
    except GrammarError as exc:
        raise UsageError(str(exc)) from exc


def _logit_bias(text: str) -> tuple[int, float]:
    m = re.fullmatch(r"\s*(\d+)\s*([+-])\s*(inf|\d+(?:\.\d*)?|\.\d+)\s*", text, re.I)
    if not m:
        raise argparse.ArgumentTypeError(
            f"logit bias must look like 15043+1 or 15043-inf (token id, sign, bias), not {text!r}"
        )
    value = math.inf if m.group(3).lower() == "inf" else float(m.group(3))
    return int(m.group(1)), value if m.group(2) == "+" else -value
