"""Make another quantization of a local model with llama.cpp's quantizer.

``quantize`` runs ``llama_model_quantize`` (llama-cpp-python's binding of llama.cpp's
``src/llama-quant.cpp``, what the ``llama-quantize`` tool calls) in a child process: the
C call has no progress callback and cannot be interrupted, so progress is read from the
lines llama.cpp logs per tensor (``[  12/ 272] blk.0.attn_q.weight - …``) and cancelling
ends the child. A quantizer crash cannot take the app down with it.

Quantizing a file that is already quantized (e.g. SmolLM2 Q4_1 → Q3_K_S) needs
``allow_requantize``: the result is worse than quantizing the original weights to the same
type, which makes the loss plainly visible in a comparison.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from .errors import TokenscopeError

#: Quantization types offered (llama.cpp's LLAMA_FTYPE_MOSTLY_<name>).
TYPES = ("Q2_K", "Q3_K_S", "Q3_K_M", "Q3_K_L", "Q4_0", "Q4_1", "Q4_K_S", "Q4_K_M",
         "Q5_0", "Q5_1", "Q5_K_S", "Q5_K_M", "Q6_K", "Q8_0")

_PROGRESS = re.compile(rb"\[\s*(\d+)\s*/\s*(\d+)\s*\]")


class QuantizeError(TokenscopeError):
    """The quantizer failed or was cancelled; the message says why."""


def ftype_of(name: str) -> int:
    """llama.cpp's ``llama_ftype`` number of a type name such as ``"Q3_K_S"``."""
    import llama_cpp

    key = name.upper()
    if key not in TYPES:
        raise QuantizeError(
            f"Unknown quantization type {name!r}; choose one of {', '.join(TYPES)}."
        )
    return int(getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{key}"))


def quantize(
    src: str | Path, dst: str | Path, qtype: str = "Q3_K_S", *,
    allow_requantize: bool = True, threads: int = 0,
    progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> Path:
    """Write ``src`` quantized to ``qtype`` at ``dst`` and return ``dst``.

    ``progress(done, total)`` is called per tensor (from this thread); setting ``cancel``
    stops the child and removes the partial file. Raises ``QuantizeError`` (failed,
    cancelled, unknown type, ``dst`` equal to ``src``). In a bundled (frozen) app, which
    cannot start ``python -m``, it runs in this process: progress only at the start and
    the end, and no cancelling."""
    src, dst = Path(src), Path(dst)
    ftype_of(qtype)
    if not src.is_file():
        raise QuantizeError(f"Model file not found: {src}.")
    if dst.resolve() == src.resolve():
        raise QuantizeError("Choose another output file: it would overwrite the model.")
    dst.parent.mkdir(parents=True, exist_ok=True)
    part = dst.with_name(dst.name + ".part")
    if getattr(sys, "frozen", False):  # a bundled app has no ``python -m``: in-process,
        return _in_process(src, dst, part, qtype, allow_requantize, threads, progress)
    cmd = [sys.executable, "-m", "desktop.core.quantize", str(src), str(part), qtype,
           "1" if allow_requantize else "0", str(threads)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(Path(__file__).resolve().parents[2]), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    cancel = cancel or threading.Event()
    watcher = threading.Thread(target=_watch_cancel, args=(proc, cancel), daemon=True)
    watcher.start()
    tail: list[bytes] = []
    assert proc.stderr is not None
    for line in proc.stderr:
        tail = [*tail, line][-20:]
        m = _PROGRESS.search(line)
        if m and progress is not None:
            progress(int(m.group(1)), int(m.group(2)))
    rc = proc.wait()
    cancel.set()  # ends the watcher
    if rc != 0 or not part.is_file():
        part.unlink(missing_ok=True)
        if rc < 0 or rc == _CANCELLED:
            raise QuantizeError("Quantization cancelled.")
        last = b"".join(tail).decode("utf-8", "replace").strip().splitlines()[-3:]
        raise QuantizeError(f"llama.cpp could not quantize {src.name} to {qtype}: "
                            f"{' / '.join(last) or f'exit status {rc}'}")
    os.replace(part, dst)
    return dst


_CANCELLED = 75


def _in_process(src: Path, dst: Path, part: Path, qtype: str, allow: bool, threads: int,
                progress: Callable[[int, int], None] | None) -> Path:
    """Quantize in this process (bundled apps): no per-tensor progress, no cancelling."""
    if progress is not None:
        progress(0, 1)
    if _main([str(src), str(part), qtype, "1" if allow else "0", str(threads)]) != 0:
        part.unlink(missing_ok=True)
        raise QuantizeError(f"llama.cpp could not quantize {src.name} to {qtype}.")
    os.replace(part, dst)
    if progress is not None:
        progress(1, 1)
    return dst


def _watch_cancel(proc: subprocess.Popen[bytes], cancel: threading.Event) -> None:
    while proc.poll() is None:
        if cancel.wait(0.2) and proc.poll() is None:
            proc.terminate()
            return


def _main(argv: list[str]) -> int:
    """The child: ``python -m desktop.core.quantize SRC DST TYPE ALLOW_REQUANTIZE THREADS``."""
    import llama_cpp

    src, dst, qtype, allow, threads = argv
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = ftype_of(qtype)
    params.allow_requantize = allow == "1"
    params.nthread = int(threads)
    rc = llama_cpp.llama_model_quantize(src.encode(), dst.encode(), params)
    return 0 if rc == 0 else 1


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
