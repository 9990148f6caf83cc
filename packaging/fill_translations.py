"""Fill a Qt .ts file's unfinished messages from JSON files of translations.

    python packaging/fill_translations.py resources/translations/tokenscope_zh_CN.ts \
        resources/translations/zh_CN.d

A third argument names the .ts as it was before lupdate ran: a string whose class changed
keeps its translation. Each JSON file maps a context (the class that calls ``self.tr``) to
{source: translation}; the key "*" applies to every context. Features keep their strings'
translations in their own file, so that several branches can add strings without editing
the same .ts by hand: run ``bash packaging/update_translations.sh`` after a merge and the
.ts is rebuilt losslessly.
Prints the messages still unfinished (exit 1 if any).
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def _previous(path: str | None) -> dict[str, str]:
    """source -> translation from an earlier .ts (strings that moved to another class)."""
    if not path or not Path(path).exists():
        return {}
    out = {}
    for msg in ET.parse(path).getroot().iter("message"):
        tr = msg.find("translation")
        text = tr.text if tr is not None else None
        if tr is not None and msg.get("numerus") == "yes":
            text = tr.findtext("numerusform")
        if tr is not None and tr.get("type") != "unfinished" and text:
            out[msg.findtext("source") or ""] = text
    return out


def main(ts_path: str, json_dir: str, previous: str | None = None) -> int:
    before = _previous(previous)
    table: dict[str, dict[str, str]] = {}
    for f in sorted(Path(json_dir).glob("*.json")):
        for ctx, pairs in json.loads(f.read_text(encoding="utf-8")).items():
            table.setdefault(ctx, {}).update(pairs)
    tree = ET.parse(ts_path)
    missing = []
    for context in tree.getroot().iter("context"):
        name = context.findtext("name") or ""
        for msg in context.iter("message"):
            tr = msg.find("translation")
            if tr is None or tr.get("type") != "unfinished":
                continue
            src = msg.findtext("source") or ""
            text = (table.get(name, {}).get(src) or table.get("*", {}).get(src)
                    or before.get(src))
            if text:
                if msg.get("numerus") == "yes":  # one form per plural form (zh: one)
                    forms = tr.findall("numerusform") or [ET.SubElement(tr, "numerusform")]
                    for form in forms:
                        form.text = text
                else:
                    tr.text = text
                del tr.attrib["type"]
            else:
                missing.append(f"{name}: {src!r}")
    ET.indent(tree, space="    ")
    body = ET.tostring(tree.getroot(), encoding="unicode")
    Path(ts_path).write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n' + body + "\n", encoding="utf-8"
    )
    for m in missing:
        print(f"unfinished: {m}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
