"""The benchmarks still run: each one, briefly, on the tiny model (ratios are not checked
here -- they need a quiet machine -- only that every script runs to its report).

A benchmark nobody runs rots silently (``bench/ui_stall.py`` once looked for attributes
the window had moved to ``AppState`` and polled forever); these keep them honest.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_bench(script: str, *args: str, timeout: float = 240) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args], capture_output=True,
        text=True, timeout=timeout, env=env, cwd=ROOT,
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-4000:]
    return out.stdout


def test_generation_bench_reports_plain_and_traced(tiny_model: Path) -> None:
    out = run_bench("generation.py", str(tiny_model), "--no-native", "--rounds", "1",
                    "--tokens", "8", "--no-growth", "--ctx", "512")
    assert "generation best" in out and "prompt eval (pp512) best" in out
    assert "peak RSS MB median" in out


def test_samplers_bench_reports_every_chain(tiny_model: Path) -> None:
    out = run_bench("samplers.py", str(tiny_model), "--steps", "5", "--runs", "1",
                    "--tokens", "8")
    assert "default chain" in out and "DRY" in out


def test_store_bench_reports_on_and_off(tiny_model: Path) -> None:
    out = run_bench("store.py", str(tiny_model), "--runs", "1", "--tokens", "8")
    assert tiny_model.name in out


def test_download_bench_reports_both_clients() -> None:
    out = run_bench("download.py", "--size-mb", "2", "--runs", "1", "--link-mbit", "0")
    assert "MB/s" in out


def test_ui_stall_bench_measures_launch_and_streaming(tiny_model: Path) -> None:
    out = run_bench("ui_stall.py", str(tiny_model), "--tokens", "40",
                    "--baseline-seconds", "0.2", "--threads", "1")
    assert "streaming, heat mode" in out and "inspector, per token" in out
    assert "launch (fresh process): window open after" in out
