"""The command line: ``tokenscope`` opens the window; subcommands work headless.

  tokenscope [--model PATH]          the desktop app
  tokenscope chat -m MODEL [PROMPT]  chat in the terminal (one-shot or interactive)
  tokenscope tokenize -m MODEL TEXT  show how a model splits text into tokens
  tokenscope doctor                  the llama.cpp build, paths, keyring, crash probe
  tokenscope models ...              find, download and manage models
  tokenscope chats|servers|step|score|compare|quantize|lab ...   (see --help)

Each subcommand lives in its own module (cli_chat, cli_models, cli_chats, cli_servers,
cli_lenses, cli_lab); cli_common has what they share.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from desktop import APP_NAME, __version__
from desktop.cli_common import _add_model_args, _err, _load_engine
from desktop.cli_common import resolve_model as resolve_model
from desktop.core.errors import TokenscopeError, UsageError

# --- tokenize ---------------------------------------------------------------------------


def cmd_tokenize(args: argparse.Namespace) -> int:
    from desktop.core.trace import piece_text

    engine = _load_engine(args)
    name = engine.name
    try:
        tokens = engine.tokenize(args.text, add_bos=args.bos, special=args.special)
        rows = [
            {"id": t, "text": piece_text(engine.piece(t)), "special": engine.is_special(t)}
            for t in tokens
        ]
    finally:
        engine.close()
    if args.json:
        json.dump(
            {"model": name, "special_parsed": args.special, "n_tokens": len(rows),
             "chars": len(args.text), "tokens": rows},
            sys.stdout,
            ensure_ascii=False,
            indent=2,
        )
        print()
        return 0
    for r in rows:
        mark = " (special)" if r["special"] else ""
        print(f"{r['id']:>8}  {r['text']!r}{mark}")
    ratio = len(args.text) / len(rows) if rows else 0.0
    print(f"{len(rows)} tokens, {len(args.text)} characters, {ratio:.2f} chars/token")
    if args.special:
        print("special tokens: parsed (--special): markers such as <|im_end|> became "
              "control tokens")
    else:
        print("special tokens: not parsed: markers such as <|im_end|> are plain text, as in "
              "a chat message (--special parses them)")
    return 0


# --- doctor -----------------------------------------------------------------------------


def cmd_doctor(args: argparse.Namespace) -> int:
    from desktop.core import backend, paths

    report: dict[str, Any] = {"version": __version__, "python": sys.version.split()[0]}
    try:
        info = backend.build_info()
        report["llama_cpp"] = info.to_dict()
    except Exception as exc:
        report["llama_cpp"] = {"error": f"llama-cpp-python is not usable: {exc}"}
    report["paths"] = {
        "data": str(paths.data_dir()),
        "models": str(paths.models_dir()),
        "config": str(paths.config_dir()),
        "cache": str(paths.cache_dir()),
        "logs": str(paths.log_dir()),
    }
    from desktop.core import secrets

    ks = secrets.keyring_status()
    report["keyring"] = {"backend": ks.backend, "kind": ks.kind, "where": ks.where}
    report["keyring"]["warning"] = ks.problem
    probe = backend.check_build(force=args.reprobe) if "error" not in report["llama_cpp"] else None
    report["probe"] = probe.to_dict() if probe else None
    if args.json:
        json.dump(report, sys.stdout, indent=2)
        print()
    else:
        ll = report["llama_cpp"]
        print(f"{APP_NAME} {__version__} (Python {report['python']})")
        if "error" in ll:
            print(f"llama.cpp:     {ll['error']}")
        else:
            print(
                f"llama.cpp:     llama-cpp-python {ll['llama_cpp_python']}, "
                f"backend {ll['backend']}"
            )
            print(f"GPU offload:   {'yes' if ll['gpu_offload'] else 'no (CPU-only build)'}")
            print(f"CPU features:  {ll['system_info']}")
            print(f"library:       {ll['library']}")
        for k, v in report["paths"].items():
            print(f"{k + ' dir:':<14} {v}")
        print(f"keyring:       {ks.backend}" + (f" — tokens go to {ks.where}" if ks.where else ""))
        if ks.problem:
            print(f"  WARNING:     {ks.problem}")
        if probe:
            print(f"crash probe:   {'OK' if probe.ok else 'FAILED'} — {probe.message}")
    return 0 if probe is not None and probe.ok else 1


# --- the parser -------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tokenscope", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    p.add_argument("--model", help="open the window with this model loaded")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    from desktop.cli_chat import add_chat_parser
    from desktop.cli_servers import add_servers_parser

    add_chat_parser(sub)

    t = sub.add_parser(
        "tokenize", help="show the tokens of a text",
        description="Show how a model splits a text into tokens. Special tokens are not "
                    "parsed unless --special is given; the output says which.",
    )
    _add_model_args(t)
    t.add_argument("text")
    t.add_argument("--json", action="store_true")
    t.add_argument("--bos", action="store_true", help="add the BOS token as a prompt would")
    t.add_argument(
        "--special", action="store_true",
        help="parse markers like <|im_end|> as special (control) tokens, as a chat template's "
             "own text is; by default they are plain text, as in a chat message",
    )
    t.add_argument("--no-special", dest="special", action="store_false",
                   help="do not parse special tokens (the default)")
    t.set_defaults(func=cmd_tokenize)

    d = sub.add_parser("doctor", help="check the llama.cpp build and the install")
    d.add_argument("--json", action="store_true")
    d.add_argument("--reprobe", action="store_true", help="run the crash probe again")
    d.set_defaults(func=cmd_doctor)

    from desktop.cli_chats import add_chats_parser
    from desktop.cli_lab import add_lab_parser
    from desktop.cli_lenses import add_lenses_parser
    from desktop.cli_models import add_models_parser

    add_models_parser(sub)
    add_chats_parser(sub)
    add_servers_parser(sub)
    add_lenses_parser(sub)
    add_lab_parser(sub, _add_model_args, _load_engine)
    return p


def _run_gui(model: str | None) -> int:
    try:
        from desktop.ui.app import run
    except ImportError as exc:
        return _err(
            f"the desktop window cannot start: {exc}. Install the GUI dependencies "
            "(bash packaging/install.sh) or use 'tokenscope chat'."
        )
    return int(run(model))


def main(argv: Sequence[str] | None = None) -> int:
    from desktop.core.logs import setup_logging

    setup_logging()
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if func is None:
        return _run_gui(args.model)
    try:
        return func(args)
    except UsageError as exc:
        _err(str(exc))
        return 2
    except TokenscopeError as exc:
        return _err(str(exc))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. piped into head: the reader is gone, that is fine
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (no flush error at exit)
        return 0


if __name__ == "__main__":
    sys.exit(main())
