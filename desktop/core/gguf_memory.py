"""How much memory a model needs at a context size, and whether that fits in this machine."""

from __future__ import annotations

import os
from typing import Literal

from .gguf_info import GGUFInfo

Verdict = Literal["fits", "tight", "won't fit"]

OVERHEAD_BYTES = 64 * 1024**2


def kv_bytes_per_token(info: GGUFInfo) -> int:
    """f16 K and V for one token over all layers; a coarse guess when the shape is unknown."""
    if info.n_layer and info.n_embd and info.n_head:
        n_head_kv = info.n_head_kv or info.n_head
        head_dim = info.n_embd // info.n_head
        k = (info.key_length or head_dim) * n_head_kv
        v = (info.value_length or head_dim) * n_head_kv
        return info.n_layer * (k + v) * 2
    params = info.parameter_count or 0
    return max(16 * 1024, int(params / 1e9 * 32 * 1024))  # pessimistic (no GQA)


def estimate_memory(info: GGUFInfo, n_ctx: int) -> int:
    """Bytes needed to run the model at `n_ctx`: weights + f16 KV cache + a small overhead."""
    weights = info.file_size
    return weights + kv_bytes_per_token(info) * n_ctx + OVERHEAD_BYTES + weights // 50


def fit_verdict(need_bytes: int, available_ram: int, vram: int | None = None) -> Verdict:
    """The verdict: "fits", "tight" (over 75% of what is available) or "won't fit"."""
    available = available_ram + (vram or 0)
    if need_bytes > available:
        return "won't fit"
    if need_bytes > 0.75 * available:
        return "tight"
    return "fits"


def available_ram() -> int:
    """Memory available to a new process now, in bytes (total memory where unknown)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0
