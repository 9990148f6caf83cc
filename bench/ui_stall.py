"""Does the window stay responsive while a reply streams?

Starts the main window offscreen with a real model, runs a QTimer heartbeat every 5 ms and
measures the gaps between beats: with nothing happening (the baseline), then while a
200-token reply streams (temperature 0.8, fixed seed), in normal and in heat mode, while
the token inspector shows tokens one after another, and while a reply streams with the
inspector showing a token. A gap much longer than 5 ms is the event loop stalled (the
window would not repaint or react). Also compares the reply's speed in the window with
the same generation run headless.

First, in a fresh process started as the app starts (``MainWindow(model_path=...)``, the
model loaded by the window's own worker): the time from launch to the window's event loop
running with the window shown, and the longest stall while the model loads.

  .venv/bin/python bench/ui_stall.py [MODEL.gguf] [--tokens 200] [--threads N] [--no-launch]

Targets: the longest stall at most 50 ms while streaming (heat mode included), while the
inspector shows a token and while the model loads; the window open within 1.0 s of launch.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PROMPT = "Write a long story about a robot who learns to paint. Describe every painting."
TARGET_MS = 50.0
TARGET_OPEN_S = 1.0


def default_model() -> Path:
    cached = Path.home() / ".cache" / "tokenscope-tests" / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if cached.exists():
        return cached
    from tests.models import smollm2_path

    return smollm2_path()


class Heartbeat:
    """A precise QTimer; records when each beat actually ran."""

    def __init__(self, interval_ms: int = 5) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.interval_ms = interval_ms
        self.beats: list[float] = []
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._beat)

    def _beat(self) -> None:
        self.beats.append(time.perf_counter())

    def start(self) -> None:
        self.beats.clear()
        self.timer.start()

    def stop(self) -> list[float]:
        """Gaps between beats, in ms."""
        self.timer.stop()
        return [(b - a) * 1000 for a, b in zip(self.beats, self.beats[1:], strict=False)]


def longest(values: list[float]) -> float:
    """The longest gap (0 when the run was over before a second beat: nothing stalled)."""
    return max(values, default=0.0)


def p99(values: list[float]) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def run_until(app: object, done: object, timeout: float) -> None:
    """Run the real event loop (app.exec) until ``done()``, checking every 10 ms."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    check = QTimer()
    check.setInterval(10)
    deadline = time.monotonic() + timeout
    failed: list[BaseException] = []

    def poll() -> None:
        try:
            finished = done() or time.monotonic() > deadline  # type: ignore[operator]
        except BaseException as exc:  # Qt would print it and poll again, forever
            failed.append(exc)
            finished = True
        if finished:
            loop.quit()

    check.timeout.connect(poll)
    check.start()
    loop.exec()
    check.stop()
    if failed:
        raise failed[0]


def launch_child(model: str, threads: int | None) -> dict[str, float]:
    """Run in a fresh process: open the window as the app does, the model loading in the
    window's worker; times are from the process's start (``--t0``, the parent's clock)."""
    import tempfile

    from PySide6.QtCore import QSettings, QTimer

    from desktop.ui.app import create_app
    from desktop.ui.main_window import MainWindow
    from desktop.ui.settings_store import SettingsStore

    app = create_app(["ui_stall"])
    tmp = tempfile.mkdtemp(prefix="tokenscope-bench-")
    store = SettingsStore(QSettings(str(Path(tmp) / "s.ini"), QSettings.Format.IniFormat))
    if threads:
        from dataclasses import replace

        store.set_load_options(replace(store.load_options(), n_threads=threads))
    window = MainWindow(store, model_path=model, restore_layout=False,
                        history=Path(tmp) / "history.sqlite3")
    window.resize(1400, 900)
    window.show()
    opened: list[float] = []
    QTimer.singleShot(0, lambda: opened.append(time.time()))
    beat = Heartbeat()
    beat.start()
    run_until(app, lambda: window.state.engine is not None and not window.state.loading, 300)
    loaded = time.time()
    beats = list(beat.beats)
    gaps = beat.stop()
    ok = window.state.engine is not None
    window.close()
    worst = max(range(len(gaps)), key=gaps.__getitem__) if gaps else 0
    # when the longest stall began, on the wall clock (beats are perf_counter times)
    worst_at = loaded - (time.perf_counter() - beats[worst]) if gaps else float("nan")
    return {"open": opened[0] if opened else float("nan"), "loaded": loaded,
            "longest_ms": longest(gaps), "p99_ms": p99(gaps) if gaps else 0.0,
            "longest_at": worst_at, "beats": len(gaps), "ok": float(ok)}


