#!/usr/bin/env bash
# Build llama.cpp's own llama-bench (or llama-server) from the very llama.cpp that the
# installed llama-cpp-python was built from, with the same -DGGML_* flags as
# packaging/install.sh, and cache it. Prints the path of the binary on stdout (everything
# else goes to stderr), so:   LLAMA_BENCH=$(bash bench/native.sh)
#                             export TOKENSCOPE_LLAMA_SERVER=$(bash bench/native.sh --server)
# (llama-server: the remote-server tests against llama.cpp's own server use it.)
#
#   bash bench/native.sh [--server] [--rebuild]
#
# Source: the llama-cpp-python sdist of the installed version (pip download --no-deps
# --no-binary :all: llama-cpp-python==VERSION), its vendor/llama.cpp.
# Cache: ${XDG_CACHE_HOME:-~/.cache}/tokenscope/native/<key>/ (key = version + flags).
# Python: $PYTHON, else .venv/bin/python of this checkout, else python3.
# Flags: TOKENSCOPE_BACKEND and TOKENSCOPE_CMAKE_ARGS as for packaging/install.sh.
# Run the binary with LD_LIBRARY_PATH=<its directory> (done by bench/generation.py).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
REBUILD=0
TARGET=llama-bench
for arg in "$@"; do
  case "$arg" in
    --rebuild) REBUILD=1 ;;
    --server) TARGET=llama-server ;;
    *) echo "native.sh: unknown argument $arg (--server, --rebuild)" >&2; exit 2 ;;
  esac
done
say() { printf '==> %s\n' "$*" >&2; }

PY=${PYTHON:-}
if [ -z "$PY" ]; then
  if [ -x "$ROOT/.venv/bin/python" ]; then PY=$ROOT/.venv/bin/python; else PY=python3; fi
fi
VERSION=${TOKENSCOPE_LLAMA_VERSION:-$("$PY" -c 'import importlib.metadata as m; print(m.version("llama_cpp_python"))')}

# The CMake flags: packaging/install.sh's own cpu_flags function (read from that file, so
# the two never drift apart), the same backend choice and the same extras.
OS=$(uname -s); ARCH=$(uname -m)
# shellcheck disable=SC1090
source <(sed -n '/^cpu_flags() {/,/^}/p' "$ROOT/packaging/install.sh")
declare -F cpu_flags >/dev/null || { echo "native.sh: no cpu_flags in packaging/install.sh" >&2; exit 1; }
BACKEND=${TOKENSCOPE_BACKEND:-auto}
if [ "$BACKEND" = auto ]; then
  if [ "$OS" = Darwin ] && [ "$ARCH" = arm64 ]; then BACKEND=metal
  elif command -v nvcc >/dev/null 2>&1 && { nvidia-smi -L >/dev/null 2>&1 || [ -e /proc/driver/nvidia/version ]; }; then BACKEND=cuda
  else BACKEND=cpu; fi
fi
case "$BACKEND" in
  cpu) CMAKE="$(cpu_flags)" ;;
  cuda) CMAKE="$(cpu_flags) -DGGML_CUDA=ON" ;;
  metal) CMAKE="-DGGML_METAL=ON" ;;
  vulkan) CMAKE="$(cpu_flags) -DGGML_VULKAN=ON" ;;
  *) echo "native.sh: TOKENSCOPE_BACKEND must be auto, cpu, cuda, metal or vulkan" >&2; exit 2 ;;
esac
CMAKE="$CMAKE ${TOKENSCOPE_CMAKE_ARGS:-}"

CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/tokenscope/native
KEY=$(printf '%s|%s|%s' "$VERSION" "$CMAKE" "$ARCH" | cksum | cut -d' ' -f1)
DIR="$CACHE/$VERSION-$KEY"
BUILD="$DIR/build"
SERVER=OFF
if [ "$TARGET" = llama-server ]; then BUILD="$DIR/build-server"; SERVER=ON; fi
BIN="$BUILD/bin/$TARGET"
if [ "$REBUILD" = 0 ] && [ -x "$BIN" ]; then
  say "cached: $TARGET of llama-cpp-python $VERSION ($CMAKE)"
  echo "$BIN"
  exit 0
fi

SDIST_DIR="$CACHE/src"
SDIST="$SDIST_DIR/llama_cpp_python-$VERSION.tar.gz"
if [ ! -f "$SDIST" ]; then
  say "Downloading the llama-cpp-python $VERSION sdist"
  mkdir -p "$SDIST_DIR"
  "$PY" -m pip download -q --no-deps --no-binary :all: -d "$SDIST_DIR" "llama-cpp-python==$VERSION" >&2
fi
rm -rf "$BUILD" "$DIR/llama_cpp_python-$VERSION"
mkdir -p "$DIR"
tar -xzf "$SDIST" -C "$DIR"
SRC="$DIR/llama_cpp_python-$VERSION/vendor/llama.cpp"
[ -f "$SRC/CMakeLists.txt" ] || { echo "native.sh: no vendor/llama.cpp in the sdist" >&2; exit 1; }

say "Building $TARGET (llama-cpp-python $VERSION, $BACKEND): $CMAKE"
GEN=()
command -v ninja >/dev/null 2>&1 && GEN=(-G Ninja)
# shellcheck disable=SC2086
cmake -S "$SRC" -B "$BUILD" "${GEN[@]}" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=$SERVER \
  -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF $CMAKE >&2
cmake --build "$BUILD" --target "$TARGET" -j "${CMAKE_BUILD_PARALLEL_LEVEL:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)}" >&2
# keep the binary and its libraries, drop the sources and objects
find "$BUILD" -name '*.o' -delete
rm -rf "$DIR/llama_cpp_python-$VERSION"
[ -x "$BIN" ] || { echo "native.sh: the build did not produce $BIN" >&2; exit 1; }
echo "$CMAKE" > "$DIR/cmake-flags.txt"
echo "$BIN"
