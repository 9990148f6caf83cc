#!/usr/bin/env bash
# Install Tokenscope into ./.venv: llama-cpp-python built for this machine, then the app.
# Safe to run again: it only does what is missing.
#
#   bash packaging/install.sh            # the app
#   bash packaging/install.sh --dev      # the app + test tools
#   bash packaging/install.sh --rebuild  # rebuild llama-cpp-python
#
# Backend: TOKENSCOPE_BACKEND=auto (default) | cpu | cuda | metal | vulkan
#   auto: Metal on Apple Silicon, CUDA when nvcc and an NVIDIA driver are found, else CPU.
# Extra CMake flags: TOKENSCOPE_CMAKE_ARGS="..." (appended).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV=${TOKENSCOPE_VENV:-$ROOT/.venv}
LLAMA_VERSION=${TOKENSCOPE_LLAMA_VERSION:-0.3.36}
CACHE=${TOKENSCOPE_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tokenscope/wheels}
DEV=0
REBUILD=0
for arg in "$@"; do
  case "$arg" in
    --dev) DEV=1 ;;
    --rebuild) REBUILD=1 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# --- Python -------------------------------------------------------------------------
PY=${PYTHON:-}
if [ -z "$PY" ]; then
  for cand in python3.12 python3.11 python3.10 python3; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
      PY=$cand; break
    fi
  done
fi
[ -n "$PY" ] || { echo "install.sh: Python 3.10 or newer is needed (python.org or your package manager)." >&2; exit 1; }

if [ ! -x "$VENV/bin/python" ]; then
  say "Creating a virtual environment in $VENV"
  "$PY" -m venv "$VENV"
fi
VPY="$VENV/bin/python"
"$VPY" -m pip install -q --upgrade pip wheel >/dev/null

# --- llama-cpp-python, built for this machine ----------------------------------------
OS=$(uname -s); ARCH=$(uname -m)
BACKEND=${TOKENSCOPE_BACKEND:-auto}
if [ "$BACKEND" = auto ]; then
  if [ "$OS" = Darwin ] && [ "$ARCH" = arm64 ]; then BACKEND=metal
  elif command -v nvcc >/dev/null 2>&1 && { nvidia-smi -L >/dev/null 2>&1 || [ -e /proc/driver/nvidia/version ]; }; then BACKEND=cuda
  else BACKEND=cpu; fi
fi

cpu_flags() {
  # Explicit ISA flags instead of GGML_NATIVE: a native build enables AMX where the CPU
  # advertises it, and on some VMs that build segfaults on every batched decode.
  if [ "$ARCH" = x86_64 ] || [ "$ARCH" = amd64 ]; then
    local f=""
    if [ -r /proc/cpuinfo ]; then f=$(grep -m1 '^flags' /proc/cpuinfo)
    elif [ "$OS" = Darwin ]; then f=$(sysctl -n machdep.cpu.features machdep.cpu.leaf7_features 2>/dev/null | tr 'A-Z' 'a-z'); fi
    local args="-DGGML_NATIVE=OFF"
    has() { grep -qw "$1" <<<"$f"; }
    has avx && args+=" -DGGML_AVX=ON"
    has avx2 && args+=" -DGGML_AVX2=ON"
    has fma && args+=" -DGGML_FMA=ON"
    has f16c && args+=" -DGGML_F16C=ON"
    if has avx512f; then
      args+=" -DGGML_AVX512=ON"
      { has avx512_vbmi || has avx512vbmi; } && args+=" -DGGML_AVX512_VBMI=ON"
      has avx512_vnni && args+=" -DGGML_AVX512_VNNI=ON"
      has avx512_bf16 && args+=" -DGGML_AVX512_BF16=ON"
    fi
    echo "$args"
  else
    echo "-DGGML_NATIVE=ON"  # ARM: native builds are fine (no AMX)
  fi
}

