"""``tokenscope lab …``: the lab's experiments from the terminal.

  tokenscope lab needle -m MODEL [--lengths 256,512] [--depths 0,50,100] [--lang zh]
  tokenscope lab numbers -m MODEL [--prompt TEXT] [--samples N] [--temperature T]
  tokenscope lab repetition -m MODEL [--sentence TEXT | --draw] [--max-k N] [penalties]
  tokenscope lab tokenizers [-m MODEL] [--sample zh | --text T | --file F] [--vocab-size N]

Each prints a table, or ``--json`` / ``--csv``; progress with an ETA goes to stderr;
Ctrl+C cancels cleanly (exit 130); ``--save`` keeps the result in the store.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from desktop.core.errors import TokenscopeError
from desktop.core.lab import common
from desktop.core.limits import SettingsError


def _lab_limited(name: str) -> Callable[[str], float]:
    """An argparse type for lab setting ``name`` (``common.LAB_LIMITS``)."""

    def convert(text: str) -> float:
        try:
            return common.parse(name, text)
        except SettingsError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = name
    return convert


def _lab_list(name: str) -> Callable[[str], list[float]]:
    """A comma-separated list of lab setting ``name``."""

    def convert(text: str) -> list[float]:
        parts = [p.strip() for p in text.split(",") if p.strip()]
        if not parts:
            raise argparse.ArgumentTypeError(f"give at least one {name}")
        try:
            return [common.parse(name, p) for p in parts]
        except SettingsError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = name + " list"
    return convert


def _grid_temperature(text: str) -> float:
    from desktop.core.lab.numbers import TEMPERATURES

    t = _lab_limited("lab_temperature")(text)
    if t != 1.0 and not any(abs(t - v) < 1e-6 for v in TEMPERATURES):
        raise argparse.ArgumentTypeError(
            "temperature must be 0.05 … 2.00 in steps of 0.05 (the stored grid)")
    return t


class _Reporter:
    """Progress on stderr (one updating line on a terminal, a line a second otherwise)."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last = 0.0

    def __call__(self, info: common.ProgressInfo) -> None:
        now = time.monotonic()
        final = info.done >= info.total
        if not final and now - self.last < (0.2 if self.tty else 1.0):
            return
        self.last = now
        line = (f"{info.what}: {info.done}/{info.total} · {common.format_eta(info.elapsed)}"
                f" elapsed · ETA {common.format_eta(info.eta)}")
        if self.tty:
            print("\r\x1b[K" + line, end="\n" if final else "", file=sys.stderr, flush=True)
        else:
            print(line, file=sys.stderr, flush=True)


def _run(args: argparse.Namespace, job: Callable[[common.ProgressFn, threading.Event], Any],
         kind: str) -> int:
    """Run ``job`` with progress and Ctrl+C as cancel; print and maybe save its result."""
    cancel = threading.Event()

    def on_sigint(signum: int, frame: Any) -> None:
        cancel.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)  # a second Ctrl+C: now

    old = signal.signal(signal.SIGINT, on_sigint)
    try:
        result = job(_Reporter(), cancel)
    except common.Cancelled:
        if sys.stderr.isatty():
            print(file=sys.stderr)
        print("tokenscope: lab: cancelled; nothing was saved.", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGINT, old)
    data = result.to_dict()
    if args.save:
        from desktop.core.results import save_result
        from desktop.core.store import Store

        rid = save_result(Store(), kind, data, title=_title(kind, result), model=result.model)
        print(f"Saved as result {rid}", file=sys.stderr)
    if args.json:
        print(json.dumps(_json_view(kind, data, args), ensure_ascii=False, indent=1))
    elif args.csv:
        rows = (result.rows(args.temperature, not args.lenient) if kind == "lab.numbers"
                else result.rows())
        sys.stdout.write(common.to_csv(rows))
    else:
        _print_table(kind, result, args)
    return 0


def _title(kind: str, result: Any) -> str:
    return {"lab.needle": "Needle in a haystack", "lab.numbers": "Random numbers",
            "lab.repetition": "Repetition", "lab.tokenizers": "Tokenizers"}[kind]


