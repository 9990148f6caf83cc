"""GPU layers "auto": the decision, the setting, and the CPU fallback on a real build."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from desktop.core import gpu
from desktop.core.gpu import ALL_LAYERS, RESERVE_BYTES, MiB, auto_gpu_layers

GiB = 1024 * MiB


# --- the decision ---------------------------------------------------------------------------


def test_a_model_that_fits_gets_all_layers() -> None:
    assert auto_gpu_layers(True, 4 * GiB, 32, 12 * GiB) == ALL_LAYERS


def test_a_cpu_only_build_never_offloads_however_much_vram() -> None:
    assert auto_gpu_layers(False, 100 * MiB, 30, 80 * GiB) == 0


def test_unknown_free_memory_does_not_offload() -> None:
    assert auto_gpu_layers(True, 100 * MiB, 30, None) == 0
    assert auto_gpu_layers(True, 100 * MiB, 30, 0) == 0


def test_a_model_that_does_not_fit_stays_on_the_cpu() -> None:
    assert auto_gpu_layers(True, 20 * GiB, 40, 16 * GiB) == 0


def test_the_margin_is_kept_free() -> None:
    model = 1 * GiB  # small model: the fixed reserve applies
    assert auto_gpu_layers(True, model, 24, model + RESERVE_BYTES) == ALL_LAYERS
    assert auto_gpu_layers(True, model, 24, model + RESERVE_BYTES - 1) == 0


def test_the_margin_grows_with_the_model() -> None:
    model = 40 * GiB  # 10% of it is more than the fixed reserve
    assert auto_gpu_layers(True, model, 80, model + RESERVE_BYTES + 1) == 0
    assert auto_gpu_layers(True, model, 80, model + model // 10) == ALL_LAYERS


def test_the_kv_cache_counts() -> None:
    model, kv = 4 * GiB, 2 * GiB
    free = model + RESERVE_BYTES + GiB
    assert auto_gpu_layers(True, model, 32, free) == ALL_LAYERS
    assert auto_gpu_layers(True, model, 32, free, kv_cache_bytes=kv) == 0


def test_partial_offload_gives_the_layers_that_fit() -> None:
    # 32 layers of 256 MiB; 4 GiB free minus the 819 MiB reserve leaves room for 12
    layers = auto_gpu_layers(True, 8 * GiB, 32, 4 * GiB, partial=True)
    assert layers == 12
    assert auto_gpu_layers(True, 8 * GiB, 32, 4 * GiB) == 0  # not asked: all or nothing


def test_decisions_say_why() -> None:
    assert "CPU only" in gpu.decide_gpu_layers(False, GiB, 10, None).reason
    assert "unknown" in gpu.decide_gpu_layers(True, GiB, 10, None).reason
    assert "all layers" in gpu.decide_gpu_layers(True, GiB, 10, 8 * GiB).reason
    assert "does not fit" in gpu.decide_gpu_layers(True, 9 * GiB, 10, 8 * GiB).reason


# --- the setting ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [("auto", "auto"), (" AUTO ", "auto"), ("all", -1), ("-1", -1), ("0", 0), ("33", 33), (7, 7)],
)
def test_settings_parse(text: int | str, value: int | str) -> None:
    assert gpu.parse_gpu_layers(text) == value


@pytest.mark.parametrize("bad", ["", "max", "1.5", "-2", -5, True])
def test_bad_settings_are_refused(bad: int | str) -> None:
    with pytest.raises(ValueError):
        gpu.parse_gpu_layers(bad)


def test_a_number_is_taken_as_given(tiny_model: Path) -> None:
    def no_query() -> int | None:
        raise AssertionError("a fixed setting must not query the GPU")

    assert gpu.resolve_gpu_layers(12, tiny_model, free_vram=no_query) == 12
    assert gpu.resolve_gpu_layers("-1", tiny_model, free_vram=no_query) == ALL_LAYERS
    assert gpu.resolve_gpu_layers("0", tiny_model, free_vram=no_query) == 0


def test_auto_sizes_the_real_model_file(tiny_model: Path) -> None:
    assert gpu.resolve_gpu_layers("auto", tiny_model, build_offload=True,
                                  free_vram=lambda: 8 * GiB) == ALL_LAYERS
    assert gpu.resolve_gpu_layers("auto", tiny_model, build_offload=True,
                                  free_vram=lambda: 100 * MiB) == 0
    assert gpu.resolve_gpu_layers("auto", tiny_model, build_offload=True,
                                  free_vram=lambda: None) == 0


def test_auto_on_a_cpu_build_reads_neither_model_nor_gpu(tmp_path: Path) -> None:
    def no_query() -> int | None:
        raise AssertionError("a CPU-only build must not query the GPU")

    missing = tmp_path / "not-there.gguf"
    assert gpu.resolve_gpu_layers("auto", missing, build_offload=False, free_vram=no_query) == 0


# --- this machine: a CPU-only build ---------------------------------------------------------

cpu_only = pytest.mark.skipif(gpu.supports_offload(), reason="this llama.cpp build can offload")


@cpu_only
def test_the_device_api_is_reached_and_lists_no_gpu() -> None:
    # ggml's device API answers through ctypes (a list, not None), with no GPU in it
    assert gpu.gpu_devices() == []
    assert gpu.gpu_memory() is None


@cpu_only
def test_auto_on_this_build_loads_the_model_on_the_cpu(tiny_model: Path) -> None:
    from desktop.core.engine import Engine, LoadOptions

    layers = gpu.resolve_gpu_layers("auto", tiny_model, n_ctx=512)
    assert layers == 0
    engine = Engine(tiny_model, LoadOptions(n_ctx=512, n_threads=2, n_gpu_layers=layers))
    try:
        engine.eval_prompt(engine.tokenize("Hello there, tiny model", add_bos=True))
        assert engine.logits().shape == (engine.n_vocab,)
    finally:
        engine.close()


@pytest.mark.skipif(not gpu.supports_offload(), reason="needs a GPU build of llama.cpp")
def test_a_gpu_build_reports_its_gpus() -> None:  # pragma: no cover - GPU machines only
    devices = gpu.gpu_devices()
    assert devices, "a GPU build should see at least one GPU"
    assert all(d.total_bytes >= d.free_bytes > 0 for d in devices)


# --- the nvidia-smi fallback (a stand-in nvidia-smi on PATH) ---------------------------------


def _fake_nvidia_smi(tmp_path: Path, output: str, status: int = 0) -> None:
    exe = tmp_path / "nvidia-smi"
    exe.write_text(f"#!/bin/sh\nprintf '{output}'\nexit {status}\n")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)


@pytest.mark.skipif(os.name == "nt", reason="a shell script stands in for nvidia-smi")
def test_nvidia_smi_free_memory_is_summed_over_gpus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_nvidia_smi(tmp_path, "1024\\n[N/A]\\n2048\\n")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert gpu.nvidia_smi_free() == 3072 * MiB


@pytest.mark.skipif(os.name == "nt", reason="a shell script stands in for nvidia-smi")
def test_nvidia_smi_failing_or_absent_means_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert gpu.nvidia_smi_free() is None  # not on PATH
    _fake_nvidia_smi(tmp_path, "NVIDIA-SMI has failed\\n", status=9)
    assert gpu.nvidia_smi_free() is None


@pytest.mark.skipif(os.name == "nt", reason="a shell script stands in for nvidia-smi")
def test_nvidia_smi_is_asked_only_when_llama_cpp_cannot_say(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_nvidia_smi(tmp_path, "4096\\n")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(gpu, "gpu_devices", lambda: None)  # device API unreachable
    assert gpu.gpu_memory() == 4096 * MiB
    monkeypatch.setattr(gpu, "gpu_devices", lambda: [])  # llama.cpp sees no GPU: believe it
    assert gpu.gpu_memory() is None
