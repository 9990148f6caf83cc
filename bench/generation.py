"""Generation speed with full tracing vs. plain llama-cpp-python, on the same model.

Same model, prompt, threads and sampler settings; the two alternate in one process so
that machine noise hits both alike. Prints generation and prompt-eval tokens/s of each,
and the ratio ours/plain (target >= 0.97 with full tracing on). Then a scripted 5-turn
chat shows how many prompt tokens each turn evaluated vs. reused from the KV cache.

    .venv/bin/python bench/generation.py [MODEL.gguf] [--runs 5] [--tokens 128]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from desktop.core.engine import Engine, LoadOptions
from desktop.core.generation import DoneEvent, PromptEvent, TokenEvent, generate
from desktop.core.sampling import SamplerSettings
from desktop.core.session import ChatSession

STORY = (
    "The lighthouse keeper had lived alone on the island for eleven years. Every evening "
    "he climbed the spiral stairs, trimmed the wick, and watched the ships pass. "
)
PROMPT = (
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
    + STORY * 12
    + "\nContinue this story in detail, at length.<|im_end|>\n<|im_start|>assistant\n"
)


def plain_run(engine: Engine, prompt: list[int], s: SamplerSettings, n: int) -> dict[str, float]:
    llm = engine.llama
    llm.reset()
    t0 = time.perf_counter()
    t_first = t_last = t0
    count = 0
    for _chunk in llm.create_completion(
        prompt, max_tokens=n, temperature=s.temperature, top_k=s.top_k, top_p=s.top_p,
        min_p=s.min_p, typical_p=s.typical_p, repeat_penalty=s.repeat_penalty,
        seed=s.seed, stream=True,
    ):
        count += 1
        t_last = time.perf_counter()
        if count == 1:
            t_first = t_last
    return {
        "tokens": count,
        "gen_tps": (count - 1) / (t_last - t_first) if count > 1 else 0.0,
        "prompt_tps": len(prompt) / (t_first - t0),
    }


def traced_run(engine: Engine, prompt: list[int], s: SamplerSettings, n: int) -> dict[str, float]:
    engine.llama.reset()
    t0 = time.perf_counter()
    prompt_seconds = 0.0
    count = 0
    done: DoneEvent | None = None
    for ev in generate(engine, prompt, s, max_tokens=n):
        if isinstance(ev, PromptEvent):
            prompt_seconds = ev.stats.seconds
        elif isinstance(ev, TokenEvent):
            count += 1
        elif isinstance(ev, DoneEvent):
            done = ev
    assert done is not None
    del t0
    return {
        "tokens": count,
        "gen_tps": done.gen_tokens_per_second,
        "prompt_tps": len(prompt) / prompt_seconds,
    }


def chat_reuse(engine: Engine) -> None:
    session = ChatSession(engine, SamplerSettings(seed=1), max_tokens=40)
    questions = [
        "What is a token?", "And what is a vocabulary?", "Why do models sample?",
        "What does temperature change?", "Summarise our chat in one sentence.",
    ]
    print("\nScripted chat: prompt tokens evaluated vs reused from the KV cache")
    print(f"{'turn':>4} {'prompt':>7} {'reused':>7} {'evaluated':>9} {'new':>5}")
    cached = 0
    for i, q in enumerate(questions, 1):
        for _ in session.send(q):
            pass
        reply = session.conversation.nodes[session.conversation.leaf]
        st = reply.stats
        new = st["n_prompt"] - cached
        print(f"{i:>4} {st['n_prompt']:>7} {st['n_reused']:>7} {st['n_evaluated']:>9} {new:>5}")
        cached = engine.n_past
    print("(new = prompt tokens beyond what the cache held after the previous turn; "
          "'evaluated' should equal it)")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("model", nargs="?")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    if args.model:
        model = Path(args.model)
    else:
        from tests.models import smollm2_path

        model = smollm2_path()
    engine = Engine(model, LoadOptions(n_ctx=2048, n_threads=args.threads))
    settings = SamplerSettings(seed=42)  # llama.cpp's default sampler settings
    prompt = engine.tokenize(PROMPT)
    print(f"model {model.name}, {len(prompt)} prompt tokens, up to {args.tokens} new tokens, "
          f"{args.threads} threads, settings = llama.cpp defaults, seed 42")
    plain_run(engine, prompt, settings, 8)  # warm-up
    traced_run(engine, prompt, settings, 8)
    plain, ours = [], []
    for _ in range(args.runs):
        plain.append(plain_run(engine, prompt, settings, args.tokens))
        ours.append(traced_run(engine, prompt, settings, args.tokens))
    med = lambda rows, k: statistics.median(r[k] for r in rows)  # noqa: E731
    print(f"\n{'':22}{'plain':>10}{'traced':>10}{'ratio':>8}")
    for key, label in (("gen_tps", "generation tok/s"), ("prompt_tps", "prompt-eval tok/s")):
        p, o = med(plain, key), med(ours, key)
        print(f"{label:22}{p:>10.1f}{o:>10.1f}{o / p:>8.3f}")
    print(f"{'tokens per run':22}{med(plain, 'tokens'):>10.0f}{med(ours, 'tokens'):>10.0f}")
    chat_reuse(engine)
    engine.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
