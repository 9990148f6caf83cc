"""Download throughput: `hub.download` against a plain HTTP GET of the same file.

Starts the loopback Hub of tests/hub_server.py in a child process with one generated GGUF
file (~80 MB), then alternates runs of our download (HEAD + paths-info + HEAD + GET,
sha256 while writing, rename) and a bare `urllib` GET written to disk in 1 MiB blocks.
Prints MB/s for each and the ratio ours / plain (target: >= 0.9). Not a test.

Two settings: the bare loopback (no network limit: this measures the client's CPU cost per
byte, where huggingface_hub's httpx2 stack is the ceiling), and the server pacing its bytes
at --link-mbit (default 1000 Mbit/s, a fast home fibre link) as a real network would.

    .venv/bin/python bench/download.py [--size-mb 80] [--runs 5] [--link-mbit 1000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REPO = "bench/Bench-GGUF"
FILE = "Bench-F32.gguf"


def serve(size_mb: int) -> None:
    """Child process: print the server's URL, then obey "rate N" / "quit" lines on stdin."""
    from tests.hub_server import FakeHub, make_gguf

    with tempfile.TemporaryDirectory() as tmp:
        data = make_gguf(Path(tmp) / FILE, extra_bytes=size_mb * 1_000_000).read_bytes()
        with FakeHub() as hub:
            hub.add_repo(REPO, {FILE: data})
            print(hub.url, len(data), flush=True)
            for line in sys.stdin:
                if line.startswith("rate"):
                    rate = float(line.split()[1])
                    hub.rate = rate if rate > 0 else None
                    print("ok", flush=True)


def plain_get(url: str, target: Path) -> None:
    with urllib.request.urlopen(url) as response, target.open("wb") as f:
        while block := response.read(1024 * 1024):
            f.write(block)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=80)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--link-mbit", type=float, default=1000.0, help="0 to skip")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.size_mb)
        return

    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--size-mb", str(args.size_mb)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdin is not None
    url, size_text = child.stdout.readline().split()
    size = int(size_text)
    work = Path(tempfile.mkdtemp(prefix="tokenscope-bench-"))
    os.environ.update(
        HF_ENDPOINT=url,
        HF_HOME=str(work / "hf"),
        HF_HUB_DISABLE_XET="1",
        HF_HUB_DISABLE_IMPLICIT_TOKEN="1",
        TOKENSCOPE_MODELS_DIR=str(work / "models"),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    os.environ.pop("HF_TOKEN", None)
    from desktop.core import hub  # after HF_ENDPOINT is set, as huggingface_hub reads it once

    resolve = f"{url}/{REPO}/resolve/main/{FILE}"

    def measure(label: str, rate: float) -> None:
        child.stdin.write(f"rate {rate}\n")  # type: ignore[union-attr]
        child.stdin.flush()  # type: ignore[union-attr]
        child.stdout.readline()  # type: ignore[union-attr]
        ours: list[float] = []
        plain: list[float] = []
        print(f"{label}: {size / 1e6:.1f} MB file")
        for run in range(args.runs + 1):  # run 0 warms up both
            dest = work / "ours"
            start = time.perf_counter()
            hub.download(REPO, FILE, dest)
            t_ours = time.perf_counter() - start
            shutil.rmtree(dest)

            start = time.perf_counter()
            plain_get(resolve, work / "plain.gguf")
            t_plain = time.perf_counter() - start
            (work / "plain.gguf").unlink()
            if run:
                ours.append(size / t_ours / 1e6)
                plain.append(size / t_plain / 1e6)
                print(f"  run {run}: ours {ours[-1]:7.1f} MB/s   plain {plain[-1]:7.1f} MB/s")
        o, p = statistics.median(ours), statistics.median(plain)
        print(
            f"  median of {args.runs}: ours (hub.download, verified) {o:7.1f} MB/s, "
            f"plain urllib GET {p:7.1f} MB/s, ratio ours/plain {o / p:.2f} (target >= 0.9)"
        )

    try:
        measure("loopback, no link limit", 0)
        if args.link_mbit > 0:
            measure(f"server paced at {args.link_mbit} Mbit/s", args.link_mbit * 1e6 / 8)
    finally:
        child.stdin.close()
        child.wait(10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
