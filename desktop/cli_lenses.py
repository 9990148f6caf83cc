"""``tokenscope step | score | compare | quantize``: the lenses, from the terminal.

  tokenscope step -m MODEL [PROMPT]          generate one token at a time, choosing each
  tokenscope score -m MODEL FILE|-           how surprising each token of a text is
  tokenscope compare -m A -m B FILE|-        two models (same vocabulary) on one text
  tokenscope quantize -m MODEL --type T -o OUT   a lower-bit copy of a local model
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

from desktop.cli_common import _help, _limited, _load_engine, resolve_model, template_notice
from desktop.cli_sampling import add_sampler_args, settings_from_args
from desktop.core.errors import TokenscopeError

#: ANSI 256 colours of the GLTR buckets (top-10 green, top-100 yellow, top-1000 red,
#: beyond purple), as GLTR colours them.
BUCKET_COLOURS = ("\x1b[48;5;151m\x1b[30m", "\x1b[48;5;229m\x1b[30m",
                  "\x1b[48;5;217m\x1b[30m", "\x1b[48;5;183m\x1b[30m")
RESET = "\x1b[0m"


def _colour_wanted(choice: str) -> bool:
    return {"always": True, "never": False}.get(
        choice, sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    )


def _read_text(source: str) -> str:
    """The text of FILE, or of standard input for ``-``; one trailing newline dropped."""
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TokenscopeError(f"cannot read {source}: {exc}") from exc
    return text[:-1] if text.endswith("\n") else text


def _engine(model: str, args: argparse.Namespace) -> Any:
    """The Engine of ``model`` (a .gguf file or a library name) with the model flags."""
    return _load_engine(argparse.Namespace(**{**vars(args), "model": model}))


def _save(kind: str, data: dict[str, Any], title: str, model: str) -> None:
    from desktop.core.results import save_result
    from desktop.core.store import Store

    rid = save_result(Store(), kind, data, title=title[:60], model=model)
    print(f"Saved as result {rid}", file=sys.stderr)


# --- step -------------------------------------------------------------------------------

STEP_HELP = ("Enter: let the sampler draw · 1-{n}: take that candidate · u: undo · "
             "q: quit · any other text: append it (=TEXT appends TEXT literally, e.g. =3)")


def _listed(stepper: Any, n: int) -> list[int]:
    """Which stored candidates to number: the ``n`` most likely; when the sampler keeps
    none of them (a grammar's allowed tokens may rank low), also the first ``n`` it keeps."""
    tr = stepper.preview()
    top = list(range(min(n, len(tr.cand_ids))))
    cut = tr.cand_cut
    if cut is None or any(cut[i] < 0 for i in top):
        return top
    return top + [i for i in range(len(top), len(tr.cand_ids)) if cut[i] < 0][:n]


def _show_candidates(stepper: Any, listed: list[int], out: Any) -> None:
    from desktop.core.sampling import STAGE_NAMES
    from desktop.core.trace import piece_text

    tr = stepper.preview()
    probs = tr.cand_probs()
    cut = tr.cand_cut
    for number, i in enumerate(listed, 1):
        tid = int(tr.cand_ids[i])
        mark = " ← the sampler's draw" if tid == tr.token else ""
        if cut is not None and cut[i] >= 0:
            mark += f" (cut by {STAGE_NAMES[int(cut[i])]})"
        elif i != number - 1:  # listed after the top ones: the sampler keeps it
            mark += f" (rank {i + 1}, kept by the sampler)"
        text = piece_text(stepper.engine.piece(tid))
        out.write(f"  {number:>2}  {text!r:<20} {probs[i] * 100:6.2f}%{mark}\n")
    out.write(f"      entropy {tr.entropy:.2f} bits\n")


def _describe(trace: Any, how: str) -> str:
    return (f"+ {trace.text!r}  p={trace.p_model:.4g}  rank {trace.rank}  "
            f"p_sample={trace.p_sample:.4g}  ({how})")


def cmd_step(args: argparse.Namespace) -> int:
    from desktop.core.chat import Message
    from desktop.core.conversation import Conversation
    from desktop.core.scoring import raw_context, reply_context
    from desktop.core.session import template_for
    from desktop.core.stepper import StepError, Stepper

    engine = _engine(args.model, args)
    out = sys.stdout
    prompt_text = " ".join(args.prompt) if args.prompt else ""
    try:
        conv = Conversation(title=prompt_text[:60] or "Step mode", system=args.system or "")
        if args.raw:
            prompt = raw_context(engine) + engine.tokenize(prompt_text, special=False)
        else:
            msgs = ([Message("system", args.system)] if args.system else [])
            msgs.append(Message("user", prompt_text))
            template = template_for(engine)
            notice = template_notice(template, explicit=False, verbose=False, hint="--raw")
            if notice:
                print(notice, file=sys.stderr)
            prompt = reply_context(engine, template, msgs)
        stepper = Stepper(engine, prompt, settings_from_args(args))
        print(f"Step mode with {engine.name} (seed {stepper.seed}). "
              + STEP_HELP.format(n=args.top), file=sys.stderr)
        while True:
            out.write(f"\n[{len(stepper.steps)}] {prompt_text if args.raw else ''}"
                      f"{stepper.text}\n")
            listed: list[int] = []
            if stepper.finished:
                out.write("(the reply has ended: u undoes, q quits)\n")
            else:
                listed = _listed(stepper, args.top)
                _show_candidates(stepper, listed, out)
            out.write("step> ")
            out.flush()
            line = sys.stdin.readline()
            if not line or line.strip().lower() in ("q", "quit", "exit"):
                break
            line = line.rstrip("\n")
            try:
                if line == "u":
                    stepper.undo()
                    out.write("(undone)\n")
                elif line == "":
                    out.write(_describe(stepper.sample(), "sampled") + "\n")
                elif line.strip().isdigit():
                    k = int(line)
                    if not 1 <= k <= len(listed):
                        out.write(f"tokenscope: only 1-{len(listed)} are listed; "
                                  f"={line.strip()} appends the text {line.strip()!r}\n")
                        continue
                    tid = int(stepper.preview().cand_ids[listed[k - 1]])
                    out.write(_describe(stepper.choose(tid), "chosen") + "\n")
                else:
                    typed = line[1:] if line.startswith("=") else line
                    for tr in stepper.force_text(typed):
                        out.write(_describe(tr, "typed") + "\n")
            except (StepError, TokenscopeError) as exc:
                out.write(f"tokenscope: {exc}\n")
        out.write(f"\nThe reply: {stepper.content}\n")
        if args.save and stepper.steps:
            from desktop.core.store import ReplyWriter, Store

            user = conv.add(None, "user", prompt_text)
            node = stepper.to_branch(conv, user.id)
            writer = ReplyWriter(Store(), conv, node, engine.piece, engine.is_special)
            writer.finish()
            print(f"Saved as conversation {conv.id}", file=sys.stderr)
    finally:
        engine.close()
    return 0


# --- score ------------------------------------------------------------------------------


def _coloured(pieces: list[tuple[str, int]], colour: bool) -> str:
    if not colour:
        return "".join(t for t, _ in pieces)
    return "".join(f"{BUCKET_COLOURS[b]}{t}{RESET}" for t, b in pieces)


def cmd_score(args: argparse.Namespace) -> int:
    from desktop.core.chat import Message
    from desktop.core.scoring import BUCKET_NAMES, score_text
    from desktop.core.session import template_for

    text = _read_text(args.file)
    engine = _engine(args.model, args)
    try:
        template = None if args.as_ == "raw" else template_for(engine)
        msgs: list[Message] = [Message("system", args.system)] if args.system else []
        if args.as_ == "reply":
            msgs.append(Message("user", args.prompt or ""))
        result = score_text(engine, text, "exact" if args.exact else "batched",
                            template=template, messages=msgs,
                            role={"raw": "raw", "reply": "assistant", "user": "user"}[args.as_],
                            n_top=args.top)
    finally:
        engine.close()
    data = result.to_json()
    if args.save:
        _save("score", data, text, result.model)
    if args.json:
        json.dump(data, sys.stdout, ensure_ascii=False, indent=1)
        print()
        return 0
    pieces = [(u["text"], 0) for u in result.unscored]
    pieces += [(t.text, t.bucket) for t in result.tokens]
    print(_coloured(pieces, _colour_wanted(args.color)))
    print()
    n = max(1, len(result.tokens))
    print(f"{result.model} · {len(result.tokens)} tokens scored ({result.mode} mode, "
          f"as {result.context}) · perplexity {result.perplexity:.2f} · "
          f"mean surprisal {result.mean_surprisal_bits:.2f} bits/token")
    for name, count in zip(BUCKET_NAMES, result.buckets()):
        print(f"  {name:<9} {count:>5}  {'█' * round(40 * count / n)}")
    return 0


# --- compare ----------------------------------------------------------------------------


def _kl_colour(kl: float) -> str:
    for limit, code in ((0.05, ""), (0.25, "\x1b[48;5;229m\x1b[30m"),
                        (1.0, "\x1b[48;5;216m\x1b[30m")):
        if kl < limit:
            return code
    return "\x1b[48;5;203m\x1b[30m"


def cmd_compare(args: argparse.Namespace) -> int:
    from desktop.core.compare import compare_text

    if len(args.model) != 2:
        print("tokenscope compare: give exactly two models: -m A -m B", file=sys.stderr)
        return 2
    text = _read_text(args.file)
    a = _engine(args.model[0], args)
    try:
        b = _engine(args.model[1], args)
        try:
            result = compare_text(a, b, text, "exact" if args.exact else "batched")
        finally:
            b.close()
    finally:
        a.close()
    data = result.to_json()
    if args.save:
        _save("compare", data, text, f"{result.model_a} vs {result.model_b}")
    if args.json:
        json.dump(data, sys.stdout, ensure_ascii=False, indent=1)
        print()
        return 0
    colour = _colour_wanted(args.color)
    out = "".join(u["text"] for u in result.unscored)
    for r in result.rows:
        c = _kl_colour(r.kl_bits) if colour else ""
        out += f"{c}{r.text}{RESET}" if c else r.text
    print(out)
    print()
    print(f"A = {result.model_a}, B = {result.model_b} · {len(result.rows)} tokens "
          f"({result.mode} mode)")
    print(f"  mean KL(A‖B) {result.mean_kl_bits:.4f} bits/token "
          f"(max {result.max_kl_bits:.3f})")
    print(f"  top-1 agreement {result.top1_agreement * 100:.1f}%")
    print(f"  perplexity A {result.perplexity('a'):.2f} · B {result.perplexity('b'):.2f}")
    worst = sorted(result.rows, key=lambda r: -r.kl_bits)[:5]
    for r in worst:
        if r.kl_bits > 0:
            print(f"  KL {r.kl_bits:.3f} at {r.text!r}: p {r.p_a:.3g} → {r.p_b:.3g}, "
                  f"A expects {r.top1_a_text!r}, B {r.top1_b_text!r}")
    return 0


# --- quantize ---------------------------------------------------------------------------


def cmd_quantize(args: argparse.Namespace) -> int:
    from desktop.core.quantize import quantize

    src = resolve_model(args.model)
    out = Path(args.output) if args.output else src.with_name(f"{src.stem}.{args.type}.gguf")
    tty = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if tty:
            bar = "█" * (30 * done // total)
            print(f"\r{args.type}: [{bar:<30}] {done}/{total} tensors", end="",
                  file=sys.stderr, flush=True)

    cancel = threading.Event()
    try:
        path = quantize(src, out, args.type, allow_requantize=not args.no_requantize,
                        threads=args.threads or 0, progress=progress, cancel=cancel)
    except KeyboardInterrupt:
        cancel.set()
        raise
    if tty:
        print(file=sys.stderr)
    size = path.stat().st_size
    print(f"Wrote {path} ({size / 1e6:.1f} MB, {args.type}, from {src.name}: "
          f"{src.stat().st_size / 1e6:.1f} MB)")
    return 0


# --- the parsers ------------------------------------------------------------------------


def _model_opts(p: argparse.ArgumentParser) -> None:
    from desktop.core.gpu import parse_gpu_layers

    p.add_argument("--ctx", type=_limited("n_ctx"), default=4096,
                   help=f"context window in tokens: {_help('n_ctx')}; default 4096")
    p.add_argument("--threads", type=_limited("n_threads"), default=None,
                   help="CPU threads (default: llama.cpp's choice)")
    p.add_argument("--gpu-layers", type=parse_gpu_layers, default="auto",
                   help="layers to offload to the GPU: auto, -1 (all), N")


def _score_opts(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="the text file to score, or - for standard input")
    p.add_argument("--exact", action="store_true",
                   help="decode the text token by token, as generation does (slower); the "
                        "default batched mode differs slightly on quantized weights")
    p.add_argument("--json", action="store_true", help="one JSON object (see the README)")
    p.add_argument("--color", choices=["auto", "always", "never"], default="auto")
    p.add_argument("--save", action="store_true", help="save the result to the store")


def add_lenses_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg,unused-ignore]
    from desktop.core.chat import DEFAULT_SYSTEM_PROMPT
    from desktop.core.quantize import TYPES

    s = sub.add_parser("step", help="generate one token at a time, choosing each one",
                       description="Step mode (单字接龙): see the next-token candidates, "
                                   "then sample, pick one, type text, or undo.")
    s.add_argument("-m", "--model", required=True, help="a .gguf file or a library name")
    _model_opts(s)
    s.add_argument("prompt", nargs="*", help="the user's message (or raw text with --raw)")
    s.add_argument("--raw", action="store_true",
                   help="continue the prompt as raw text, without the chat template")
    s.add_argument("--system", default=DEFAULT_SYSTEM_PROMPT, help="system prompt")
    s.add_argument("--top", type=int, default=9, choices=range(1, 21), metavar="N",
                   help="candidates shown per step (1-20, default 9)")
    add_sampler_args(s)
    s.add_argument("--save", action="store_true",
                   help="save the result as a conversation (see 'chats')")
    s.set_defaults(func=cmd_step)

    c = sub.add_parser("score", help="how surprising each token of a text is to a model",
                       description="Score a text: probability, rank, surprisal (bits) and "
                                   "GLTR bucket per token, and the perplexity.")
    c.add_argument("-m", "--model", required=True, help="a .gguf file or a library name")
    _model_opts(c)
    _score_opts(c)
    c.add_argument("--as", dest="as_", choices=["raw", "reply", "user"], default="raw",
                   help="raw text (default), the assistant's reply to --prompt, or the "
                        "user's message, inside the chat template")
    c.add_argument("--prompt", help="with --as reply: the user message it answers")
    c.add_argument("--system", default="", help="with --as reply/user: a system prompt")
    c.add_argument("--top", type=int, default=5, choices=range(1, 21), metavar="N",
                   help="candidates kept per token (1-20, default 5)")
    c.set_defaults(func=cmd_score)

    k = sub.add_parser("compare", help="two models with the same vocabulary on one text",
                       description="Per token: both probabilities, KL(A‖B) in bits, top-1 "
                                   "agreement and rank shift; totals and perplexities.")
    k.add_argument("-m", "--model", action="append", required=True,
                   help="a model (give two: -m A -m B; A is the reference)")
    _model_opts(k)
    _score_opts(k)
    k.set_defaults(func=cmd_compare)

    q = sub.add_parser("quantize", help="make a lower-bit copy of a local model",
                       description="Quantize a GGUF file with llama.cpp's quantizer "
                                   "(an already quantized file is requantized).")
    q.add_argument("-m", "--model", required=True, help="a .gguf file or a library name")
    q.add_argument("--type", required=True, choices=TYPES, help="the quantization type")
    q.add_argument("-o", "--output", help="the new file (default: beside the model)")
    q.add_argument("--threads", type=_limited("n_threads"), default=None)
    q.add_argument("--no-requantize", action="store_true",
                   help="refuse to quantize an already quantized file")
    q.set_defaults(func=cmd_quantize)