case "$BACKEND" in
  cpu) CMAKE="$(cpu_flags)" ;;
  cuda) CMAKE="$(cpu_flags) -DGGML_CUDA=ON" ;;
  metal) CMAKE="-DGGML_METAL=ON" ;;
  vulkan) CMAKE="$(cpu_flags) -DGGML_VULKAN=ON" ;;
  *) echo "install.sh: TOKENSCOPE_BACKEND must be auto, cpu, cuda, metal or vulkan" >&2; exit 2 ;;
esac
CMAKE="$CMAKE -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF ${TOKENSCOPE_CMAKE_ARGS:-}"
KEY=$(printf '%s|%s|%s|%s' "$LLAMA_VERSION" "$CMAKE" "$("$VPY" -c 'import sys;print(sys.version_info[:2])')" "$ARCH" | cksum | cut -d' ' -f1)
WHEELS="$CACHE/$KEY"

installed=$("$VPY" -c 'import importlib.metadata as m; print(m.version("llama_cpp_python"))' 2>/dev/null || true)
marker="$VENV/.tokenscope-llama-build"
if [ "$REBUILD" = 1 ] || [ "$installed" != "$LLAMA_VERSION" ] || [ "$(cat "$marker" 2>/dev/null)" != "$KEY" ]; then
  if [ "$REBUILD" = 1 ] || ! ls "$WHEELS"/llama_cpp_python-*.whl >/dev/null 2>&1; then
    say "Building llama-cpp-python $LLAMA_VERSION for $BACKEND (a few minutes): $CMAKE"
    mkdir -p "$WHEELS"
    rm -f "$WHEELS"/*.whl
    CMAKE_ARGS="$CMAKE" CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)} \
      "$VPY" -m pip wheel --no-cache-dir --no-deps --no-binary llama-cpp-python -w "$WHEELS" "llama-cpp-python==$LLAMA_VERSION"
  else
    say "Using the cached llama-cpp-python build in $WHEELS"
  fi
  "$VPY" -m pip install -q --force-reinstall --no-deps "$WHEELS"/llama_cpp_python-*.whl
  echo "$KEY" > "$marker"
fi

# --- the app -------------------------------------------------------------------------
say "Installing Tokenscope"
if [ "$DEV" = 1 ]; then "$VPY" -m pip install -q -e ".[test]"; else "$VPY" -m pip install -q -e .; fi

# --- system libraries Qt needs for a real screen (Linux) -----------------------------
if [ "$OS" = Linux ] && command -v dpkg-query >/dev/null 2>&1; then
  need=()
  for p in libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 \
           libxcb-render-util0 libxcb-image0 libegl1 fonts-noto-cjk; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
  done
  if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo"; else SUDO="-"; fi
    if [ "$SUDO" != "-" ] && [ -z "${TOKENSCOPE_NO_APT:-}" ]; then
      say "Installing the system libraries Qt needs: ${need[*]}"
      $SUDO apt-get install -y -q "${need[@]}" >/dev/null 2>&1 || \
        { $SUDO apt-get update -q >/dev/null 2>&1 && $SUDO apt-get install -y -q "${need[@]}" >/dev/null 2>&1; } || \
        echo "install.sh: could not install ${need[*]}; the window may not open. Run: sudo apt-get install ${need[*]}" >&2
    else
      echo "install.sh: the window needs these system packages: sudo apt-get install ${need[*]}" >&2
    fi
  fi
fi

# --- check the build: a batched decode in a subprocess ------------------------------
if ! "$VENV/bin/tokenscope" doctor >/dev/null 2>&1; then
  "$VENV/bin/tokenscope" doctor >&2 || true
  echo "install.sh: the llama.cpp build failed its crash probe (above). Try: TOKENSCOPE_BACKEND=cpu bash packaging/install.sh --rebuild" >&2
  exit 1
fi
say "Ready: $VENV/bin/tokenscope"
