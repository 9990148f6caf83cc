"""`tokenscope models ...`: search the Hub, download, and manage the local library.

`add_models_parser(subparsers)` adds the commands; each sets `func(args) -> exit code`.
User-facing errors print one line on stderr and return 1.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from .core import gguf_file, library
from .core.errors import TokenscopeError
from .core.gguf_file import GGUFInfo
from .core.library import format_size

if TYPE_CHECKING:  # the Hub client is imported by the commands that use it (startup time)
    from .core.hub import Progress, RemoteGGUF

Command = Callable[[argparse.Namespace], int]


def add_models_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add `models` and its subcommands to an argparse subparsers object."""
    models: argparse.ArgumentParser = subparsers.add_parser(
        "models", help="search the Hugging Face Hub, download and manage models"
    )
    sub = models.add_subparsers(dest="models_command", metavar="COMMAND")
    models.set_defaults(func=lambda _args: _usage(models))

    p = sub.add_parser("search", help="search GGUF models on the Hub")
    p.add_argument("query", nargs="+", help="words to look for in model names")
    p.add_argument("--sort", choices=["downloads", "likes", "recent"], default="downloads")
    p.add_argument("--limit", type=int, default=20)
    p.set_defaults(func=_guard(cmd_search))

    p = sub.add_parser("files", help="list the GGUF files of a Hub repository")
    p.add_argument("repo", metavar="REPO", help="owner/name")
    p.add_argument("--ctx", type=int, default=4096, help="context size for the RAM estimate")
    p.set_defaults(func=_guard(cmd_files))

    p = sub.add_parser("get", help="download a model file into the library")
    p.add_argument("repo", metavar="REPO", help="owner/name")
    p.add_argument("file", metavar="FILE", nargs="?", help="file name (see `models files`)")
    p.add_argument("--quant", help="pick the file by quantisation, e.g. Q4_K_M")
    p.set_defaults(func=_guard(cmd_get))

    p = sub.add_parser("list", help="list the models in the library")
    p.set_defaults(func=_guard(cmd_list))

    p = sub.add_parser("import", help="add a .gguf file to the library")
    p.add_argument("path", metavar="PATH")
    p.add_argument("--link", action="store_true", help="leave the file where it is")
    p.set_defaults(func=_guard(cmd_import))

    p = sub.add_parser("info", help="show a model's metadata")
    p.add_argument("name", metavar="NAME", help="library name, file name, or path")
    p.add_argument("--ctx", type=int, help="context size for the RAM estimate")
    p.set_defaults(func=_guard(cmd_info))

    p = sub.add_parser("rm", help="delete a model from the library")
    p.add_argument("name", metavar="NAME")
    p.set_defaults(func=_guard(cmd_rm))

    p = sub.add_parser("token", help="store your Hugging Face token in the OS keyring")
    p.add_argument("--remove", action="store_true", help="forget the stored token")
    p.set_defaults(func=_guard(cmd_token))
    return models


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _guard(command: Command) -> Command:
    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except TokenscopeError as exc:  # hub, library, GGUF and keyring errors
            print(f"tokenscope: {exc}", file=sys.stderr)
            return 1

    return run


def _params(n: int | None) -> str:
    if not n:
        return "?"
    if n >= 1e9:
        return f"{n / 1e9:.1f}B"
    return f"{n / 1e6:.0f}M" if n >= 1e6 else f"{n / 1e3:.0f}K"


