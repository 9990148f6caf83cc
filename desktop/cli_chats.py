"""``tokenscope chats …``: the saved conversations, from the terminal."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from desktop.core.export import (
    PieceOf,
    SpecialOf,
    dumps,
    from_json,
    pieces_from_json,
    to_markdown,
)
from desktop.core.results import results_of
from desktop.core.store import Store


def _store_vocab(store: Store) -> tuple[PieceOf, SpecialOf]:
    """Token text and special flag from the token texts the store keeps per model."""
    cache: dict[str, dict[int, tuple[bytes, bool]]] = {}

    def entry(model: str, token: int) -> tuple[bytes, bool]:
        if model not in cache:
            cache[model] = store.pieces(model)
        return cache[model].get(token, (b"", False))

    return (lambda m, t: entry(m, t)[0]), (lambda m, t: entry(m, t)[1])


def cmd_list(args: argparse.Namespace) -> int:
    store = Store()
    rows = store.list(args.search)
    if not rows:
        print("No saved conversations." if not args.search else "No conversation matches.")
        return 0
    for r in rows:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(r.updated))
        title = r.title or "(untitled)"
        print(f"{r.id:>5}  {when}  {r.n_messages:>3} msgs  {title}")
        if r.snippet:
            print(f"{'':>7}…{r.snippet}…")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    print(to_markdown(Store().load(args.id)), end="")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    store = Store()
    conv = store.load(args.id)
    text = to_markdown(conv) if args.format == "md" else dumps(
        conv, *_store_vocab(store), results=results_of(store, args.id))
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"Exported conversation {args.id} to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    try:
        data = json.loads(Path(args.file).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"tokenscope: cannot read {args.file}: {exc}", file=sys.stderr)
        return 1
    conv = from_json(data)
    store = Store()
    for model, table in pieces_from_json(data).items():
        store.save_pieces(model, table)
    new_id = store.save(conv)
    print(f"Imported as conversation {new_id}")
    return 0


def cmd_rm(args: argparse.Namespace) -> int:
    store = Store()
    store.load(args.id)  # a clear error if it does not exist
    store.delete(args.id)
    print(f"Deleted conversation {args.id}")
    return 0


def add_chats_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("chats", help="saved conversations: list, show, export, import")
    cs = p.add_subparsers(dest="chats_command", metavar="ACTION", required=True)
    c = cs.add_parser("list", help="conversations by last activity")
    c.add_argument("--search", "-s", help="only those containing this text")
    c.set_defaults(func=cmd_list)
    c = cs.add_parser("show", help="print a conversation (the selected branch)")
    c.add_argument("id", type=int)
    c.set_defaults(func=cmd_show)
    c = cs.add_parser("export", help="export to Markdown or JSON (with every token's trace)")
    c.add_argument("id", type=int)
    c.add_argument("--format", choices=["md", "json"], default="md")
    c.add_argument("--output", "-o", help="file to write (default: standard output)")
    c.set_defaults(func=cmd_export)
    c = cs.add_parser("import", help="import a JSON export")
    c.add_argument("file")
    c.set_defaults(func=cmd_import)
    c = cs.add_parser("rm", help="delete a conversation")
    c.add_argument("id", type=int)
    c.set_defaults(func=cmd_rm)
