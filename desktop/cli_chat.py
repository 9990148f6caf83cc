"""``tokenscope chat``: chat in the terminal, one-shot or interactive, with every sampler
flag (llama.cpp's names), ``--trace`` JSON Lines and coloured tokens."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any, TextIO

from desktop import APP_NAME
from desktop.cli_common import (
    _add_model_args,
    _help,
    _limited,
    _load_engine,
    converse,
    stream_reply,
    template_notice,
)
from desktop.cli_sampling import add_sampler_args, settings_from_args
from desktop.core.chat import DEFAULT_SYSTEM_PROMPT
from desktop.core.errors import UsageError


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


def _run_turn(
    session: Any, text: str, printer: _Printer, trace_out: TextIO | None, verbose: bool = False
) -> Any:
    done = stream_reply(session, text, printer, trace_out, session.engine.piece)
    if verbose and done is not None:
        n = len(done.traces)
        print(
            f"[seed {done.seed} · prompt {done.prompt.n_prompt} tokens "
            f"({done.prompt.n_reused} reused) · {n} token{'s' * (n != 1)} · "
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

        return cmd_remote_chat(args, settings_from_args(args), _Printer)
    if not args.model:
        raise UsageError("-m/--model is required (or --server NAME|URL): a .gguf file or a "
                         "name from 'tokenscope models list'.")

    settings = settings_from_args(args)  # a bad grammar or schema is refused before the model loads
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
    notice = template_notice(session.template, args.chat_format is not None, args.verbose)
    if notice:
        print(notice, file=sys.stderr)
    if conversation is not None:
        session.conversation = conversation
    elif store is not None:
        first = " ".join(args.prompt) if args.prompt else ""
        session.conversation.title = first[:60] or time.strftime("Chat %Y-%m-%d %H:%M")
    color = {"always": True, "never": False}.get(
        args.color, sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    )
    printer = _Printer(sys.stdout, color)
    try:
        return converse(args, session, _run_turn, printer, f"{APP_NAME} chat with {engine.name}")
    finally:
        engine.close()


def add_chat_parser(sub: argparse._SubParsersAction) -> None:
    """The ``chat`` subcommand."""
    from desktop.cli_servers import add_remote_chat_args

    c = sub.add_parser("chat", help="chat with a model in the terminal")
    _add_model_args(c)
    add_remote_chat_args(c)
    c.add_argument("prompt", nargs="*", help="one-shot prompt (interactive when omitted)")
    c.add_argument(
        "--system", default=DEFAULT_SYSTEM_PROMPT,
        help=f'system prompt (default: "{DEFAULT_SYSTEM_PROMPT}"; "" for none)',
    )
    add_sampler_args(c)
    c.add_argument("--max-tokens", type=_limited("max_tokens"), default=512,
                   help=f"{_help('max_tokens')}; default 512")
    c.add_argument("--thinking-budget", type=_limited("thinking_budget"), default=-1, metavar="N",
                   help="most tokens a reply may spend inside <think>…</think> before the "
                        "block is closed for it")
    c.add_argument("--no-think", action="store_true",
                   help="ask the model not to think (templates with enable_thinking, Qwen3)")
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
