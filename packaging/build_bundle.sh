#!/usr/bin/env bash
# Build the desktop bundle with PyInstaller from the installed venv (run install.sh first:
# the bundle carries the llama.cpp build that is in the venv — CPU, CUDA, Metal or Vulkan).
#
#   bash packaging/build_bundle.sh            # -> dist/tokenscope/ (macOS: dist/Tokenscope.app)
#   bash packaging/build_bundle.sh --clean    # forget PyInstaller's cache first
#
# PyInstaller warns that libgtk-3 is missing for Qt's GTK theme plugin: harmless, that plugin
# is left out of the bundle (see packaging/tokenscope.spec).
#
# Env: TOKENSCOPE_VENV (default .venv), TOKENSCOPE_DIST (default dist),
#      TOKENSCOPE_PYINSTALLER (pip requirement, default "pyinstaller>=6.10").
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV=${TOKENSCOPE_VENV:-$ROOT/.venv}
DIST=${TOKENSCOPE_DIST:-$ROOT/dist}
WORK=$ROOT/build/pyinstaller
VPY="$VENV/bin/python"
[ -x "$VPY" ] || VPY="$VENV/Scripts/python.exe"  # Windows (Git Bash)
CLEAN=""
for arg in "$@"; do
  case "$arg" in
    --clean) CLEAN="--clean" ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "build_bundle.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

[ -x "$VPY" ] || { echo "build_bundle.sh: no venv at $VENV; run: bash packaging/install.sh" >&2; exit 1; }
"$VPY" -c 'import llama_cpp, PySide6, desktop' 2>/dev/null \
  || { echo "build_bundle.sh: the venv lacks the app; run: bash packaging/install.sh" >&2; exit 1; }

if ! "$VPY" -c 'import PyInstaller' 2>/dev/null; then
  say "Installing PyInstaller into $VENV"
  "$VPY" -m pip install -q "${TOKENSCOPE_PYINSTALLER:-pyinstaller>=6.10}"
fi

# Icons are committed; render them only when missing (a fresh checkout without them).
if [ ! -f resources/icons/hicolor/256x256/apps/tokenscope.png ]; then
  say "Rendering icons"
  QT_QPA_PLATFORM=offscreen "$VPY" packaging/render_icons.py
fi

say "Building the bundle (PyInstaller $("$VPY" -c 'import PyInstaller; print(PyInstaller.__version__)'))"
start=$(date +%s)
"$VPY" -m PyInstaller --noconfirm $CLEAN --log-level WARN \
  --distpath "$DIST" --workpath "$WORK" packaging/tokenscope.spec
secs=$(( $(date +%s) - start ))

if [ "$(uname -s)" = Darwin ]; then APP="$DIST/Tokenscope.app"; else APP="$DIST/tokenscope"; fi
size=$(du -sh "$APP" | cut -f1)
say "Bundle: $APP ($size) built in ${secs} s"
echo "bundle=$APP"
echo "size=$size"
echo "build_seconds=$secs"
