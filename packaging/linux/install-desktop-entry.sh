#!/usr/bin/env bash
# Put Tokenscope in your desktop's application menu (this user only; no root needed):
# the .desktop entry, the icons and the AppStream metadata under ~/.local/share.
#
#   bash packaging/linux/install-desktop-entry.sh                   # the bundle in dist/, else .venv
#   bash packaging/linux/install-desktop-entry.sh /opt/tokenscope/tokenscope
#   bash packaging/linux/install-desktop-entry.sh --uninstall
#
# The entry runs the executable by its absolute path (neither .venv/bin nor a bundle folder
# is usually on PATH). Env: XDG_DATA_HOME (default ~/.local/share).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
APP_ID=io.github.tokenscope.Tokenscope
ICON=tokenscope
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
SIZES="16 24 32 48 64 128 256 512"

refresh() {
  command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$DATA/applications" 2>/dev/null || true
  command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$DATA/icons/hicolor" 2>/dev/null || true
  return 0
}

if [ "${1:-}" = "--uninstall" ]; then
  rm -f "$DATA/applications/$APP_ID.desktop" "$DATA/metainfo/$APP_ID.metainfo.xml" \
        "$DATA/icons/hicolor/scalable/apps/$ICON.svg"
  for s in $SIZES; do rm -f "$DATA/icons/hicolor/${s}x${s}/apps/$ICON.png"; done
  refresh
  echo "Removed Tokenscope's menu entry from $DATA"
  exit 0
fi
case "${1:-}" in -h|--help) sed -n '2,10p' "$0"; exit 0 ;; esac

EXE=${1:-}
if [ -z "$EXE" ]; then
  for cand in "$ROOT/dist/tokenscope/tokenscope" "$ROOT/.venv/bin/tokenscope"; do
    if [ -x "$cand" ]; then EXE=$cand; break; fi
  done
fi
[ -n "$EXE" ] && [ -x "$EXE" ] || {
  echo "install-desktop-entry.sh: no tokenscope executable found; build it (bash packaging/install.sh" \
       "or bash packaging/build_bundle.sh) or pass its path" >&2
  exit 1
}
EXE=$(cd "$(dirname "$EXE")" && pwd)/$(basename "$EXE")

ICONS="$ROOT/resources/icons"
[ -f "$ICONS/hicolor/256x256/apps/$ICON.png" ] || {
  echo "install-desktop-entry.sh: the icons are missing; run: QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/render_icons.py" >&2
  exit 1
}

# Exec: quoted (the desktop entry spec's rules) when the path has spaces or quotes.
exec_value=$EXE
case "$EXE" in
  *[[:space:]\"\'\\\`\$]*)
    exec_value="\"$(printf '%s' "$EXE" | sed -e 's/[\\"`$]/\\\\&/g')\"" ;;
esac

mkdir -p "$DATA/applications" "$DATA/metainfo" "$DATA/icons/hicolor/scalable/apps"
entry="$DATA/applications/$APP_ID.desktop"
awk -v exec_line="Exec=$exec_value" -v try_line="TryExec=$EXE" '
  /^Exec=/ { print exec_line; next }
  /^TryExec=/ { print try_line; next }
  { print }
' "$HERE/$APP_ID.desktop" > "$entry"
chmod 644 "$entry"
cp "$HERE/$APP_ID.metainfo.xml" "$DATA/metainfo/"
cp "$ICONS/hicolor/scalable/apps/$ICON.svg" "$DATA/icons/hicolor/scalable/apps/"
for s in $SIZES; do
  mkdir -p "$DATA/icons/hicolor/${s}x${s}/apps"
  cp "$ICONS/hicolor/${s}x${s}/apps/$ICON.png" "$DATA/icons/hicolor/${s}x${s}/apps/"
done
if command -v desktop-file-validate >/dev/null 2>&1; then
  desktop-file-validate "$entry"
fi
refresh
echo "Installed Tokenscope's menu entry: $entry"
echo "  runs: $EXE"
