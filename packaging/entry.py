"""The frozen app's entry point (the script of packaging/tokenscope.spec).

A PyInstaller bundle has no Python interpreter to run ``python -m desktop.core.backend
--probe-child MODEL``: ``sys.executable`` is the app itself. So the app answers that command
line too, in either form:

  tokenscope --probe-child MODEL                            (what a frozen-aware run_probe sends)
  tokenscope -m desktop.core.backend --probe-child MODEL    (what python -m would have got)

Anything else goes to the normal command line, ``desktop.cli.main``.
"""

from __future__ import annotations

import sys

PROBE_FLAG = "--probe-child"
PROBE_MODULE = "desktop.core.backend"


def probe_model(argv: list[str]) -> str | None:
    """The model path when ``argv`` (without the program name) asks for the crash probe."""
    if len(argv) == 2 and argv[0] == PROBE_FLAG:
        return argv[1]
    if len(argv) == 4 and argv[:3] == ["-m", PROBE_MODULE, PROBE_FLAG]:
        return argv[3]
    return None


def main() -> int:
    model = probe_model(sys.argv[1:])
    if model is not None:
        from desktop.core.backend import _probe_child

        _probe_child(model)
        return 0
    from desktop.cli import main as cli_main

    return int(cli_main())


if __name__ == "__main__":
    sys.exit(main())
