"""Generation speed with the conversation store on vs. off (saving while streaming).

Same model, prompt, sampler settings and seed; runs alternate in one process. Prints
generation tokens/s for each and the ratio on/off (target >= 0.98).

    .venv/bin/python bench/store.py [MODEL.gguf] [--runs 5] [--tokens 128]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from desktop.core.engine import Engine, LoadOptions
from desktop.core.generation import DoneEvent
from desktop.core.sampling import SamplerSettings
from desktop.core.session import ChatSession
from desktop.core.store import Store

QUESTION = "Write a long, detailed story about a lighthouse keeper and a storm."


def one_run(engine: Engine, store: Store | None, tokens: int) -> tuple[float, int]:
    engine.llama.reset()
    session = ChatSession(engine, SamplerSettings(seed=7), max_tokens=tokens, store=store)
    done = next(e for e in session.send(QUESTION) if isinstance(e, DoneEvent))
    return done.gen_tokens_per_second, len(done.traces)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("model", nargs="?")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--tokens", type=int, default=128)
    args = ap.parse_args()
    if args.model:
        model = Path(args.model)
    else:
        from tests.models import smollm2_path

        model = smollm2_path()
    engine = Engine(model, LoadOptions(n_ctx=2048, n_threads=2))
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.db")
        one_run(engine, None, 8)  # warm-up
        one_run(engine, store, 8)
        off, on = [], []
        for _ in range(args.runs):
            off.append(one_run(engine, None, args.tokens))
            on.append(one_run(engine, store, args.tokens))
        store.close()  # checkpoints the write-ahead log into the file
        size = sum(p.stat().st_size for p in Path(tmp).glob("bench.db*"))
    m_off = statistics.median(r[0] for r in off)
    m_on = statistics.median(r[0] for r in on)
    print(f"model {model.name}, {args.tokens} tokens per reply, {args.runs} runs each, "
          "seed 7, llama.cpp default sampler settings")
    print(f"{'':20}{'store off':>10}{'store on':>10}{'ratio':>8}")
    print(f"{'generation tok/s':20}{m_off:>10.1f}{m_on:>10.1f}{m_on / m_off:>8.3f}")
    print(f"database after {args.runs + 1} saved replies: {size / 1024:.0f} KiB")
    engine.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
