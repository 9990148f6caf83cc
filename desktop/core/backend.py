"""The llama.cpp build: what it is, what it can offload, and whether it crashes here.

Some llama.cpp builds die on this CPU (e.g. a native build on a CPU that advertises AMX
it cannot use: every batched decode segfaults). A crash kills the process, so the probe
runs a batched decode of a tiny generated model in a subprocess, and its verdict is
cached per build.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import signal
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from . import paths
from .errors import BackendCrashError

log = logging.getLogger(__name__)

#: The reinstall commands that fix a crashing build, by platform.
FIX_CPU_X86 = (
    'CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON" '
    "pip install --force-reinstall --no-cache-dir --no-deps llama-cpp-python"
)
FIX_GENERIC = "TOKENSCOPE_BACKEND=cpu bash packaging/install.sh --rebuild"


@dataclass
class BuildInfo:
    llama_cpp_python: str
    library: str
    system_info: str  #: llama.cpp's own report of the CPU features it was built for
    gpu_offload: bool
    backend: str  #: "CUDA", "Metal", "Vulkan", "ROCm/HIP", "SYCL" or "CPU"
    devices: list[str]

    @property
    def key(self) -> str:
        """Identifies this build: the library file's path, size and mtime, and the version."""
        st = Path(self.library).stat() if Path(self.library).exists() else None
        raw = f"{self.llama_cpp_python}|{self.library}|{st and st.st_size}|{st and st.st_mtime}"
        return hashlib.sha256(raw.encode()).hexdigest()[:16]

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _library_path() -> str:
    import llama_cpp

    lib_dir = Path(llama_cpp.__file__).parent / "lib"
    for name in ("libllama.so", "libllama.dylib", "llama.dll"):
        if (lib_dir / name).exists():
            return str(lib_dir / name)
    return str(lib_dir)


def _devices() -> list[str]:
    """The GPUs llama.cpp would offload to, with their memory (empty on a CPU build)."""
    from .gpu import gpu_devices

    return [
        f"{d.name}: {d.description} ({d.free_bytes / 2**30:.1f} of "
        f"{d.total_bytes / 2**30:.1f} GiB free)"
        for d in gpu_devices() or []
    ]


def build_info() -> BuildInfo:
    import llama_cpp

    system = llama_cpp.llama_print_system_info().decode("utf-8", "replace").strip()
    offload = bool(llama_cpp.llama_supports_gpu_offload())
    devices = _devices()
    text = (system + " " + " ".join(devices)).upper()
    backend = "CPU"
    if offload:
        for marker, name in (
            ("CUDA", "CUDA"), ("METAL", "Metal"), ("HIP", "ROCm/HIP"), ("VULKAN", "Vulkan"),
            ("SYCL", "SYCL"),
        ):
            if marker in text:
                backend = name
                break
        else:
            backend = "GPU"
    return BuildInfo(
        llama_cpp_python=llama_cpp.__version__,
        library=_library_path(),
        system_info=system,
        gpu_offload=offload,
        backend=backend,
        devices=devices,
    )


def fix_command() -> str:
    if platform.machine().lower() in ("x86_64", "amd64"):
        return FIX_CPU_X86
    return FIX_GENERIC


# --- the crash probe ------------------------------------------------------------------


@dataclass
class ProbeResult:
    ok: bool
    message: str
    build_key: str

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _probe_child(model_path: str) -> None:
    """Runs in the subprocess: load a tiny model and decode batches of tokens."""
    import llama_cpp

    llm = llama_cpp.Llama(model_path, n_ctx=256, n_batch=64, verbose=False)
    tokens = [1, *range(10, 60)]
    llm.eval(tokens)  # one batched decode of 51 tokens
    llm.eval([42])  # and a single-token decode after it
    print("probe-ok")


def _describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


def run_probe(timeout: float = 120.0, command: list[str] | None = None) -> ProbeResult:
    """Run the crash probe in a subprocess (uncached). ``command`` replaces the child's
    command line (the model path is appended), e.g. to test how a crash is reported."""
    from .tiny_model import write_tiny_llama

    key = build_info().key
    if command is not None:
        child = command
    elif getattr(sys, "frozen", False):  # a bundle: the app itself answers --probe-child
        child = [sys.executable, "--probe-child"]
    else:
        child = [sys.executable, "-m", "desktop.core.backend", "--probe-child"]
    with tempfile.TemporaryDirectory(prefix="tokenscope-probe-") as tmp:
        model = write_tiny_llama(Path(tmp) / "probe.gguf")
        try:
            proc = subprocess.run(
                [*child, str(model)],
                capture_output=True,
                text=True,
                timeout=timeout,
                env={**os.environ, "PYTHONFAULTHANDLER": "1"},
            )
        except subprocess.TimeoutExpired:
            return ProbeResult(False, f"the probe hung for {timeout:.0f} s", key)
    if proc.returncode == 0 and "probe-ok" in proc.stdout:
        return ProbeResult(True, "batched decode works", key)
    detail = _describe_exit(proc.returncode)
    tail = proc.stderr.strip().splitlines()[-3:]
    log.warning("llama.cpp probe failed: %s %s", detail, tail)
    return ProbeResult(
        False,
        f"llama.cpp crashed during a batched decode ({detail}). This build does not work on "
        f"this CPU (often a native build on a CPU whose AMX/AVX-512 the OS or VM does not "
        f"allow). Rebuild it without native CPU detection:\n  {fix_command()}",
        key,
    )


def _cache_file() -> Path:
    return paths.cache_dir() / "probe.json"


def check_build(force: bool = False) -> ProbeResult:
    """The probe's verdict for the installed build, cached per build."""
    key = build_info().key
    cache = _cache_file()
    if not force and cache.exists():
        try:
            data = json.loads(cache.read_text())
            if data.get("build_key") == key:
                return ProbeResult(**data)
        except (ValueError, TypeError, OSError):
            pass
    result = run_probe()
    try:
        cache.write_text(json.dumps(result.to_dict()))
    except OSError as exc:
        log.warning("could not cache the probe result: %s", exc)
    return result


def ensure_working_build() -> None:
    """Raise BackendCrashError with the fix when this build crashes here."""
    result = check_build()
    if not result.ok:
        raise BackendCrashError(result.message)


if __name__ == "__main__":  # pragma: no cover - the probe's subprocess entry point
    if len(sys.argv) == 3 and sys.argv[1] == "--probe-child":
        _probe_child(sys.argv[2])
