"""Tokenscope's traced generation against llama.cpp itself and plain llama-cpp-python.

Per model (default: SmolLM2-135M and Gemma 3 270M, the test models), in one run:

* generation tok/s and prompt-eval tok/s (pp512) of
  - native: llama.cpp's own ``llama-bench`` (pp512; tg128 at depth ``-d`` = the prompt's
    length, i.e. the same 128 tokens after the same prompt), built by ``bench/native.sh``
    from the llama.cpp vendored in the installed llama-cpp-python, with the same flags,
  - plain: ``llama_cpp.Llama`` as a user would write it (``create_completion``, streamed;
    ``Llama.eval`` for the prompt),
  - traced: Tokenscope's ``generate`` with full tracing, and ``Engine.eval_prompt``;
  the three interleaved, repeated ``--rounds`` times; best and median, and the ratios;
* open time and peak RSS of a headless one-token chat (each in a fresh process):
  Tokenscope (Engine + ChatSession) against plain llama-cpp-python (Llama +
  create_chat_completion), same n_ctx;
* RSS of a traced reply after 100 and after 2,000 tokens (growth per token).

Same threads, n_ctx and sampler settings (llama.cpp's defaults, fixed seed) everywhere.
Ratios, not timed assertions: the targets are printed next to them.

    .venv/bin/python bench/generation.py [MODEL.gguf ...] [--rounds 3] [--tokens 128]
        [--threads 2] [--ctx 4096] [--no-native] [--no-memory] [--no-growth] [--chat]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: A story to continue: both models keep writing for well over 128 tokens.
STORY = (
    "The lighthouse keeper had lived alone on the island for eleven years. Every evening "
    "he climbed the spiral stairs, trimmed the wick, and watched the ships pass. "
)
GEN_PROMPT = STORY + "One night, a small boat he had never seen before"
CHAT_TEXT = "Hi"
TARGET_GEN, TARGET_PP, TARGET_RSS_MB = 0.90, 0.95, 100


# --- measurements ------------------------------------------------------------------------


def native_run(
    bench_bin: str, model: Path, threads: int, tokens: int, depth: int
) -> dict[str, float]:
    """One llama-bench run, one repetition each (after its warm-up): pp512 on an empty
    cache, and tg<tokens> both after ``depth`` tokens already in the KV cache (``-d``: the
    same work as generating after the bench's prompt, which the ratios use) and from an
    empty cache (llama-bench's headline figure, ~1-4 % faster: less attention to do)."""
    out = subprocess.run(
        [bench_bin, "-m", str(model), "-t", str(threads), "-p", "512", "-n", str(tokens),
         "-d", f"0,{depth}", "-r", "1", "-o", "json"],
        capture_output=True, text=True, check=True,
    ).stdout
    res = {}
    for r in json.loads(out):
        if r["n_gen"]:
            res["gen_tps" if r["n_depth"] == depth else "gen_tps_d0"] = float(r["avg_ts"])
        elif r["n_depth"] == 0:
            res["prompt_tps"] = float(r["avg_ts"])
    return res


def pp_tokens(tokenize: Any, n: int = 512) -> list[int]:
    tokens: list[int] = []
    text = STORY
    while len(tokens) < n:
        tokens = tokenize(text)
        text += STORY
    return tokens[:n]


def plain_run(llm: Any, gen_prompt: list[int], pp: list[int], s: Any, n: int) -> dict[str, float]:
    llm.reset()
    t0 = time.perf_counter()
    llm.eval(pp)
    prompt_tps = len(pp) / (time.perf_counter() - t0)
    llm.reset()
    count = 0
    t_first = t_last = 0.0
    for chunk in llm.create_completion(
        gen_prompt, max_tokens=n, temperature=s.temperature, top_k=s.top_k, top_p=s.top_p,
        min_p=s.min_p, typical_p=s.typical_p, repeat_penalty=s.repeat_penalty,
        seed=s.seed, stream=True,
    ):
        if chunk["choices"][0]["finish_reason"] is not None and not chunk["choices"][0]["text"]:
            break  # the closing chunk carries no token
        count += 1
        t_last = time.perf_counter()
        if count == 1:
            t_first = t_last
    return {
        "tokens": count,
        "gen_tps": (count - 1) / (t_last - t_first) if count > 1 else 0.0,
        "prompt_tps": prompt_tps,
    }


def traced_run(
    engine: Any, gen_prompt: list[int], pp: list[int], s: Any, n: int
) -> dict[str, float]:
    from desktop.core.generation import DoneEvent, generate

    engine.truncate(0)
    prompt_tps = len(pp) / engine.eval_prompt(pp).seconds
    engine.truncate(0)
    done = None
    for ev in generate(engine, gen_prompt, s, max_tokens=n):
        if isinstance(ev, DoneEvent):
            done = ev
    assert done is not None
    return {
        "tokens": len(done.traces),
        "gen_tps": done.gen_tokens_per_second,
        "prompt_tps": prompt_tps,
    }


def child_chat(kind: str, model: str, n_ctx: int, threads: int) -> dict[str, Any]:
    """In a fresh process: open the model and chat one token; open time and peak RSS."""
    t0 = time.perf_counter()
    if kind == "plain":
        import llama_cpp

        llm = llama_cpp.Llama(model_path=model, n_ctx=n_ctx, n_threads=threads,
                              n_threads_batch=threads, verbose=False)
        opened = time.perf_counter() - t0
        llm.create_chat_completion([{"role": "user", "content": CHAT_TEXT}], max_tokens=1)
    else:
        from desktop.core.engine import Engine, LoadOptions
        from desktop.core.sampling import SamplerSettings
        from desktop.core.session import ChatSession

        engine = Engine(model, LoadOptions(n_ctx=n_ctx, n_threads=threads))
        opened = time.perf_counter() - t0
        for _ in ChatSession(engine, SamplerSettings(seed=1), max_tokens=1).send(CHAT_TEXT):
            pass
    return {"open_s": opened, "chat_s": time.perf_counter() - t0, "peak_mb": _status_mb("VmHWM")}


def _status_mb(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    import resource  # not Linux: ru_maxrss (bytes on macOS)

    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / (1 << 20) if sys.platform == "darwin" else r / 1024


def chat_in_child(kind: str, model: Path, n_ctx: int, threads: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(model), "--ctx", str(n_ctx),
         "--threads", str(threads)],
        capture_output=True, text=True, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def rss_growth(
    engine: Any, prompt: list[int], settings: Any, marks: tuple[int, ...]
) -> dict[int, float]:
    """RSS after ``marks`` traced tokens of one reply, keeping every trace as generate does
    (end-of-generation tokens are sampled and traced but do not stop the reply)."""
    import numpy as np

    from desktop.core.generation import Tracer

    engine.truncate(0)
    engine.eval_prompt(prompt)
    tracer = Tracer(engine, settings, np.random.default_rng(settings.seed))
    traces = []
    out = {}
    for i in range(max(marks)):
        trace = tracer.step(i)
        traces.append(trace)
        if i + 1 in marks:
            out[i + 1] = _status_mb("VmRSS")
        engine.eval_token(trace.token)
    return out


def chat_reuse(engine: Any) -> None:
    """A scripted 5-turn chat: prompt tokens evaluated vs reused from the KV cache."""
    from desktop.core.sampling import SamplerSettings
    from desktop.core.session import ChatSession

    engine.truncate(0)
    session = ChatSession(engine, SamplerSettings(seed=1), max_tokens=40)
    questions = [
        "What is a token?", "And what is a vocabulary?", "Why do models sample?",
        "What does temperature change?", "Summarise our chat in one sentence.",
    ]
    print("scripted chat: prompt tokens evaluated vs reused from the KV cache")
    print(f"{'turn':>4} {'prompt':>7} {'reused':>7} {'evaluated':>9} {'new':>5}")
    cached = 0
    for i, q in enumerate(questions, 1):
        for _ in session.send(q):
            pass
        st = session.conversation.nodes[session.conversation.leaf].stats
        new = st["n_prompt"] - cached
        print(f"{i:>4} {st['n_prompt']:>7} {st['n_reused']:>7} {st['n_evaluated']:>9} {new:>5}")
        cached = engine.n_past
    print("(new = prompt tokens beyond what the cache held after the previous turn; "
          "'evaluated' should equal it)")


# --- the report ----------------------------------------------------------------------------


def fmt(x: float | None, w: int = 9, d: int = 1) -> str:
    return f"{x:>{w}.{d}f}" if x is not None else f"{'-':>{w}}"


def bench_model(model: Path, args: argparse.Namespace, bench_bin: str | None) -> dict[str, Any]:
    import llama_cpp

    from desktop.core.engine import Engine, LoadOptions
    from desktop.core.sampling import SamplerSettings

    settings = SamplerSettings(seed=42)  # llama.cpp's default sampler settings
    engine = Engine(model, LoadOptions(n_ctx=args.ctx, n_threads=args.threads))
    llm = llama_cpp.Llama(model_path=str(model), n_ctx=args.ctx, n_threads=args.threads,
                          n_threads_batch=args.threads, verbose=False)
    gen_prompt = engine.tokenize(GEN_PROMPT, add_bos=engine.add_bos)
    pp = pp_tokens(lambda t: engine.tokenize(t, add_bos=engine.add_bos),
                   min(512, args.ctx - 1))
    print(f"\n## {model.name}: {engine.n_vocab:,}-token vocabulary, {args.threads} threads, "
          f"n_ctx {args.ctx}, {args.rounds} rounds, tg{args.tokens} after a "
          f"{len(gen_prompt)}-token prompt, pp{len(pp)}", flush=True)

    # warm-up, then the rounds, interleaved
    plain_run(llm, gen_prompt, pp[:64], settings, 8)
    traced_run(engine, gen_prompt, pp[:64], settings, 8)
    rows: dict[str, list[dict[str, float]]] = {"native": [], "plain": [], "traced": []}
    for _ in range(args.rounds):
        if bench_bin:
            rows["native"].append(
                native_run(bench_bin, model, args.threads, args.tokens, len(gen_prompt)))
        rows["plain"].append(plain_run(llm, gen_prompt, pp, settings, args.tokens))
        rows["traced"].append(traced_run(engine, gen_prompt, pp, settings, args.tokens))
    llm.close()

    def stat(kind: str, key: str, how: str) -> float | None:
        vals = [r[key] for r in rows[kind] if key in r]
        if not vals:
            return None
        return max(vals) if how == "best" else statistics.median(vals)

    result: dict[str, Any] = {"model": model.name}
    print(f"{'tok/s':26}{'native':>9}{'plain':>9}{'traced':>9}{'plain/nat':>11}"
          f"{'traced/nat':>11}{'traced/plain':>13}")
    for key, label, target in (("gen_tps", "generation", TARGET_GEN),
                               ("prompt_tps", "prompt eval (pp512)", TARGET_PP)):
        for how in ("best", "median"):
            n, p, t = (stat(k, key, how) for k in ("native", "plain", "traced"))
            result[f"{key}_{how}"] = {"native": n, "plain": p, "traced": t}
            ratios = (p / n if n and p else None, t / n if n and t else None,
                      t / p if p and t else None)
            print(f"{label + ' ' + how:26}{fmt(n)}{fmt(p)}{fmt(t)}{fmt(ratios[0], 11, 3)}"
                  f"{fmt(ratios[1], 11, 3)}{fmt(ratios[2], 13, 3)}")
        if key == "gen_tps":
            d0 = stat("native", "gen_tps_d0", "best"), stat("native", "gen_tps_d0", "median")
            print(f"(native tg{args.tokens} @ d{len(gen_prompt)}: after the same "
                  f"{len(gen_prompt)}-token prompt; from an empty cache it makes "
                  f"{fmt(d0[0], 0)} best, {fmt(d0[1], 0)} median)")
        print(f"{'':26}target traced/native >= {target:.2f}")
    counts = [r["tokens"] for r in rows["traced"]], [r["tokens"] for r in rows["plain"]]
    print(f"tokens per run: traced {counts[0]}, plain {counts[1]}")

    if not args.no_growth:
        marks = (100, 2000)
        growth = rss_growth(engine, gen_prompt, settings, marks)
        per_token_kb = (growth[2000] - growth[100]) * 1024 / 1900
        result["rss_growth"] = growth
        print(f"RSS of a traced reply: {growth[100]:.0f} MB at 100 tokens, {growth[2000]:.0f} MB "
              f"at 2,000 tokens: {per_token_kb:.2f} KB per token (the stored traces included)")
    if args.chat and engine.chat_template:
        chat_reuse(engine)
    engine.close()

    if not args.no_memory:
        runs: dict[str, list[dict[str, Any]]] = {"plain": [], "tokenscope": []}
        for _ in range(args.rounds):
            for kind in runs:
                runs[kind].append(chat_in_child(kind, model, args.ctx, args.threads))
        med = {k: {m: statistics.median(r[m] for r in v) for m in ("open_s", "peak_mb")}
               for k, v in runs.items()}
        best = {k: {m: min(r[m] for r in v) for m in ("open_s", "peak_mb")}
                for k, v in runs.items()}
        result["chat"] = {"median": med, "best": best}
        print(f"{'one-token chat, fresh process':30}{'plain':>9}{'ours':>9}{'ours-plain':>12}")
        for m, label, d in (("open_s", "open seconds", 2), ("peak_mb", "peak RSS MB", 0)):
            for how, vals in (("median", med), ("best", best)):
                p, o = vals["plain"][m], vals["tokenscope"][m]
                print(f"{label + ' ' + how:30}{fmt(p, 9, d)}{fmt(o, 9, d)}{fmt(o - p, 12, d)}")
        print(f"{'':30}target peak RSS ours-plain <= {TARGET_RSS_MB} MB")
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="*", help=".gguf files (default: SmolLM2-135M, Gemma 3 270M)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--ctx", type=int, default=4096)
    ap.add_argument("--no-native", action="store_true", help="skip llama-bench")
    ap.add_argument("--no-memory", action="store_true", help="skip open time and peak RSS")
    ap.add_argument("--no-growth", action="store_true", help="skip the 2,000-token RSS check")
    ap.add_argument("--chat", action="store_true",
                    help="also a scripted 5-turn chat: KV cache reuse per turn")
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument("--child", choices=("plain", "tokenscope"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child_chat(args.child, args.models[0], args.ctx, args.threads)))
        return 0

    if args.models:
        models = [Path(m) for m in args.models]
    else:
        from tests.models import gemma3_path, smollm2_path

        models = [smollm2_path(), gemma3_path()]
    bench_bin = None
    if not args.no_native:
        print("building or finding llama-bench (bench/native.sh) ...", flush=True)
        env = {**os.environ, "PYTHON": sys.executable}
        bench_bin = subprocess.run(
            ["bash", str(ROOT / "bench" / "native.sh")], stdout=subprocess.PIPE, text=True,
            check=True, env=env,
        ).stdout.strip().splitlines()[-1]
    import llama_cpp

    print(f"llama-cpp-python {llama_cpp.__version__}; native: {bench_bin or 'skipped'}")
    results = [bench_model(m, args, bench_bin) for m in models]
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
