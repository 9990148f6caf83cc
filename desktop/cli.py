"""The command line: ``tokenscope`` opens the window; subcommands work headless.

  tokenscope [--model PATH]          the desktop app
  tokenscope chat -m MODEL [PROMPT]  chat in the terminal (one-shot or interactive)
  tokenscope tokenize -m MODEL TEXT  show how a model splits text into tokens
  tokenscope doctor                  the llama.cpp build, paths, keyring, crash probe
  tokenscope models ...              find, download and manage models
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from desktop import APP_NAME, __version__
from desktop.core.chat import DEFAULT_SYSTEM_PROMPT
from desktop.core.errors import TokenscopeError, UsageError
from desktop.core.gpu import parse_gpu_layers

# --- shared helpers ---------------------------------------------------------------------


def _err(msg: str) -> int:
    print(f"tokenscope: {msg}", file=sys.stderr)
    return 1


def resolve_model(name: str) -> Path:
    """A .gguf path, or a name from the local library."""
    path = Path(name).expanduser()
    if path.is_file():
        return path
    if path.suffix.lower() == ".gguf" or "/" in name or "\\" in name:
        raise TokenscopeError(f"Model file not found: {name}. Give the path of a .gguf file, "
                              "or a name from 'tokenscope models list'.")
    try:
        from desktop.core import library
    except ImportError:  # pragma: no cover
        raise TokenscopeError(f"Model file not found: {name}") from None
    return library.resolve(name)


def _load_engine(args: argparse.Namespace) -> Any:
    from desktop.core import backend
    from desktop.core.engine import Engine, LoadOptions
    from desktop.core.gpu import resolve_gpu_layers

    if not args.model:
        raise UsageError("-m/--model is required: a .gguf file or a name from "
                         "'tokenscope models list'.")
    backend.ensure_working_build()
    path = resolve_model(args.model)
    layers = resolve_gpu_layers(args.gpu_layers, path, n_ctx=args.ctx)
    return Engine(path, LoadOptions(n_ctx=args.ctx, n_threads=args.threads, n_gpu_layers=layers))


def _limited(name: str) -> Callable[[str], float]:
    """An argparse type for setting ``name``: out of range is a usage error (exit 2); the
    message names the flag (argparse adds it) and what it allows."""
    from desktop.core import limits

    def convert(text: str) -> float:
        try:
            return limits.parse(name, text)
        except limits.SettingsError:
            raise argparse.ArgumentTypeError(
                f"must be {limits.LIMITS[name].describe()}, not {text!r}") from None

    convert.__name__ = name  # argparse names the type in its messages
    return convert


def _grammar(args: argparse.Namespace) -> str:
    """The GBNF text from --grammar or --json-schema ("" for none)."""
    from desktop.core.grammar import GrammarError, gbnf_from_json_schema

    if args.grammar and args.json_schema:
        raise UsageError("Give --grammar or --json-schema, not both.")
    path = args.grammar or args.json_schema
    if not path:
        return ""
    try:
        text = Path(path).read_text(encoding="utf-8")
        return gbnf_from_json_schema(text) if args.json_schema else text
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"Cannot read {path}: {exc}") from exc
    except GrammarError as exc:
        raise UsageError(str(exc)) from exc


def _logit_bias(text: str) -> tuple[int, float]:
    import math
    import re

    m = re.fullmatch(r"\s*(\d+)\s*([+-])\s*(inf|\d+(?:\.\d*)?|\.\d+)\s*", text, re.I)
    if not m:
        raise argparse.ArgumentTypeError(
            f"logit bias must look like 15043+1 or 15043-inf (token id, sign, bias), not {text!r}"
        )
    value = math.inf if m.group(3).lower() == "inf" else float(m.group(3))
    return int(m.group(1)), value if m.group(2) == "+" else -value


def _help(name: str) -> str:
    from desktop.core import limits

    return limits.LIMITS[name].describe()


def _gpu_layers(text: str) -> Any:
    try:
        return parse_gpu_layers(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("-m", "--model", help="a .gguf file or a library name (required)")
    p.add_argument("--ctx", type=_limited("n_ctx"), default=4096,
                   help=f"context window in tokens: {_help('n_ctx')}; default 4096")
    p.add_argument("--threads", type=_limited("n_threads"), default=None,
                   help="CPU threads (default: llama.cpp's choice)")
    p.add_argument(
        "--gpu-layers", type=_gpu_layers, default="auto",
        help="layers to offload to the GPU: auto (all if the model fits, else none), -1 (all), N",
    )


# --- chat -------------------------------------------------------------------------------


def _color(p: float) -> str:
    """ANSI 256-colour foreground for a probability: confident → plain, unsure → red."""
    if p >= 0.9:
        return ""
    if p >= 0.6:
        return "\x1b[38;5;114m"
    if p >= 0.3:
        return "\x1b[38;5;220m"
    if p >= 0.1:
        return "\x1b[38;5;208m"
    return "\x1b[38;5;196m"


class _Printer:
    def __init__(self, out: TextIO, color: bool) -> None:
        self.out, self.color = out, color

    def token(self, text: str, p: float) -> None:
        if not text:
            return
        c = _color(p) if self.color else ""
        self.out.write(f"{c}{text}\x1b[0m" if c else text)
        self.out.flush()


def _settings(args: argparse.Namespace) -> Any:
    from desktop.core.sampling import SamplerSettings

    breakers = SamplerSettings().dry_sequence_breakers
    if args.dry_sequence_breaker is not None:
        given = [b.encode().decode("unicode_escape") for b in args.dry_sequence_breaker]
        breakers = () if given == ["none"] else tuple(given)

    return SamplerSettings(
        temperature=args.temp,
        top_k=args.top_k,
        top_p=args.top_p,
        min_p=args.min_p,
        typical_p=args.typical_p,
        repeat_penalty=args.repeat_penalty,
        repeat_last_n=args.repeat_last_n,
        frequency_penalty=args.frequency_penalty,
        presence_penalty=args.presence_penalty,
        seed=None if args.seed == -1 else args.seed,
        dry_multiplier=args.dry_multiplier, dry_base=args.dry_base,
        dry_allowed_length=args.dry_allowed_length,
        dry_penalty_last_n=args.dry_penalty_last_n,
        dry_sequence_breakers=breakers, top_n_sigma=args.top_n_sigma,
        xtc_probability=args.xtc_probability, xtc_threshold=args.xtc_threshold,
        dynatemp_range=args.dynatemp_range, dynatemp_exponent=args.dynatemp_exponent,
        mirostat=args.mirostat, mirostat_tau=args.mirostat_tau, mirostat_eta=args.mirostat_eta,
        logit_bias=tuple(args.logit_bias), grammar=_grammar(args),
    )


def _run_turn(
    session: Any, text: str, printer: _Printer, trace_out: TextIO | None, verbose: bool = False
) -> Any:
    from desktop.core.generation import DoneEvent, PromptEvent, TextEvent, TokenEvent

    cancel = threading.Event()
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, lambda *_: cancel.set())
    done = None
    try:
        seed = None
        for ev in session.send(text, cancel):
            if isinstance(ev, PromptEvent):
                seed = ev.seed
            elif isinstance(ev, TokenEvent):
                printer.token(ev.text, ev.trace.p_model)
                if trace_out is not None:
                    row = ev.trace.to_json(session.settings, session.engine.piece)
                    row["seed"] = seed
                    trace_out.write(json.dumps(row, ensure_ascii=False) + "\n")
            elif isinstance(ev, TextEvent):
                printer.token(ev.text, 1.0)
            elif isinstance(ev, DoneEvent):
                done = ev
    finally:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, previous)
    printer.out.write("\n")
    if verbose and done is not None:
        print(
            f"[seed {done.seed} · prompt {done.prompt.n_prompt} tokens "
            f"({done.prompt.n_reused} reused) · {len(done.traces)} tokens · "
            f"{done.gen_tokens_per_second:.1f} tok/s · {done.reason}]",
            file=sys.stderr,
        )
    if done is not None and done.reason == "cancelled":
        print("[stopped]", file=sys.stderr)
    elif done is not None and done.reason == "context":
        print("[the context window is full]", file=sys.stderr)
    return done


def cmd_chat(args: argparse.Namespace) -> int:
    from desktop.core.session import ChatSession

    if args.chat_format == "list":
        from desktop.core.builtin_templates import builtin_names

        print("auto\nfile\nplain\n" + "\n".join(builtin_names()))
        return 0
    if args.server:  # a remote server (desktop/cli_servers.py)
        from desktop.cli_servers import cmd_remote_chat

        return cmd_remote_chat(args, _settings(args), _Printer)
    if not args.model:
        raise UsageError("-m/--model is required (or --server NAME|URL): a .gguf file or a "
                         "name from 'tokenscope models list'.")

    settings = _settings(args)  # a bad grammar or schema is refused before the model loads
    if args.chat_format not in (None, "auto", "file", "plain"):
        from desktop.core.builtin_templates import builtin_names

        if args.chat_format not in builtin_names():
            raise UsageError(f"Unknown chat format {args.chat_format!r}: "
                             "'tokenscope chat --chat-format list' lists them.")
    store = conversation = None
    if args.save or args.continue_id is not None:
        from desktop.core.store import Store

        store = Store()
        if args.continue_id is not None:
            conversation = store.load(args.continue_id)
    engine = _load_engine(args)
    bad = [t for t, _ in settings.logit_bias if not 0 <= t < engine.n_vocab]
    if bad:
        engine.close()
        raise UsageError(f"--logit-bias: token {bad[0]} is not in this model's vocabulary "
                         f"(ids 0 … {engine.n_vocab - 1}).")
    max_tokens = engine.n_ctx if args.max_tokens == -1 else args.max_tokens
    session = ChatSession(
        engine, settings, system=args.system or None, max_tokens=max_tokens,
        store=store, chat_format=args.chat_format,
        thinking_budget=None if args.thinking_budget == -1 else int(args.thinking_budget),
        enable_thinking=False if args.no_think else None,
    )
    assert session.template is not None
    if session.template.fallback_reason:
        print(f"tokenscope: warning: {session.template.fallback_reason}", file=sys.stderr)
    elif session.template.reason and (args.verbose or (args.chat_format is None
                                      and session.template.reason.startswith("no template"))):
        print(f"tokenscope: chat template: {session.template.reason}", file=sys.stderr)
    if conversation is not None:
        session.conversation = conversation
    elif store is not None:
        first = " ".join(args.prompt) if args.prompt else ""
        session.conversation.title = first[:60] or time.strftime("Chat %Y-%m-%d %H:%M")
    color = {"always": True, "never": False}.get(
        args.color, sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    )
    printer = _Printer(sys.stdout, color)
    trace_out = open(args.trace, "w", encoding="utf-8") if args.trace else None  # noqa: SIM115
    try:
        if args.prompt:
            _run_turn(session, " ".join(args.prompt), printer, trace_out, args.verbose)
            return 0
        print(
            f"{APP_NAME} chat with {engine.name}. Ctrl+C stops a reply, Ctrl+D or /quit "
            "exits, /reset starts over.",
            file=sys.stderr,
        )
        while True:
            try:
                line = input("> ")
            except EOFError:
                print(file=sys.stderr)
                return 0
            except KeyboardInterrupt:
                print(file=sys.stderr)
                continue
            if line.strip() in ("/quit", "/exit"):
                return 0
            if line.strip() == "/reset":
                session.reset()
                print("[a new conversation]", file=sys.stderr)
                continue
            if line.strip():
                try:
                    _run_turn(session, line, printer, trace_out, args.verbose)
                except TokenscopeError as exc:
                    print(f"tokenscope: {exc}", file=sys.stderr)
    finally:
        if trace_out is not None:
            trace_out.close()
        engine.close()
        if store is not None and session.conversation.id is not None:
            print(f"Saved as conversation {session.conversation.id} "
                  f"(tokenscope chats show {session.conversation.id})", file=sys.stderr)


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

    from desktop.cli_servers import add_remote_chat_args, add_servers_parser

    c = sub.add_parser("chat", help="chat with a model in the terminal")
    _add_model_args(c)
    add_remote_chat_args(c)
    c.add_argument("prompt", nargs="*", help="one-shot prompt (interactive when omitted)")
    c.add_argument(
        "--system", default=DEFAULT_SYSTEM_PROMPT,
        help=f'system prompt (default: "{DEFAULT_SYSTEM_PROMPT}"; "" for none)',
    )
    for flag, name, default in (
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
        ("--max-tokens", "max_tokens", 512),
        # the rest of llama.cpp's family, with llama.cpp's flag names
        ("--dry-multiplier", "dry_multiplier", 0.0),
        ("--dry-base", "dry_base", 1.75),
        ("--dry-allowed-length", "dry_allowed_length", 2),
        ("--dry-penalty-last-n", "dry_penalty_last_n", -1),
        ("--top-nsigma", "top_n_sigma", -1.0),
        ("--xtc-probability", "xtc_probability", 0.0),
        ("--xtc-threshold", "xtc_threshold", 0.1),
        ("--dynatemp-range", "dynatemp_range", 0.0),
        ("--dynatemp-exp", "dynatemp_exponent", 1.0),
        ("--mirostat", "mirostat", 0),
        ("--mirostat-ent", "mirostat_tau", 5.0),
        ("--mirostat-lr", "mirostat_eta", 0.1),
    ):
        modern = flag.startswith(("--dry", "--top-nsigma", "--xtc", "--dynatemp", "--mirostat"))
        c.add_argument(flag, type=_limited(name), default=default,
                       dest=name if modern else None, help=f"{_help(name)}; default {default}")
    c.add_argument(
        "--dry-sequence-breaker", action="append", metavar="TEXT", default=None,
        help='a DRY sequence breaker (repeatable; default "\\n" ":" "\"" "*"; "none" for none)',
    )
    c.add_argument(
        "--logit-bias", action="append", metavar="ID(+|-)BIAS", type=_logit_bias, default=[],
        help="add a bias to a token's logit, as llama.cpp: 15043+1, 15043-1.5, 15043-inf "
             "(bans it); repeatable",
    )
    c.add_argument("--thinking-budget", type=_limited("thinking_budget"), default=-1, metavar="N",
                   help="most tokens a reply may spend inside <think>…</think> before the "
                        "block is closed for it")
    c.add_argument("--no-think", action="store_true",
                   help="ask the model not to think (templates with enable_thinking, Qwen3)")
    c.add_argument("--grammar", metavar="FILE", help="a GBNF grammar file the reply must follow")
    c.add_argument("--json-schema", metavar="FILE",
                   help="a JSON schema file the reply must follow (converted to GBNF)")
    c.add_argument(
        "--chat-format", metavar="NAME", default=None,
        help="chat template: auto (default: the file's own, else llama.cpp's built-in format "
             "for the model), file, plain, or a llama.cpp built-in name (chatml, gemma, "
             "llama3, …; 'tokenscope chat --chat-format list' lists them)",
    )
    c.add_argument("-v", "--verbose", action="store_true",
                   help="print the seed, token counts and speed after each reply")
    c.add_argument("--trace", help="write one JSON object per generated token to this file")
    c.add_argument("--color", choices=["auto", "always", "never"], default="auto")
    c.add_argument("--save", action="store_true", help="save the conversation (see 'chats')")
    c.add_argument("--continue", dest="continue_id", type=int, metavar="ID",
                   help="continue a saved conversation (saves the new turns too)")
    c.set_defaults(func=cmd_chat)

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