def launch(model: Path, threads: int | None) -> dict[str, float]:
    import json
    import subprocess

    cmd = [sys.executable, __file__, str(model), "--launch-child"]
    if threads:
        cmd += ["--threads", str(threads)]
    t0 = time.time()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["open_s"] = res["open"] - t0
    res["loaded_s"] = res["loaded"] - t0
    res["longest_at_s"] = res["longest_at"] - t0
    return res


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", nargs="?", help="a .gguf file (default: SmolLM2-135M Q4_1)")
    parser.add_argument("--tokens", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--threads", type=int, default=None, help="llama.cpp threads")
    parser.add_argument("--baseline-seconds", type=float, default=2.0)
    parser.add_argument("--no-launch", action="store_true", help="skip the launch measurement")
    parser.add_argument("--launch-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.launch_child:
        import json

        print(json.dumps(launch_child(args.model, args.threads)))
        return 0

    from PySide6.QtCore import QSettings

    import desktop.ui.compat  # noqa: F401
    from desktop.core.engine import Engine, LoadOptions
    from desktop.core.sampling import SamplerSettings
    from desktop.core.session import ChatSession
    from desktop.ui.app import create_app
    from desktop.ui.main_window import MainWindow
    from desktop.ui.settings_store import SettingsStore

    model = Path(args.model) if args.model else default_model()
    launched = None if args.no_launch else launch(model, args.threads)
    settings = SamplerSettings(temperature=0.8, seed=args.seed)
    engine = Engine(model, LoadOptions(n_ctx=2048, n_threads=args.threads))

    # the same reply, headless, for the speed comparison
    session = ChatSession(engine, settings=settings, max_tokens=args.tokens)
    for _ in session.send(PROMPT):
        pass
    headless = session.conversation.path()[-1]
    headless_tps = float(headless.stats.get("gen_tps") or 0.0)

    app = create_app(["ui_stall"])
    tmp = tempfile.mkdtemp(prefix="tokenscope-bench-")
    store = SettingsStore(QSettings(str(Path(tmp) / "s.ini"), QSettings.Format.IniFormat))
    store.save_preset("bench", settings)
    store.preset_name = "bench"
    store.max_tokens = args.tokens
    window = MainWindow(store, engine=engine, restore_layout=False)
    window.resize(1400, 900)
    window.show()
    beat = Heartbeat()

    run_until(app, lambda: False, 0.5)  # let the window settle
    beat.start()
    run_until(app, lambda: False, args.baseline_seconds)
    idle = beat.stop()

    print(f"model: {engine.name} ({model.name}), n_threads={args.threads or 'default'}, "
          f"{args.tokens} tokens max, temperature 0.8, seed {args.seed}")
    print(f"{'':22}{'longest':>10}{'p99':>10}{'beats':>8}{'tokens':>8}{'tok/s':>8}")
    print(f"{'idle (baseline)':22}{longest(idle):>8.1f}ms{p99(idle):>8.1f}ms{len(idle):>8}")
    worst = 0.0
    for heat in (False, True):
        window.action("heat").setChecked(heat)
        window.conversations.new()
        window.composer.set_text(PROMPT)
        beat.start()
        window.composer.edit.submit.emit()
        run_until(app, lambda: not window.state.generating, 600)
        gaps = beat.stop()
        reply = window.state.last_reply()
        assert reply is not None
        tps = float(reply.stats.get("gen_tps") or 0.0)
        label = "streaming, heat mode" if heat else "streaming"
        print(f"{label:22}{longest(gaps):>8.1f}ms{p99(gaps):>8.1f}ms{len(gaps):>8}"
              f"{len(reply.traces):>8}{tps:>8.1f}")
        worst = max(worst, longest(gaps))

    # the inspector: show tokens of the last reply one after another (a click each)
    reply = window.state.last_reply()
    assert reply is not None
    picks = list(range(0, len(reply.traces), max(1, len(reply.traces) // 20)))
    beat.start()
    for i in picks:
        window.state.select_token(reply.id, i)
        run_until(app, lambda: False, 0.05)
    gaps = beat.stop()
    print(f"{'inspector, per token':22}{longest(gaps):>8.1f}ms{p99(gaps):>8.1f}ms{len(gaps):>8}"
          f"{len(picks):>8}")
    worst = max(worst, longest(gaps))

    # stream a reply in heat mode while the inspector shows a token
    window.state.select_token(reply.id, len(reply.traces) // 2)
    window.composer.set_text(PROMPT)
    beat.start()
    window.composer.edit.submit.emit()
    run_until(app, lambda: not window.state.generating, 600)
    gaps = beat.stop()
    last = window.state.last_reply()
    assert last is not None
    tps = float(last.stats.get("gen_tps") or 0.0)
    print(f"{'streaming + inspector':22}{longest(gaps):>8.1f}ms{p99(gaps):>8.1f}ms{len(gaps):>8}"
          f"{len(last.traces):>8}{tps:>8.1f}")
    worst = max(worst, longest(gaps))

    print(f"{'headless (no window)':22}{'':>10}{'':>10}{'':>8}{len(headless.traces):>8}"
          f"{headless_tps:>8.1f}")
    print(f"longest stall / baseline: {worst / max(longest(idle), 1e-9):.1f}x; "
          f"target <= {TARGET_MS:.0f} ms: {'PASS' if worst <= TARGET_MS else 'FAIL'}")
    if launched is not None:
        ok = launched["open_s"] <= TARGET_OPEN_S and launched["longest_ms"] <= TARGET_MS
        print(f"launch (fresh process): window open after {launched['open_s']:.2f} s, model "
              f"loaded after {launched['loaded_s']:.2f} s; longest stall while loading "
              f"{launched['longest_ms']:.1f} ms (from {launched['longest_at_s']:.2f} s; p99 "
              f"{launched['p99_ms']:.1f} ms); target "
              f"open <= {TARGET_OPEN_S:.1f} s, stall <= {TARGET_MS:.0f} ms: "
              f"{'PASS' if ok else 'FAIL'}")
    window.close()
    engine.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
