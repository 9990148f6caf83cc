#!/usr/bin/env bash
# Smoke-test the desktop bundle: build it (or reuse dist/), then run the bundled executable
# the way a user would, with its own empty data/config/cache/log folders.
#
#   bash packaging/smoke_test.sh              # reuse dist/tokenscope if it is there, else build
#   bash packaging/smoke_test.sh --rebuild    # always build first
#
# Steps: the libraries resolve (Linux), --version, doctor (the crash probe runs inside the
# bundle), a headless chat with a token trace on a tiny generated model, Hub search and
# download against a loopback Hub (with the dev install), and the window
# started offscreen and closed with SIGTERM (the app closes its window on SIGTERM: state
# saved, model freed; it must exit 0). Exit status: 0 when every step passed.
#
# Env: TOKENSCOPE_BUNDLE (the executable to test), TOKENSCOPE_VENV (default .venv: used to
# build, and to write the tiny model), TOKENSCOPE_GUI_WAIT (seconds to wait for the window,
# default 90).
set -uo pipefail

cd "$(dirname "$0")/.." || exit 2
ROOT=$(pwd)
VENV=${TOKENSCOPE_VENV:-$ROOT/.venv}
VPY="$VENV/bin/python"
[ -x "$VPY" ] || VPY="$VENV/Scripts/python.exe"
GUI_WAIT=${TOKENSCOPE_GUI_WAIT:-90}
REBUILD=0
for arg in "$@"; do
  case "$arg" in
    --rebuild) REBUILD=1 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "smoke_test.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

case "$(uname -s)" in
  Darwin) DEFAULT_EXE="$ROOT/dist/Tokenscope.app/Contents/MacOS/tokenscope" ;;
  MINGW*|MSYS*|CYGWIN*) DEFAULT_EXE="$ROOT/dist/tokenscope/tokenscope-cli.exe" ;;
  *) DEFAULT_EXE="$ROOT/dist/tokenscope/tokenscope" ;;
esac
EXE=${TOKENSCOPE_BUNDLE:-$DEFAULT_EXE}

T0=$(date +%s)
echo "Tokenscope bundle smoke test: $EXE"
FAILED=0
now() { date +%s.%N; }
record() {  # name status seconds detail
  local line
  line=$(printf '%-18s %-5s %6.1f s  %s' "$1" "$2" "$3" "$4")
  printf '%s\n' "$line"
  [ "$2" = FAIL ] && FAILED=1
  return 0
}
elapsed() { awk -v a="$(now)" -v b="$1" 'BEGIN { printf "%.1f", a - b }'; }

# --- the bundle -------------------------------------------------------------------------
if [ "$REBUILD" = 1 ] || [ ! -x "$EXE" ]; then
  s=$(now)
  if bash packaging/build_bundle.sh >/tmp/tokenscope-build.$$ 2>&1; then
    record build PASS "$(elapsed "$s")" "$(grep '^size=' /tmp/tokenscope-build.$$ | cut -d= -f2) in dist/"
  else
    tail -30 /tmp/tokenscope-build.$$ >&2
    record build FAIL "$(elapsed "$s")" "see the output above"
    rm -f /tmp/tokenscope-build.$$
    exit 1
  fi
  rm -f /tmp/tokenscope-build.$$
else
  record build SKIP 0 "reusing $EXE (--rebuild to build again)"
fi
BUNDLE_DIR=$(dirname "$EXE")

# --- a clean user: empty folders, no venv on PATH ----------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tokenscope-smoke.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export TOKENSCOPE_DATA_DIR="$WORK/data" TOKENSCOPE_CONFIG_DIR="$WORK/config" \
       TOKENSCOPE_CACHE_DIR="$WORK/cache" TOKENSCOPE_LOG_DIR="$WORK/logs" \
       TOKENSCOPE_MODELS_DIR="$WORK/models"
unset PYTHONPATH PYTHONHOME VIRTUAL_ENV
PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -vF "$VENV" | paste -sd: -)
export PATH

