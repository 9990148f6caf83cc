"""The llama.cpp build report and the crash probe (real subprocesses, a real crash)."""

from __future__ import annotations

import sys

from desktop.core import backend


def test_build_info_reports_this_build_honestly() -> None:
    info = backend.build_info()
    assert info.llama_cpp_python
    assert "CPU" in info.system_info
    assert info.gpu_offload is False  # this machine's build is CPU-only
    assert info.backend == "CPU"
    assert len(info.key) == 16


def test_probe_passes_on_a_working_build() -> None:
    result = backend.run_probe()
    assert result.ok, result.message


def test_a_crashing_build_becomes_a_clear_message_with_the_fix() -> None:
    segfault = [sys.executable, "-c", "import ctypes, sys; ctypes.string_at(0)"]
    result = backend.run_probe(command=segfault)
    assert not result.ok
    assert "SIGSEGV" in result.message
    assert "GGML_NATIVE=OFF" in result.message  # the command that fixes it


def test_probe_verdict_is_cached_per_build() -> None:
    first = backend.check_build(force=True)
    assert first.ok
    cache = backend._cache_file()
    assert cache.exists()
    cache.write_text(cache.read_text().replace('"ok": true', '"ok": false'))
    assert backend.check_build().ok is False  # read from the cache, not re-run
    assert backend.check_build(force=True).ok