def _table(rows: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


# --- commands -----------------------------------------------------------------------------


def cmd_search(args: argparse.Namespace) -> int:
    from .core import hub

    found = hub.search_models(" ".join(args.query), sort=args.sort, limit=args.limit)
    if not found:
        print("No GGUF models found.", file=sys.stderr)
        return 0
    rows = [["REPO", "DOWNLOADS", "LIKES", "PARAMS", "UPDATED"]]
    for m in found:
        updated = m.last_modified.date().isoformat() if m.last_modified else ""
        name = m.repo_id + (" (gated)" if m.gated else "")
        rows.append([name, str(m.downloads), str(m.likes), _params(m.parameter_count), updated])
    _table(rows)
    return 0


def cmd_files(args: argparse.Namespace) -> int:
    from .core import hub

    files = hub.list_gguf_files(args.repo)
    if not files:
        print(f"{args.repo} has no GGUF files.", file=sys.stderr)
        return 0
    ram = gguf_file.available_ram()
    rows = [["FILE", "QUANT", "SIZE", f"RAM AT {args.ctx} CTX"]]
    for f in files:
        need = gguf_file.estimate_memory(f.estimate(), args.ctx)
        verdict = gguf_file.fit_verdict(need, ram) if ram else "?"
        name = f.name + (f" ({len(f.parts)} parts)" if f.split_count > 1 else "")
        rows.append([name, f.quant or "?", format_size(f.size), f"~{format_size(need)} {verdict}"])
    _table(rows)
    return 0


def _pick(repo: str, files: list[RemoteGGUF], name: str | None, quant: str | None) -> RemoteGGUF:
    from .core.hub import HubError

    if name:
        chosen = [f for f in files if name in (f.name, *f.filenames)]
    elif quant:
        chosen = [f for f in files if (f.quant or "").upper() == quant.upper()]
    else:
        chosen = files if len(files) == 1 else []
    if len(chosen) == 1:
        return chosen[0]
    choices = ", ".join(f"{f.name} ({f.quant or '?'})" for f in (chosen or files))
    if not files:
        raise HubError(f"{repo} has no GGUF files.")
    if not chosen and (name or quant):
        raise HubError(f"{repo} has no file {name or quant!r}; choose one of: {choices}.")
    raise HubError(f"{repo} has several GGUF files: name one, or use --quant. Files: {choices}.")


class ProgressBar:
    """A one-line progress bar on stderr (plain lines when stderr is not a terminal)."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stderr
        self.tty = self.out.isatty()
        self.last_line = 0.0
        self.shown = False

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        if not self.tty and now - self.last_line < 5 and p.done < p.total:
            return
        self.last_line = now
        width = 30
        filled = int(width * p.fraction)
        eta = time.strftime("%H:%M:%S", time.gmtime(p.eta)) if p.eta is not None else "--:--:--"
        files = f" [{p.file_index}/{p.file_count}]" if p.file_count > 1 else ""
        line = (
            f"[{'#' * filled}{'.' * (width - filled)}] {p.fraction:4.0%} "
            f"{format_size(p.done)} / {format_size(p.total)}  {format_size(p.speed)}/s  "
            f"ETA {eta}{files}"
        )
        if self.tty:
            self.out.write("\r" + line.ljust(78))
        else:
            self.out.write(line + "\n")
        self.out.flush()
        self.shown = True

    def finish(self) -> None:
        if self.tty and self.shown:
            self.out.write("\n")
            self.out.flush()


def cmd_get(args: argparse.Namespace) -> int:
    from .core import hub

    files = hub.list_gguf_files(args.repo)
    chosen = _pick(args.repo, files, args.file, args.quant)
    bar = ProgressBar()
    size = format_size(chosen.size)
    print(f"Downloading {chosen.name} ({size}) from {args.repo}", file=sys.stderr)
    try:
        paths = hub.download(args.repo, chosen.filenames, progress_callback=bar)
    except KeyboardInterrupt:
        print("Paused: run the same command again to resume.", file=sys.stderr)
        return 130
    finally:
        bar.finish()
    print(paths[0])
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    entries = library.list_models()
    if not entries:
        print("The library is empty: use `models get` or `models import`.", file=sys.stderr)
        return 0
    rows = [["NAME", "QUANT", "PARAMS", "SIZE", "SOURCE"]]
    for e in entries:
        info = e.info
        source = e.source if e.error is None else f"{e.source}, BROKEN: see `models info`"
        quant = (info.file_type if info else None) or "?"
        rows.append(
            [
                e.name,
                quant,
                _params(info.parameter_count if info else None),
                format_size(e.size),
                source,
            ]
        )
    _table(rows)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    entry = library.import_file(args.path, copy=not args.link)
    print(f"Imported {entry.name} ({format_size(entry.size)}): {entry.path}")
    return 0


def _describe(info: GGUFInfo, ctx: int | None) -> list[tuple[str, str]]:
    n_ctx = ctx or min(info.context_length or 4096, 8192)
    need = gguf_file.estimate_memory(info, n_ctx)
    ram = gguf_file.available_ram()
    verdict = gguf_file.fit_verdict(need, ram) if ram else "?"
    return [
        ("name", info.name or "?"),
        ("architecture", info.architecture or "?"),
        ("parameters", _params(info.parameter_count)),
        ("quantisation", info.file_type or "?"),
        ("context length", str(info.context_length or "?")),
        (
            "layers / width / heads / kv heads",
            f"{info.n_layer} / {info.n_embd} / {info.n_head} / {info.n_head_kv}",
        ),
        ("vocabulary", f"{info.vocab_size} ({info.tokenizer_model})"),
        ("chat template", "yes" if info.chat_template else "no"),
        (
            "file size",
            format_size(info.file_size)
            + (f" in {info.split_count} parts" if info.split_count > 1 else ""),
        ),
        (
            f"memory at {n_ctx} ctx",
            f"~{format_size(need)} ({verdict}, {format_size(ram)} available)",
        ),
    ]


def cmd_info(args: argparse.Namespace) -> int:
    path = library.resolve(args.name)
    info = gguf_file.read_info(path)
    print(path)
    for key, value in _describe(info, args.ctx):
        print(f"  {key + ':':<36}{value}")
    return 0


def cmd_rm(args: argparse.Namespace) -> int:
    entry = library.find(args.name)
    removed = library.delete(entry.name)
    what = f"deleted {len(removed)} file(s)" if removed else "removed the link"
    print(f"{entry.name}: {what}.")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    """Ask for the token without echoing it (or read it from a pipe) and keep it in the
    OS keyring; never print or log it."""
    import getpass

    from .core import secrets

    if args.remove:
        secrets.delete_token()
        print("The stored Hugging Face token was removed.")
        return 0
    prompt = "Hugging Face token (from huggingface.co/settings/tokens): "
    token = getpass.getpass(prompt) if sys.stdin.isatty() else sys.stdin.readline()
    token = token.strip()
    if not token:
        print("tokenscope: no token given; nothing stored.", file=sys.stderr)
        return 1
    where = secrets.set_token(token)  # raises rather than pretend (no keyring, null backend)
    print(f"Token stored in {where}.")
    status = secrets.keyring_status()
    if status.problem:
        remove = "'tokenscope models token --remove' deletes it"
        print(f"tokenscope: warning: {status.problem} ({remove}.)", file=sys.stderr)
    return 0