# --- the libraries resolve (Linux) -------------------------------------------------------
# A Qt plugin for a platform this system lacks (e.g. Wayland's on an X11-only machine) may
# stay unresolved (with the Qt libraries only those plugins load): Qt skips it. Anything
# else unresolved would break the app here.
if [ "$(uname -s)" = Linux ]; then
  s=$(now)
  core="" n_opt=0 opt_libs=""
  while IFS= read -r -d '' lib; do
    miss=$(LD_LIBRARY_PATH="$BUNDLE_DIR/_internal" ldd "$lib" 2>/dev/null | awk '/not found/ { print $1 }' | sort -u | paste -sd, -)
    [ -z "$miss" ] && continue
    case "$lib" in
      */plugins/*|*libQt6Wayland*|*libQt6Wl*) n_opt=$((n_opt + 1)); opt_libs+=",$miss" ;;
      *) core+=" ${lib##*/}($miss)" ;;
    esac
  done < <(find "$BUNDLE_DIR" -name '*.so*' -type f -print0)
  opt_libs=$(printf '%s' "$opt_libs" | tr ',' '\n' | grep -v '^$' | sort -u | paste -sd' ' -)
  if [ -n "$core" ]; then
    record libraries FAIL "$(elapsed "$s")" "unresolved here:$core"
  elif [ $n_opt -gt 0 ]; then
    record libraries PASS "$(elapsed "$s")" "all resolve; $n_opt optional Qt plugin files lack $opt_libs (absent here: Qt skips them)"
  else
    record libraries PASS "$(elapsed "$s")" "every bundled library's dependencies resolve here"
  fi
fi

# --- --version ---------------------------------------------------------------------------
s=$(now)
out=$("$EXE" --version 2>&1); rc=$?
if [ $rc = 0 ] && [[ "$out" == Tokenscope\ * ]]; then
  record --version PASS "$(elapsed "$s")" "$out"
else
  record --version FAIL "$(elapsed "$s")" "exit $rc: $out"
fi

# --- doctor: build report + the crash probe, in the bundle -------------------------------
s=$(now)
out=$("$EXE" doctor 2>&1); rc=$?
probe=$(printf '%s\n' "$out" | grep -m1 'crash probe' | sed 's/^crash probe: *//')
backend=$(printf '%s\n' "$out" | grep -m1 '^llama.cpp:' | sed 's/^llama.cpp: *//')
if [ $rc = 0 ] && [[ "$probe" == OK* ]]; then
  record doctor PASS "$(elapsed "$s")" "probe $probe; $backend"
else
  printf '%s\n' "$out" >&2
  record doctor FAIL "$(elapsed "$s")" "exit $rc; probe: ${probe:-none}"
fi

# --- a headless chat on a tiny model -----------------------------------------------------
MODEL="$WORK/tiny.gguf"
if ! "$VPY" -c "import sys; from desktop.core.tiny_model import write_tiny_llama; write_tiny_llama(sys.argv[1])" "$MODEL" >/dev/null 2>&1; then
  record tiny-model FAIL 0 "could not write it with $VPY"
else
  s=$(now)
  out=$("$EXE" chat -m "$MODEL" --temp 0 --max-tokens 8 --trace "$WORK/trace.jsonl" "Hello" 2>&1); rc=$?
  lines=$(wc -l < "$WORK/trace.jsonl" 2>/dev/null || echo 0)
  if [ $rc = 0 ] && [ "$lines" -ge 1 ]; then
    record chat PASS "$(elapsed "$s")" "$lines traced tokens"
  else
    printf '%s\n' "$out" >&2
    record chat FAIL "$(elapsed "$s")" "exit $rc, $lines traced tokens"
  fi
fi

# --- the newer parts in the bundle: samplers + grammar, scoring, the tokenizer lab -------
if [ -f "$MODEL" ]; then
  s=$(now)
  printf 'root ::= "a" | "b"\n' > "$WORK/g.gbnf"
  printf 'The quick brown fox.' > "$WORK/text.txt"
  o1=$("$EXE" chat -m "$MODEL" --max-tokens 3 --dry-multiplier 0.8 --xtc-probability 0.5 \
        --grammar "$WORK/g.gbnf" "Hi" 2>&1); r1=$?
  o2=$("$EXE" score -m "$MODEL" --json "$WORK/text.txt" 2>&1); r2=$?
  o3=$("$EXE" lab tokenizers --sample en --vocab-size 1000 --json 2>&1); r3=$?
  if [ $r1 = 0 ] && [ $r2 = 0 ] && [ $r3 = 0 ]; then
    record lenses PASS "$(elapsed "$s")" "DRY+XTC+grammar chat, score, tokenizer lab (sentencepiece)"
  else
    printf '%s\n%s\n%s\n' "$o1" "$o2" "$o3" | tail -20 >&2
    record lenses FAIL "$(elapsed "$s")" "exit codes chat $r1, score $r2, lab $r3"
  fi
fi

