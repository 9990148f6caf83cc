"""GPU offload: what the GPU has free, and the "auto" setting for GPU layers.

``auto`` offloads every layer (``-1``) when the llama.cpp build can offload and the model,
its KV cache and a margin fit in the free memory of the GPUs llama.cpp would use; else it
offloads nothing (``0``). Nothing in between by default: a model split between CPU and GPU
is often slower than expected, and the user can always set a number of layers.

Free GPU memory comes from llama.cpp itself: ggml's device API (``ggml_backend_dev_*``) is
in the shared libraries that llama-cpp-python loads, but the Python bindings (0.3.x) do not
wrap it, so it is called here through ctypes. Where that API cannot be reached,
``nvidia-smi`` is asked instead. Without either the answer is ``None`` (unknown), and
``auto`` does not offload.

No Qt here.
"""

from __future__ import annotations

import ctypes
import logging
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

log = logging.getLogger(__name__)

AUTO: Literal["auto"] = "auto"
ALL_LAYERS = -1
MiB = 1024**2

#: Free GPU memory kept back beyond the weights and the KV cache: llama.cpp's compute
#: buffers, the driver's own allocations, other programs' VRAM changing under us.
RESERVE_BYTES = 512 * MiB
#: ... and at least this fraction of the model (compute buffers grow with the model).
RESERVE_FRACTION = 0.10

#: ggml's enum ggml_backend_dev_type (ggml-backend.h)
_DEV_TYPE_GPU = 1
_DEV_TYPE_IGPU = 2

GpuLayersSetting = int | Literal["auto"]


# --- the decision -------------------------------------------------------------------------


@dataclass(frozen=True)
class OffloadDecision:
    layers: int  #: for LoadOptions.n_gpu_layers: -1 all, 0 none, N the first N layers
    reason: str  #: one line for the status bar, ``tokenscope doctor`` or a log


