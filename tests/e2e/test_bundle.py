"""The desktop bundle (PyInstaller) and what it relies on.

The full build-and-run test is opt-in: ``TOKENSCOPE_BUNDLE_TEST=1`` builds dist/ with
packaging/build_bundle.sh (about a minute on 2 cores, plus PyInstaller's install the first
time) and runs packaging/smoke_test.sh on it. ``TOKENSCOPE_BUNDLE=/path/to/tokenscope``
tests an existing bundle instead of building one. The small checks below always run.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- the frozen entry point answers the crash probe's command line ---------------------------


def test_the_entry_point_recognises_both_probe_command_lines() -> None:
    entry = _load(PACKAGING / "entry.py")
    assert entry.probe_model(["--probe-child", "/m.gguf"]) == "/m.gguf"
    python_m = ["-m", "desktop.core.backend", "--probe-child", "/m.gguf"]
    assert entry.probe_model(python_m) == "/m.gguf"
    assert entry.probe_model([]) is None
    assert entry.probe_model(["chat", "-m", "x.gguf", "--probe-child"]) is None
    assert entry.probe_model(["-m", "os", "--probe-child", "/m.gguf"]) is None


def test_the_entry_point_runs_the_probe_child(tmp_path: Path) -> None:
    from desktop.core.tiny_model import write_tiny_llama

    model = write_tiny_llama(tmp_path / "probe.gguf")
    proc = subprocess.run(
        [sys.executable, str(PACKAGING / "entry.py"), "--probe-child", str(model)],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "probe-ok" in proc.stdout


# --- resources resolve from a checkout and from a bundle --------------------------------------


def test_resources_resolve_from_the_checkout() -> None:
    from desktop import resources

    svg = ROOT / "resources" / "icons" / "tokenscope.svg"
    assert resources.resource_path("icons", "tokenscope.svg") == svg
    assert resources.app_icon_path().is_file()
    sizes = [int(p.parts[-3].split("x")[0]) for p in resources.app_icon_files()]
    assert sizes == list(resources.ICON_SIZES)


def test_resources_resolve_inside_a_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from desktop import resources

    icon = tmp_path / "resources/icons/hicolor/256x256/apps/tokenscope.png"
    icon.parent.mkdir(parents=True)
    icon.write_bytes(b"\x89PNG")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources.app_icon_path() == icon
    # what the bundle lacks still resolves (from the checkout here), never to nowhere
    assert resources.resource_path("icons", "tokenscope.svg").is_file()


# --- the icons ---------------------------------------------------------------------------------


def test_the_windows_and_macos_icons_hold_every_size() -> None:
    from PySide6.QtGui import QImageReader

    for name, expected in (
        ("tokenscope.ico", [16, 24, 32, 48, 64, 128, 256]),
        ("tokenscope.icns", [32, 64, 128, 256, 256, 512, 512, 1024]),
    ):
        reader = QImageReader(str(ROOT / "resources/icons" / name))
        widths = []
        for i in range(reader.imageCount()):
            reader.jumpToImage(i)
            widths.append(reader.read().width())
        assert widths == expected, name


# --- the bundle itself (opt-in) ----------------------------------------------------------------

bundle_test = pytest.mark.skipif(
    os.environ.get("TOKENSCOPE_BUNDLE_TEST") != "1",
    reason="builds and runs the PyInstaller bundle (about 1-2 min); set TOKENSCOPE_BUNDLE_TEST=1",
)


@bundle_test
@pytest.mark.skipif(sys.platform == "win32", reason="the smoke test is a bash script")
def test_the_bundle_builds_and_passes_its_smoke_test() -> None:
    args = [] if os.environ.get("TOKENSCOPE_BUNDLE") else ["--rebuild"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENSCOPE_") or k in (
        "TOKENSCOPE_BUNDLE", "TOKENSCOPE_VENV")}  # its own empty folders, not the tests'
    proc = subprocess.run(
        ["bash", str(PACKAGING / "smoke_test.sh"), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=1200, env=env,
    )
    report = proc.stdout + proc.stderr
    assert proc.returncode == 0, report
    steps = dict(re.findall(r"^(\S+)\s+(PASS|FAIL|WARN|SKIP)\b", proc.stdout, re.MULTILINE))
    for step in ("--version", "doctor", "chat", "gui"):
        assert steps.get(step) == "PASS", report
    if sys.platform.startswith("linux"):
        assert steps.get("libraries") == "PASS", report
