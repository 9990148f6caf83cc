"""`tokenscope models search|files|get` against the loopback Hub."""

from __future__ import annotations

import pytest

from desktop.core import library
from tests.core.hub_env import REPO, SMALL, Env


def run_cli(*argv: str) -> int:
    import argparse

    from desktop.cli_models import add_models_parser

    parser = argparse.ArgumentParser(prog="tokenscope")
    add_models_parser(parser.add_subparsers())
    args = parser.parse_args(["models", *argv])
    return int(args.func(args))


def test_cli_search_files_and_get(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("search", "tiny") == 0
    assert REPO in capsys.readouterr().out
    assert run_cli("files", REPO) == 0
    out = capsys.readouterr().out
    assert "Tiny-F16.gguf (2 parts)" in out and "Q4_K_M" in out and "fits" in out

    assert run_cli("get", REPO) == 1  # several files: the user must choose
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "use --quant" in err and "Tiny-Q8_0.gguf (Q8_0)" in err

    assert run_cli("get", REPO, "--quant", "f16") == 0
    captured = capsys.readouterr()
    assert captured.out.strip().endswith("Tiny-F16-00001-of-00002.gguf")
    assert "100%" in captured.err  # the progress bar, on stderr
    assert [e.name for e in library.list_models()] == [f"{REPO}/Tiny-F16"]


def test_cli_errors_are_one_line(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("get", "corp/Gated-GGUF", SMALL) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("tokenscope: ") and "HF_TOKEN" in err[-1]
    assert "Traceback" not in "\n".join(err)
    env.server.stop()
    assert run_cli("files", REPO) == 1
    assert "Cannot reach the Hugging Face Hub" in capsys.readouterr().err