def decide_gpu_layers(
    build_offload: bool,
    model_bytes: int,
    n_layers: int,
    free_vram_bytes: int | None,
    *,
    kv_cache_bytes: int = 0,
    partial: bool = False,
) -> OffloadDecision:
    """``auto_gpu_layers`` with the reason for its answer."""
    if not build_offload:
        return OffloadDecision(0, "this llama.cpp build cannot offload (CPU only)")
    if free_vram_bytes is None or free_vram_bytes <= 0:
        return OffloadDecision(0, "free GPU memory is unknown")
    if model_bytes <= 0:
        return OffloadDecision(0, "the model's size is unknown")
    reserve = max(RESERVE_BYTES, int(model_bytes * RESERVE_FRACTION))
    weights_and_kv = model_bytes + max(0, kv_cache_bytes)
    need = weights_and_kv + reserve
    have = f"{free_vram_bytes / MiB:,.0f} MiB free on the GPU"
    if need <= free_vram_bytes:
        return OffloadDecision(ALL_LAYERS, f"all layers: needs {need / MiB:,.0f} MiB, {have}")
    if partial and n_layers > 0:
        per_layer = weights_and_kv / n_layers
        fit = int((free_vram_bytes - reserve) // per_layer) if per_layer > 0 else 0
        fit = max(0, min(fit, n_layers - 1))
        if fit > 0:
            return OffloadDecision(fit, f"{fit} of {n_layers} layers fit: {have}")
    return OffloadDecision(0, f"does not fit: needs {need / MiB:,.0f} MiB, {have}")


def auto_gpu_layers(
    build_offload: bool,
    model_bytes: int,
    n_layers: int,
    free_vram_bytes: int | None,
    *,
    kv_cache_bytes: int = 0,
    partial: bool = False,
) -> int:
    """GPU layers for "auto": -1 (all) when the build can offload and the model plus its KV
    cache plus a margin (``RESERVE_BYTES``, at least ``RESERVE_FRACTION`` of the model) fit
    in ``free_vram_bytes``; else 0. ``free_vram_bytes=None`` (unknown) gives 0.

    With ``partial=True`` a model that does not fit gets as many of its ``n_layers`` as fit
    instead of 0."""
    return decide_gpu_layers(
        build_offload, model_bytes, n_layers, free_vram_bytes,
        kv_cache_bytes=kv_cache_bytes, partial=partial,
    ).layers


# --- the setting --------------------------------------------------------------------------


def parse_gpu_layers(value: int | str) -> GpuLayersSetting:
    """A GPU-layers setting from a settings file or the command line: "auto", "all" (-1),
    -1 or a number of layers >= 0. Raises ValueError otherwise (argparse shows it)."""
    if isinstance(value, bool):
        raise ValueError(f"not a number of GPU layers: {value!r}")
    if isinstance(value, str):
        text = value.strip().lower()
        if text == AUTO:
            return AUTO
        if text == "all":
            return ALL_LAYERS
        try:
            value = int(text)
        except ValueError:
            raise ValueError(
                f"GPU layers must be 'auto', 'all', -1 or a number >= 0, not {value!r}"
            ) from None
    if value < ALL_LAYERS:
        raise ValueError(f"GPU layers must be -1 (all), 0 or more, not {value}")
    return value


def resolve_gpu_layers(
    setting: int | str,
    model_path: str | Path | None = None,
    *,
    n_ctx: int = 4096,
    build_offload: bool | None = None,
    free_vram: Callable[[], int | None] | None = None,
) -> int:
    """The ``n_gpu_layers`` to load ``model_path`` with: the setting itself when it is a
    number (-1 = all), else the "auto" decision for this build, this model at ``n_ctx`` and
    the GPU's free memory. ``build_offload`` and ``free_vram`` default to asking llama.cpp
    (given, they make the decision testable anywhere)."""
    return explain_gpu_layers(
        setting, model_path, n_ctx=n_ctx, build_offload=build_offload, free_vram=free_vram
    ).layers


def explain_gpu_layers(
    setting: int | str,
    model_path: str | Path | None = None,
    *,
    n_ctx: int = 4096,
    build_offload: bool | None = None,
    free_vram: Callable[[], int | None] | None = None,
) -> OffloadDecision:
    """``resolve_gpu_layers`` with the reason for its answer."""
    parsed = parse_gpu_layers(setting)
    if parsed != AUTO:
        layers = int(parsed)
        what = "all layers" if layers == ALL_LAYERS else f"{layers} layers"
        return OffloadDecision(layers, f"{what} (set by the user)")
    if build_offload is None:
        build_offload = supports_offload()
    if not build_offload:  # the common case: decide without reading the model or the GPU
        return decide_gpu_layers(False, 0, 0, None)
    if model_path is None:
        return OffloadDecision(0, "no model to size")
    from .gguf_file import kv_bytes_per_token, read_info

    info = read_info(model_path)
    ctx = min(n_ctx, info.context_length) if info.context_length else n_ctx
    vram = (free_vram or gpu_memory)()
    return decide_gpu_layers(
        True,
        info.file_size,
        info.n_layer or 0,
        vram,
        kv_cache_bytes=kv_bytes_per_token(info) * ctx,
    )


# --- what the GPU has ---------------------------------------------------------------------


@dataclass(frozen=True)
class GpuDevice:
    name: str  #: ggml's device name, e.g. "CUDA0", "Metal", "Vulkan0"
    description: str  #: e.g. "NVIDIA GeForce RTX 4090"
    integrated: bool  #: an integrated GPU sharing the system's memory
    free_bytes: int
    total_bytes: int


def supports_offload() -> bool:
    """Whether the installed llama.cpp build can offload layers to a GPU."""
    import llama_cpp

    return bool(llama_cpp.llama_supports_gpu_offload())


def _ggml_libraries() -> list[Any]:
    """ggml's shared libraries from llama-cpp-python's lib folder (already loaded in this
    process by ``import llama_cpp``; loading them again returns the same library)."""
    import llama_cpp

    lib_dir = Path(llama_cpp.__file__).parent / "lib"
    if sys.platform == "win32":
        names = ["ggml.dll", "ggml-base.dll"]
    elif sys.platform == "darwin":
        names = ["libggml.dylib", "libggml-base.dylib"]
    else:
        names = ["libggml.so", "libggml-base.so"]
    libs = []
    for name in names:
        path = lib_dir / name
        if path.exists():
            libs.append(ctypes.CDLL(str(path)))
    return libs


def _function(libs: list[Any], name: str, restype: Any, argtypes: list[Any]) -> Any:
    for lib in libs:
        fn = getattr(lib, name, None)
        if fn is not None:
            fn.restype, fn.argtypes = restype, argtypes
            return fn
    raise AttributeError(name)


def gpu_devices() -> list[GpuDevice] | None:
    """The GPUs llama.cpp would offload to, with their free and total memory (as llama.cpp
    counts it): the discrete GPUs, or the integrated ones when there is no discrete GPU
    (llama.cpp's own rule). ``[]`` when it sees none; ``None`` when ggml's device API
    cannot be reached."""
    try:
        import llama_cpp

        llama_cpp.llama_supports_gpu_offload()  # registers the backends (dynamic ones too)
        libs = _ggml_libraries()
        vp, sz = ctypes.c_void_p, ctypes.c_size_t
        count = _function(libs, "ggml_backend_dev_count", sz, [])
        get = _function(libs, "ggml_backend_dev_get", vp, [sz])
        dev_type = _function(libs, "ggml_backend_dev_type", ctypes.c_int, [vp])
        dev_name = _function(libs, "ggml_backend_dev_name", ctypes.c_char_p, [vp])
        dev_desc = _function(libs, "ggml_backend_dev_description", ctypes.c_char_p, [vp])
        dev_memory = _function(
            libs, "ggml_backend_dev_memory", None, [vp, ctypes.POINTER(sz), ctypes.POINTER(sz)]
        )
        dev_reg = _function(libs, "ggml_backend_dev_backend_reg", vp, [vp])
        reg_name = _function(libs, "ggml_backend_reg_name", ctypes.c_char_p, [vp])
    except (ImportError, OSError, AttributeError) as exc:
        log.debug("ggml's device API is not reachable: %s", exc)
        return None
    discrete: list[GpuDevice] = []
    integrated: list[GpuDevice] = []
    for i in range(count()):
        dev = get(i)
        kind = dev_type(dev)
        if kind not in (_DEV_TYPE_GPU, _DEV_TYPE_IGPU):
            continue
        if (reg_name(dev_reg(dev)) or b"").decode() == "RPC":
            continue  # remote servers: not this machine's memory
        free, total = sz(0), sz(0)
        dev_memory(dev, ctypes.byref(free), ctypes.byref(total))
        device = GpuDevice(
            name=(dev_name(dev) or b"").decode("utf-8", "replace"),
            description=(dev_desc(dev) or b"").decode("utf-8", "replace"),
            integrated=kind == _DEV_TYPE_IGPU,
            free_bytes=int(free.value),
            total_bytes=int(total.value),
        )
        (integrated if device.integrated else discrete).append(device)
    return discrete or integrated


def nvidia_smi_free() -> int | None:
    """Free memory summed over NVIDIA GPUs, from ``nvidia-smi``; None without it."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return None
    try:
        out = subprocess.run(
            [exe, "--query-gpu=memory.free", "--format=csv,noheader,nounits"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        log.debug("nvidia-smi failed: %s", exc)
        return None
    mib = []
    for line in out.splitlines():
        try:
            mib.append(float(line.strip()))
        except ValueError:  # "[N/A]", "[Not Supported]"
            continue
    return int(sum(mib) * MiB) if mib else None


def gpu_memory() -> int | None:
    """Free memory in bytes on the GPUs llama.cpp would offload to (summed), or None when
    there are none or it cannot be known. Asks llama.cpp first; ``nvidia-smi`` only where
    llama.cpp's device API cannot be reached."""
    devices = gpu_devices()
    if devices is not None:
        return sum(d.free_bytes for d in devices) if devices else None
    return nvidia_smi_free()
