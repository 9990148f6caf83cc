"""What the command-line front ends share: model arguments and loading, ranges checked by
argparse (``limits``), one-line errors."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from desktop.core.errors import TokenscopeError, UsageError
from desktop.core.gpu import parse_gpu_layers


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


def converse(
    args: argparse.Namespace, session: Any, turn: Callable[..., Any], printer: Any,
    greeting: str,
) -> int:
    """A chat in the terminal: one turn for ``args.prompt``, else a loop reading lines
    (Ctrl+D or /quit exits, /reset starts a new conversation, Ctrl+C stops a reply).
    ``turn(session, text, printer, trace_out, verbose)`` runs one turn; ``--trace`` is
    opened here. Says where the conversation was saved, if it was."""
    trace_out = open(args.trace, "w", encoding="utf-8") if args.trace else None  # noqa: SIM115
    try:
        if args.prompt:
            turn(session, " ".join(args.prompt), printer, trace_out, args.verbose)
            return 0
        print(f"{greeting}. Ctrl+C stops a reply, Ctrl+D or /quit exits, /reset starts over.",
              file=sys.stderr)
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
                    turn(session, line, printer, trace_out, args.verbose)
                except TokenscopeError as exc:
                    print(f"tokenscope: {exc}", file=sys.stderr)
    finally:
        if trace_out is not None:
            trace_out.close()
        conv_id = session.conversation.id
        if getattr(session, "store", None) is not None and conv_id is not None:
            print(f"Saved as conversation {conv_id} (tokenscope chats show {conv_id})",
                  file=sys.stderr)


def template_notice(template: Any, explicit: bool, verbose: bool,
                    hint: str = '--chat-format plain --system ""') -> str | None:
    """The stderr line about the chat template, or None: always when it could not be used
    (the fallback's reason); when the file has none (llama.cpp's built-in format or the
    plain one was chosen for it, with ``hint``, the flags a base model wants), or with
    ``verbose``."""
    if template.fallback_reason:
        return f"tokenscope: warning: {template.fallback_reason}"
    reason = template.reason
    if not reason:
        return None
    if not explicit and reason.startswith("no template"):
        return (f"tokenscope: chat template: {reason} (a base model, not tuned for chat, "
                f"answers better with {hint})")
    return f"tokenscope: chat template: {reason}" if verbose else None


def stream_reply(session: Any, text: str, printer: Any, trace_out: TextIO | None,
                 piece: Callable[[int], bytes]) -> Any:
    """Send ``text`` and print the reply as it streams (Ctrl+C stops it), writing a
    ``--trace`` row per token with the reply's seed; returns the DoneEvent (None if none
    came). Local and remote chats alike; each prints its own summary after."""
    import json
    import signal
    import threading

    from desktop.core.generation import DoneEvent, PromptEvent, TextEvent, TokenEvent

    cancel = threading.Event()
    main = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGINT)
    if main:
        signal.signal(signal.SIGINT, lambda *_: cancel.set())
    done = seed = None
    try:
        for ev in session.send(text, cancel):
            if isinstance(ev, PromptEvent):
                seed = ev.seed
            elif isinstance(ev, TokenEvent):
                printer.token(ev.text, ev.trace.p_model)
                if trace_out is not None:
                    row = ev.trace.to_json(session.settings, piece)
                    row["seed"] = seed
                    trace_out.write(json.dumps(row, ensure_ascii=False) + "\n")
            elif isinstance(ev, TextEvent):
                printer.token(ev.text, 1.0)
            elif isinstance(ev, DoneEvent):
                done = ev
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)
    printer.out.write("\n")
    return done