def _json_view(kind: str, data: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    if kind != "lab.numbers" or args.full:
        return data
    from desktop.core.lab.numbers import NumbersResult

    r = NumbersResult.from_dict(data)
    strict = not args.lenient
    out = {"kind": kind, "model": r.model, "prompt": r.prompt,
           **r.summary(args.temperature, strict)}
    out["distribution"] = {
        str(k): v for k, v in r.distribution(args.temperature, strict).items()}
    out["samples"] = r.samples
    out["sample_temperature"] = r.sample_temperature
    out["pruned_mass"] = r.pruned_mass
    out["seconds"] = r.seconds
    return out


def _print_table(kind: str, r: Any, args: argparse.Namespace) -> None:
    if kind == "lab.needle":
        print(f"P(answer) by depth (rows) × haystack length in tokens (columns); "
              f"* = greedy finds it.  {r.model}, {r.seconds:.1f} s")
        print("depth  " + "".join(f"{L:>9}" for L in r.lengths))
        for d in r.depths:
            cells = [r.cell(L, d) for L in r.lengths]
            print(f"{d:>4.0f}%  " + "".join(
                f"{c.p_answer:>8.3f}{'*' if c.greedy else ' '}" for c in cells))
    elif kind == "lab.numbers":
        s = r.summary(args.temperature, not args.lenient)
        what = ("a number, then anything but a digit" if args.lenient
                else "just a number, then the end of the turn")
        print(f"{r.model}: P(answer 1–100: {what}) = {s['mass']:.3f} at T = {args.temperature}")
        print(f"entropy {s['entropy_bits']:.2f} bits (uniform: {s['uniform_bits']:.2f})")
        for i, t in enumerate(s["top5"], 1):
            print(f"  {i}. {t['n']:>3}  {t['p']:.3f}")
        if r.samples:
            top = sorted(r.samples.items(), key=lambda kv: -kv[1])[:10]
            print(f"samples at T = {r.sample_temperature}: "
                  + ", ".join(f"{k}×{v}" for k, v in top))
    elif kind == "lab.repetition":
        print(f"{r.sentence!r} ({r.first_tokens} tokens; {r.repeat_tokens} when repeated)")
        pen = ", ".join(f"{k} {v}" for k, v in r.penalties.items()
                        if not k.startswith("dry_") or r.penalties.get("dry_multiplier"))
        print(f"{'k':>3}  {'P(repeat)':>10}  {'with penalties':>14}   ({pen})")
        for p in r.points:
            print(f"{p.k:>3}  {p.p_repeat:>10.4f}  {p.p_repeat_penalized:>14.4f}")
    else:
        for t in r.tokenizations:
            name = r.model if t.tokenizer == "model" else (
                f"SentencePiece {r.spm_type} {r.spm_vocab_size_actual}")
            print(f"{name}: {t.tokens} tokens, {t.chars_per_token:.2f} chars/token, "
                  f"{t.tokens_per_word:.2f} tokens/word")
            print("  " + " | ".join(t.pieces[:40]) + (" …" if len(t.pieces) > 40 else ""))
        print(f"\nSame meaning, English vs Chinese (SentencePiece trained on {r.corpus}, "
              f"{r.corpus_chars} chars; * = text in its training corpus):")
        print(f"{'tokenizer':<22}{'text':<10}{'lang':<5}{'chars':>7}{'tokens':>8}"
              f"{'chars/tok':>10}{'zh/en':>7}")
        for row in r.unfairness:
            star = "*" if row["in_corpus"] else ""
            print(f"{row['tokenizer']:<22}{row['pair'] + star:<10}{row['lang']:<5}"
                  f"{row['chars']:>7}{row['tokens']:>8}{row['chars_per_token']:>10.2f}"
                  f"{row['ratio_zh_en']:>7.2f}")


# --- the commands -----------------------------------------------------------------------


def cmd_needle(args: argparse.Namespace) -> int:
    from desktop.core.lab.needle import KIND, run_needle

    with args.load_engine(args) as engine:
        lengths = [int(x) for x in args.lengths] if args.lengths else None
        return _run(args, lambda rep, cancel: run_needle(
            engine, lengths, args.depths, args.lang, rep, cancel), KIND)


def cmd_numbers(args: argparse.Namespace) -> int:
    from desktop.core.lab.numbers import KIND, run_numbers

    with args.load_engine(args) as engine:
        return _run(args, lambda rep, cancel: run_numbers(
            engine, args.prompt, args.lang, int(args.samples), args.temperature, args.seed,
            rep, cancel), KIND)


def cmd_repetition(args: argparse.Namespace) -> int:
    from desktop.core.lab.repetition import (
        DEFAULT_PENALTIES,
        DEFAULT_SENTENCE,
        KIND,
        draw_sentence,
        run_repetition,
    )

    settings = DEFAULT_PENALTIES.with_(
        repeat_penalty=args.repeat_penalty, frequency_penalty=args.frequency_penalty,
        presence_penalty=args.presence_penalty, repeat_last_n=int(args.repeat_last_n),
        dry_multiplier=args.dry_multiplier, dry_base=args.dry_base,
        dry_allowed_length=int(args.dry_allowed_length),
        dry_penalty_last_n=int(args.dry_penalty_last_n))
    with args.load_engine(args) as engine:
        sentence = args.sentence or DEFAULT_SENTENCE
        if args.draw:
            sentence = draw_sentence(engine, seed=args.seed)
            print(f"The model wrote: {sentence}", file=sys.stderr)
        return _run(args, lambda rep, cancel: run_repetition(
            engine, sentence, int(args.max_k), settings, rep, cancel), KIND)


def cmd_tokenizers(args: argparse.Namespace) -> int:
    from desktop.core.lab.tokenizers import KIND, SAMPLES, run_tokenizers

    if args.text is not None:
        text = args.text
    elif args.file:
        try:
            text = Path(args.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise TokenscopeError(f"Cannot read {args.file}: {exc}. Give a UTF-8 text file.") \
                from exc
    else:
        text = common.lab_text(SAMPLES[args.sample])

    def job(rep: common.ProgressFn, cancel: threading.Event) -> Any:
        return run_tokenizers(engine, text, int(args.vocab_size), args.spm_type, args.corpus,
                              rep, cancel)

    if not args.model:
        engine = None
        return _run(args, job, KIND)
    with args.load_engine(args) as engine:
        return _run(args, job, KIND)


def _add_output_args(p: argparse.ArgumentParser) -> None:
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print the result as JSON")
    out.add_argument("--csv", action="store_true", help="print the result's rows as CSV")
    p.add_argument("--save", action="store_true", help="keep the result in the store")


def add_lab_parser(
    sub: Any, model_args: Callable[[argparse.ArgumentParser], None],
    load_engine: Callable[[argparse.Namespace], Any],
) -> None:
    """The ``lab`` command; ``model_args`` adds -m/--ctx/--threads/--gpu-layers and
    ``load_engine`` loads the model they name (cli.py's own, passed in: no import cycle)."""
    from desktop.cli_common import _help, _limited

    _add_model_args = model_args
    from desktop.core.lab.needle import NEEDLES
    from desktop.core.lab.numbers import PROMPTS
    from desktop.core.lab.repetition import DEFAULT_PENALTIES
    from desktop.core.lab.tokenizers import MODEL_TYPES, SAMPLES

    lab = sub.add_parser("lab", help="classic LLM experiments on a model",
                         description=__doc__.splitlines()[0])
    lsub = lab.add_subparsers(dest="experiment", metavar="EXPERIMENT", required=True)

    n = lsub.add_parser("needle", help="needle in a haystack: find a fact in long text")
    _add_model_args(n)
    n.add_argument("--lengths", type=_lab_list("length"),
                   help="haystack lengths in tokens, comma-separated "
                        "(default: 256,512,1024,2048, those that fit --ctx)")
    n.add_argument("--depths", type=_lab_list("depth"),
                   help="needle depths in percent, comma-separated (default 0,25,50,75,100)")
    n.add_argument("--lang", choices=sorted(NEEDLES), default="en")
    _add_output_args(n)
    n.set_defaults(func=cmd_needle, temperature=1.0, full=False, load_engine=load_engine)

    m = lsub.add_parser("numbers", help='exact distribution of "random" numbers 1–100')
    _add_model_args(m)
    m.add_argument("--prompt", help=f"the question (default: {PROMPTS['en']!r})")
    m.add_argument("--lang", choices=sorted(PROMPTS), default="en",
                   help="language of the default prompt")
    m.add_argument("--temperature", type=_grid_temperature, default=1.0,
                   help="re-weight the distribution (0.05 … 2.00, steps of 0.05); also the "
                        "samples' temperature; default 1")
    m.add_argument("--samples", type=_lab_limited("samples"), default=0,
                   help="also draw N real answers")
    m.add_argument("--seed", type=_limited("seed"), default=0)
    m.add_argument("--lenient", action="store_true",
                   help="count a number followed by any non-digit text (e.g. '1.' opening a "
                        "list), not only a number that ends the reply")
    m.add_argument("--full", action="store_true",
                   help="with --json: the whole tree (per node, per temperature)")
    _add_output_args(m)
    m.set_defaults(func=cmd_numbers, load_engine=load_engine)

    r = lsub.add_parser("repetition", help="P(sentence again) after k repetitions")
    _add_model_args(r)
    g = r.add_mutually_exclusive_group()
    g.add_argument("--sentence", help="the sentence to repeat")
    g.add_argument("--draw", action="store_true", help="let the model write the sentence")
    r.add_argument("--max-k", type=_lab_limited("max_k"), default=8,
                   help="repetitions already in the context: 0 … N (default 8)")
    for flag, name in (("--repeat-penalty", "repeat_penalty"),
                       ("--frequency-penalty", "frequency_penalty"),
                       ("--presence-penalty", "presence_penalty"),
                       ("--repeat-last-n", "repeat_last_n"),
                       ("--dry-multiplier", "dry_multiplier"), ("--dry-base", "dry_base"),
                       ("--dry-allowed-length", "dry_allowed_length"),
                       ("--dry-penalty-last-n", "dry_penalty_last_n")):
        default = getattr(DEFAULT_PENALTIES, name)
        r.add_argument(flag, type=_limited(name), default=default,
                       help=f"second curve: {_help(name)}; default {default}")
    r.add_argument("--seed", type=_limited("seed"), default=0, help="for --draw")
    _add_output_args(r)
    r.set_defaults(func=cmd_repetition, temperature=1.0, full=False, load_engine=load_engine)

    t = lsub.add_parser("tokenizers", help="the model's tokens vs a SentencePiece tokenizer")
    t.add_argument("-m", "--model", help="a .gguf file or library name (optional)")
    t.add_argument("--ctx", type=int, default=512, help=argparse.SUPPRESS)
    t.add_argument("--threads", type=_limited("n_threads"), default=None)
    t.add_argument("--gpu-layers", default=0, help=argparse.SUPPRESS)
    src = t.add_mutually_exclusive_group()
    src.add_argument("--text", help="the text to tokenize")
    src.add_argument("--file", help="a UTF-8 text file to tokenize")
    src.add_argument("--sample", choices=sorted(SAMPLES), default="en",
                     help="a bundled sample (default en)")
    t.add_argument("--vocab-size", type=_lab_limited("vocab_size"), default=4000,
                   help="SentencePiece vocabulary size (default 4000; a soft limit)")
    t.add_argument("--spm-type", choices=MODEL_TYPES, default="bpe")
    t.add_argument("--corpus", help="train on this folder's text files (default: bundled)")
    _add_output_args(t)
    t.set_defaults(func=cmd_tokenizers, temperature=1.0, full=False, load_engine=load_engine)
