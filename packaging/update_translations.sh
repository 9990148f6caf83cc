#!/usr/bin/env bash
# Extract the window's strings into the .ts files and compile them to .qm.
#
#   bash packaging/update_translations.sh          # update .ts, then build .qm
#   bash packaging/update_translations.sh --qm     # only build .qm from the .ts files
#
# New strings: add their translations to resources/translations/<locale>.d/<feature>.json
# ({"ClassName": {"English source": "译文"}}); they are filled in here. Or translate with Qt Linguist (pyside6-linguist resources/translations/tokenscope_zh_CN.ts)
# or any .ts editor; the app loads resources/translations/tokenscope_<locale>.qm.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${VENV:-.venv}/bin"
LOCALES=(zh_CN)
OUT=resources/translations
mkdir -p "$OUT"

if [[ "${1:-}" != "--qm" ]]; then
    mapfile -t SOURCES < <(find desktop/ui -name '*.py' -not -path '*/__pycache__/*' | sort)
    for loc in "${LOCALES[@]}"; do
        before=$(mktemp)
        cp "$OUT/tokenscope_${loc}.ts" "$before" 2>/dev/null || true
        "$BIN/pyside6-lupdate" -no-obsolete -locations none "${SOURCES[@]}" \
            -ts "$OUT/tokenscope_${loc}.ts"
        # new strings' translations live in resources/translations/<locale>.d/*.json;
        # strings that moved to another class keep theirs (from $before)
        "$BIN/python" packaging/fill_translations.py "$OUT/tokenscope_${loc}.ts" "$OUT/${loc}.d" \
            "$before" \
            || echo "update_translations: some strings are not translated yet (listed above)" >&2
        rm -f "$before"
        "$BIN/pyside6-lupdate" -no-obsolete -locations none "${SOURCES[@]}" \
            -ts "$OUT/tokenscope_${loc}.ts" >/dev/null  # back to lupdate's own layout
    done
fi
for loc in "${LOCALES[@]}"; do
    "$BIN/pyside6-lrelease" "$OUT/tokenscope_${loc}.ts" -qm "$OUT/tokenscope_${loc}.qm"
done
