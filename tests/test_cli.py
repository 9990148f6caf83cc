"""The command line, run as a user would (in-process, real models)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from desktop.cli import main


@pytest.mark.slow
def test_chat_answers_and_writes_a_truthful_trace(smollm2, tmp_path, capsys) -> None:
    trace = tmp_path / "trace.jsonl"
    rc = main(["chat", "-m", str(smollm2), "--temp", "0", "--trace", str(trace),
               "--max-tokens", "40", "What is the capital of France?"])
    out = capsys.readouterr().out
    assert rc == 0 and "Paris" in out
    rows = [json.loads(line) for line in trace.read_text().splitlines()]
    assert rows and [r["index"] for r in rows] == list(range(len(rows)))
    for r in rows:
        assert 0 < r["p_model"] <= 1
        ps = [c["p_model"] for c in r["top"]]
        assert ps == sorted(ps, reverse=True) and sum(ps) <= 1 + 1e-9
        assert r["top"][0]["token"] == r["token"]  # greedy: the chosen token first
        assert {"token", "text", "p_model"} <= set(r["top"][0])
    assert "".join(r["text"] for r in rows if r["text"] != "<|im_end|>").strip() in out


def test_chat_flags_reach_the_sampler(tiny_model, tmp_path, capsys) -> None:
    trace = tmp_path / "t.jsonl"
    args = ["chat", "-m", str(tiny_model), "--temp", "0.9", "--top-k", "5", "--seed", "11",
            "--max-tokens", "6", "--ctx", "256", "--threads", "2", "--trace", str(trace),
            "--system", "Be brief.", "--color", "always", "Hi"]
    assert main(args) == 0
    first = capsys.readouterr().out
    rows = [json.loads(line) for line in trace.read_text().splitlines()]
    assert all(r["rank"] <= 5 for r in rows)  # top-k 5: nothing ranked lower is drawn
    assert main(args) == 0
    assert capsys.readouterr().out == first  # same seed, same reply
    assert "\x1b[38;5;" in first  # coloured by probability


def test_interactive_chat_loop(tiny_model) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "desktop.cli", "chat", "-m", str(tiny_model), "--ctx", "256",
         "--max-tokens", "5", "--seed", "1"],
        input="Hello\n你好\n/quit\n", capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Ctrl+C stops a reply" in proc.stderr
    assert proc.stdout.count("> ") >= 2


def test_tokenize_json(tiny_model, capsys) -> None:
    assert main(["tokenize", "-m", str(tiny_model), "--json", "Hello 鬱"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["n_tokens"] == len(data["tokens"]) > 0
    assert any(t["text"].startswith("<0x") for t in data["tokens"])  # byte pieces shown honestly


def test_doctor_reports_build_and_probe(capsys) -> None:
    assert main(["doctor", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["llama_cpp"]["backend"] == "CPU"
    assert report["probe"]["ok"] is True
    assert "models" in report["paths"] and report["keyring"]


def test_missing_model_is_one_clear_line(tmp_path, capsys) -> None:
    assert main(["chat", "-m", str(tmp_path / "missing.gguf"), "hi"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("tokenscope: ") and "Traceback" not in err