# --- the Hub: search and download through huggingface_hub, in the bundle ----------------
# Against the loopback Hub of the test suite (tests/hub_server.py, needs the dev install);
# huggingface_hub imports much lazily, which is what a bundle can miss.
HUB_CODE='
import sys, time
from pathlib import Path
from tests.hub_server import FakeHub
hub = FakeHub().start()
hub.add_repo("tokenscope/Tiny-GGUF", {"tiny-Q8_0.gguf": Path(sys.argv[1]).read_bytes()})
Path(sys.argv[2]).write_text(hub.url)
while True:
    time.sleep(3600)
'
if [ -f "$MODEL" ] && "$VPY" -c "import tests.hub_server" >/dev/null 2>&1; then
  s=$(now)
  "$VPY" -c "$HUB_CODE" "$MODEL" "$WORK/hub.url" >"$WORK/hub.out" 2>&1 &
  hub_pid=$!
  for _ in $(seq 100); do [ -s "$WORK/hub.url" ] && break; sleep 0.1; done
  url=$(cat "$WORK/hub.url" 2>/dev/null)
  export HF_ENDPOINT="$url" HF_HOME="$WORK/hf" HF_HUB_DISABLE_XET=1 HF_HUB_DISABLE_IMPLICIT_TOKEN=1
  found=$("$EXE" models search tiny 2>&1); rc1=$?
  got=$("$EXE" models get tokenscope/Tiny-GGUF --quant Q8_0 2>&1); rc2=$?
  listed=$("$EXE" models list 2>&1); rc3=$?
  kill $hub_pid 2>/dev/null; wait $hub_pid 2>/dev/null
  unset HF_ENDPOINT HF_HOME HF_HUB_DISABLE_XET HF_HUB_DISABLE_IMPLICIT_TOKEN
  if [ -n "$url" ] && [ $rc1 = 0 ] && [ $rc2 = 0 ] && [ $rc3 = 0 ] \
     && grep -q "Tiny-GGUF" <<<"$found" && grep -q "tiny-Q8_0" <<<"$listed"; then
    record hub PASS "$(elapsed "$s")" "search, download and library on a loopback Hub"
  else
    printf '%s\n---\n%s\n---\n%s\n' "$found" "$got" "$listed" | tail -30 >&2
    record hub FAIL "$(elapsed "$s")" "exit $rc1/$rc2/$rc3 (search/get/list)"
  fi
else
  record hub SKIP 0 "needs tests/hub_server.py and the dev install (install.sh --dev)"
fi

# --- the window, offscreen: opens, then closes on SIGTERM --------------------------------
s=$(now)
log="$TOKENSCOPE_LOG_DIR/tokenscope.log"
QT_QPA_PLATFORM=offscreen "$EXE" --model "$MODEL" >"$WORK/gui.out" 2>&1 &
pid=$!
opened=0
for _ in $(seq $((GUI_WAIT * 2))); do
  if grep -q "window open" "$log" 2>/dev/null; then opened=1; break; fi
  kill -0 $pid 2>/dev/null || break
  sleep 0.5
done
open_s=$(elapsed "$s")
if [ $opened = 1 ]; then
  sleep 3  # let it load the model and paint
  kill -TERM $pid 2>/dev/null
  for _ in $(seq 40); do kill -0 $pid 2>/dev/null || break; sleep 0.5; done
  if kill -0 $pid 2>/dev/null; then
    kill -KILL $pid 2>/dev/null; wait $pid 2>/dev/null
    record gui FAIL "$(elapsed "$s")" "window opened in $open_s s but did not close on SIGTERM"
  else
    wait $pid; rc=$?
    crash=$(grep -E -m1 'Traceback|Fatal Python error|Segmentation fault|Aborted' "$WORK/gui.out" "$log" 2>/dev/null)
    if [ $rc = 0 ] && [ -z "$crash" ]; then
      record gui PASS "$(elapsed "$s")" "window opened in $open_s s, closed cleanly (exit 0)"
    elif [ $rc = 143 ] && [ -z "$crash" ]; then
      record gui WARN "$(elapsed "$s")" "window opened; SIGTERM killed it (the app has no SIGTERM handler)"
    else
      tail -20 "$WORK/gui.out" >&2
      record gui FAIL "$(elapsed "$s")" "exit $rc after SIGTERM ${crash:+($crash)}"
    fi
  fi
else
  kill -KILL $pid 2>/dev/null; wait $pid 2>/dev/null
  tail -20 "$WORK/gui.out" >&2
  record gui FAIL "$(elapsed "$s")" "no window within ${GUI_WAIT} s"
fi

# --- summary -----------------------------------------------------------------------------
total=$(( $(date +%s) - T0 ))
if [ $FAILED = 0 ]; then echo "PASSED in ${total} s"; else echo "FAILED in ${total} s"; fi
exit $FAILED
