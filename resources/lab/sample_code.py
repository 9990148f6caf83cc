"""A small word counter: reads text files and prints the most common words."""

import argparse
import collections
import re
from pathlib import Path

WORD = re.compile(r"[A-Za-z']+")


def words(text: str) -> list[str]:
    """The lower-case words of ``text``."""
    return [w.lower() for w in WORD.findall(text)]


def count_files(paths: list[Path]) -> collections.Counter[str]:
    counts: collections.Counter[str] = collections.Counter()
    for path in paths:
        try:
            counts.update(words(path.read_text(encoding="utf-8")))
        except OSError as exc:
            print(f"skipping {path}: {exc}")
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("-n", "--top", type=int, default=10)
    args = parser.parse_args()
    counts = count_files(args.files)
    for word, n in counts.most_common(args.top):
        print(f"{n:>8}  {word}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
