"""The per-token cost of the sampler chain: llama.cpp's default chain vs. the same with DRY
and XTC on (and the other stages of the family), on SmolLM2 and Gemma 3 270M.

Measures ``Tracer.step`` alone (the sampling and tracing after each decode, not the decode)
on the logits of a real prompt, and whole-generation tokens/s, runs alternating in one
process. Ratios, not assertions: the machine is noisy.

    .venv/bin/python bench/samplers.py [MODEL.gguf ...] [--steps 200] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from desktop.core.engine import Engine, LoadOptions
from desktop.core.generation import DoneEvent, Tracer, generate
from desktop.core.sampling import SamplerSettings
from tests.models import gemma3_path, smollm2_path

CONFIGS = {
    "default chain": SamplerSettings(seed=1),
    "+ DRY + XTC": SamplerSettings(seed=1, dry_multiplier=0.8, xtc_probability=0.5),
    "+ DRY + XTC + top-nσ + dynatemp": SamplerSettings(
        seed=1, dry_multiplier=0.8, xtc_probability=0.5, top_n_sigma=1.5, dynatemp_range=0.3),
}
PROMPT = "Once upon a time, in a village by the sea, there lived a lighthouse keeper who"


def step_ms(engine: Engine, s: SamplerSettings, steps: int) -> float:
    prompt = engine.tokenize(PROMPT, add_bos=engine.add_bos)
    engine.eval_prompt(prompt)
    tracer = Tracer(engine, s, np.random.default_rng(1), 1)
    times = []
    for i in range(steps):  # the same logits each time: only the chain and tracing count
        t0 = time.perf_counter()
        tracer.step(i)
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def gen_tps(engine: Engine, s: SamplerSettings, tokens: int) -> float:
    engine.truncate(0)
    prompt = engine.tokenize(PROMPT, add_bos=engine.add_bos)
    done = [e for e in generate(engine, prompt, s, max_tokens=tokens)][-1]
    assert isinstance(done, DoneEvent)
    return done.gen_tokens_per_second


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="*", help=".gguf files (default: SmolLM2-135M, Gemma 3 270M)")
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--tokens", type=int, default=96)
    args = ap.parse_args(argv)
    models = [(Path(m).name, Path(m)) for m in args.models] or [
        ("SmolLM2-135M", smollm2_path()), ("Gemma 3 270M", gemma3_path())]
    for name, path in models:
        with Engine(path, LoadOptions(n_ctx=1024, n_threads=2)) as engine:
            print(f"\n{name} (vocabulary {engine.n_vocab:,})")
            print(f"{'chain':36} {'sampling ms/token':>18} {'generation tok/s':>17}")
            results: dict[str, list[tuple[float, float]]] = {k: [] for k in CONFIGS}
            for _ in range(args.runs):  # alternate the configurations
                for label, s in CONFIGS.items():
                    results[label].append((step_ms(engine, s, args.steps),
                                           gen_tps(engine, s, args.tokens)))
            base = statistics.median(t for _, t in results["default chain"])
            for label, rows in results.items():
                ms = statistics.median(m for m, _ in rows)
                tps = statistics.median(t for _, t in rows)
                print(f"{label:36} {ms:18.2f} {tps:11.1f} ({tps / base:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
