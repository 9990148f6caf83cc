"""``tokenscope servers …`` and ``tokenscope chat --server …``: remote OpenAI-compatible
servers from the terminal.

  tokenscope servers add NAME URL [--kind K] [--api-key | --api-key-stdin]
                                  [--top-logprobs N] [--template chatml|FILE]
  tokenscope servers list [--json]
  tokenscope servers rm NAME
  tokenscope servers models NAME|URL [--json]
  tokenscope chat --server NAME|URL [-m MODEL_ID] [PROMPT] [--trace FILE] …

``--trace`` writes the local JSON Lines schema; what a server cannot give is null
(``token``, ``p_sample`` unless greedy, ``kept_by``) and ``entropy`` is an estimate
(``entropy_estimate: true``); see ``RemoteStepTrace.to_json``.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import time
from typing import Any, TextIO

from desktop.core.errors import TokenscopeError


def _limited_int(name: str) -> Any:
    """An argparse type for setting ``name`` (core.limits): out of range is a usage error."""
    from desktop.core import limits

    def convert(text: str) -> float:
        try:
            return limits.parse(name, text)
        except limits.SettingsError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = name
    return convert


# --- servers add | list | rm | models -------------------------------------------------


def cmd_add(args: argparse.Namespace) -> int:
    from desktop.core import servers

    key = None
    if args.api_key_stdin:
        key = sys.stdin.readline().strip()
    elif args.api_key:
        key = getpass.getpass(f"API key for {args.name} (not shown): ").strip()
    server = servers.Server(args.name, args.url, args.kind, int(args.top_logprobs),
                            args.template or "")
    where = servers.add_server(server, key or None)
    print(f"Saved server {server.name}: {server.url} ({server.kind_label})")
    if where:
        print(f"API key stored in {where}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from desktop.core import servers

    saved = servers.load_servers()
    if args.json:
        rows = [{**s.to_dict(), "has_key": servers.api_key(s) is not None}
                for s in saved.values()]
        json.dump(rows, sys.stdout, indent=2)
        print()
        return 0
    if not saved:
        print("No servers. Add one with 'tokenscope servers add NAME URL'.")
    for s in saved.values():
        key = "key" if servers.api_key(s) else "no key"
        print(f"{s.name:<16} {s.url:<40} {s.kind_label} · top {s.top_logprobs} · {key}"
              + (f" · template {s.template}" if s.template else ""))
    return 0


def cmd_rm(args: argparse.Namespace) -> int:
    from desktop.core import servers

    servers.remove_server(args.name)
    print(f"Removed server {args.name} (and its API key)")
    return 0


def _client(name_or_url: str) -> Any:
    from desktop.core import servers
    from desktop.core.remote import RemoteClient

    server = servers.resolve(name_or_url)
    return RemoteClient(server, servers.api_key(server))


def cmd_models(args: argparse.Namespace) -> int:
    client = _client(args.server)
    names = client.models()
    if args.json:
        json.dump({"server": client.server.name, "url": client.server.url, "models": names},
                  sys.stdout, indent=2)
        print()
    else:
        for n in names:
            print(n)
    return 0


def add_servers_parser(sub: argparse._SubParsersAction) -> None:
    from desktop.core.servers import KINDS

    p = sub.add_parser("servers", help="remote OpenAI-compatible servers (vLLM, llama-server…)")
    ss = p.add_subparsers(dest="servers_command", metavar="ACTION", required=True)
    a = ss.add_parser("add", help="add or replace a server (its API key goes to the keyring)")
    a.add_argument("name")
    a.add_argument("url", help="base URL, e.g. http://gpu-box:8000/v1 (/v1 added if no path)")
    a.add_argument("--kind", choices=list(KINDS), default="openai",
                   help="what serves it (decides the sampler fields sent); default openai")
    key = a.add_mutually_exclusive_group()
    key.add_argument("--api-key", action="store_true", help="ask for the API key (hidden)")
    key.add_argument("--api-key-stdin", action="store_true",
                     help="read the API key from standard input")
    a.add_argument("--top-logprobs", type=_limited_int("top_logprobs"), default=20,
                   help="alternatives per token to request (OpenAI caps it at 20, vLLM at "
                        "its --max-logprobs); default 20")
    a.add_argument("--template", help="chat template for branching from a token on servers "
                   "that cannot continue a message: 'chatml' or a Jinja file")
    a.set_defaults(func=cmd_add)
    c = ss.add_parser("list", help="the saved servers")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_list)
    c = ss.add_parser("rm", help="forget a server and its API key")
    c.add_argument("name")
    c.set_defaults(func=cmd_rm)
    c = ss.add_parser("models", help="the models a server offers (/v1/models)")
    c.add_argument("server", help="a saved server's name or a URL")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_models)


def add_remote_chat_args(c: argparse.ArgumentParser) -> None:
    """``chat --server``: the flag ``tokenscope chat`` branches on."""
    c.add_argument("--server", metavar="NAME|URL",
                   help="chat with a model on this server (see 'servers'); -m is then the "
                        "server's model id (optional when it serves one); --ctx, --threads, "
                        "--gpu-layers, --typical-p and --repeat-last-n do not apply")


# --- chat --server ------------------------------------------------------------------------


def _turn(session: Any, text: str, printer: Any, trace_out: TextIO | None,
          verbose: bool) -> Any:
    from desktop.cli_common import stream_reply

    done = stream_reply(session, text, printer, trace_out, session.piece)
    if done is None:
        return None
    if verbose:
        usage = getattr(done, "usage_prompt_tokens", None)
        prompt = f"prompt {usage} tokens (server)" if usage is not None else (
            f"prompt ~{done.prompt.n_prompt} tokens (estimate)")
        n = len(done.traces)
        print(f"[{session.name} · seed {done.seed} · {prompt} · {n} token{'s' * (n != 1)} · "
              f"first token {done.first_token_seconds:.2f} s · "
              f"{done.gen_tokens_per_second:.1f} tok/s (client-side) · {done.reason}]",
              file=sys.stderr)
    lost = getattr(done, "lost_text_tokens", 0)
    if lost:
        from desktop.core.remote import lost_text_message

        print(f"tokenscope: warning: {lost_text_message(session.client.server.name, lost)}",
              file=sys.stderr)
    if done.reason == "cancelled":
        print("[stopped]", file=sys.stderr)
    elif done.reason == "interrupted":
        print(f"[interrupted: {getattr(done, 'error', '')}]", file=sys.stderr)
    return done


def cmd_remote_chat(args: argparse.Namespace, settings: Any, printer_class: Any) -> int:
    """``tokenscope chat --server …``, called by cli.cmd_chat with the sampler settings
    its flags give and its printer class."""
    from desktop.core.remote_session import RemoteChatSession

    client = _client(args.server)
    model = args.model
    if not model:
        names = client.models()
        if len(names) != 1:
            raise TokenscopeError(
                f"{client.server.name} offers {len(names)} models; choose one with -m: "
                f"{', '.join(names) or 'none'}.")
        model = names[0]
    else:
        client.check_model(model)
    store = conversation = None
    if args.save or args.continue_id is not None:
        from desktop.core.store import Store

        store = Store()
        if args.continue_id is not None:
            conversation = store.load(args.continue_id)
    max_tokens = -1 if args.max_tokens == -1 else int(args.max_tokens)
    session = RemoteChatSession(client, model, settings, system=args.system or None,
                                max_tokens=max_tokens, store=store)
    not_applied = session.not_applied()
    if not_applied:
        print(f"tokenscope: warning: {client.server.kind_label} does not read these sampler "
              f"settings; the reply is sampled without them: {', '.join(not_applied)}",
              file=sys.stderr)
    if conversation is not None:
        session.conversation = conversation
    elif store is not None:
        first = " ".join(args.prompt) if args.prompt else ""
        session.conversation.title = first[:60] or time.strftime("Chat %Y-%m-%d %H:%M")
    color = {"always": True, "never": False}.get(
        args.color, sys.stdout.isatty() and not os.environ.get("NO_COLOR"))
    printer = printer_class(sys.stdout, color)
    from desktop.cli_common import converse

    return converse(args, session, _turn, printer, f"Chat with {session.name}")
