"""``tokenscope lab …`` as a user runs it (in-process, real tiny model; Ctrl+C in a real
subprocess)."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.cli import main

SMALL = ["--ctx", "512", "--threads", "2"]


def test_needle_json(tiny_model, capsys) -> None:
    rc = main(["lab", "needle", "-m", str(tiny_model), *SMALL, "--lengths", "32,64",
               "--depths", "0,100", "--json"])
    captured = capsys.readouterr()
    assert rc == 0
    data = json.loads(captured.out)
    assert data["kind"] == "lab.needle" and data["lengths"] == [32, 64]
    assert data["depths"] == [0.0, 100.0] and len(data["cells"]) == 4
    cell = data["cells"][0]
    assert set(cell) == {"length", "depth", "pos", "offset", "n_prompt", "logprob",
                         "p_answer", "greedy", "seconds"}
    assert {"needle", "question", "opening", "answer"} <= set(data["needle"])
    assert "needle: 4/4" in captured.err  # progress on stderr


def test_numbers_csv_and_json(tiny_model, capsys) -> None:
    assert main(["lab", "numbers", "-m", str(tiny_model), *SMALL, "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 100 and rows[0]["n"] == "1"
    assert main(["lab", "numbers", "-m", str(tiny_model), *SMALL, "--json", "--samples", "2",
                 "--temperature", "0.5"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= {"kind", "model", "prompt", "temperature", "mass", "entropy_bits",
                         "uniform_bits", "top5", "distribution", "samples"}
    assert data["temperature"] == 0.5 and sum(data["samples"].values()) == 2
    assert sum(data["distribution"].values()) == pytest.approx(data["mass"])


def test_repetition_and_tokenizers(tiny_model, capsys) -> None:
    assert main(["lab", "repetition", "-m", str(tiny_model), *SMALL, "--max-k", "2",
                 "--sentence", "Hello world.", "--repeat-penalty", "1.5", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [p["k"] for p in data["points"]] == [0, 1, 2]
    assert data["penalties"]["repeat_penalty"] == 1.5
    assert main(["lab", "tokenizers", "--sample", "zh", "--vocab-size", "1000",
                 "--spm-type", "unigram", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [t["tokenizer"] for t in data["tokenizations"]] == ["spm"]
    assert len(data["unfairness"]) == 4
    assert main(["lab", "tokenizers", "-m", str(tiny_model), "--text", "Hi there"]) == 0
    assert "chars/token" in capsys.readouterr().out


def test_out_of_range_is_a_usage_error(tiny_model, capsys) -> None:
    for bad in (["needle", "--depths", "0,150"], ["needle", "--lengths", "0"],
                ["numbers", "--temperature", "0.33"], ["repetition", "--max-k", "-1"],
                ["repetition", "--repeat-penalty", "0"]):
        with pytest.raises(SystemExit) as exc:
            main(["lab", bad[0], "-m", str(tiny_model), *bad[1:]])
        assert exc.value.code == 2
    assert "depth must be" in capsys.readouterr().err


def test_save_keeps_the_result(tiny_model, capsys) -> None:
    from desktop.core.results import list_results, load_result
    from desktop.core.store import Store

    assert main(["lab", "repetition", "-m", str(tiny_model), *SMALL, "--max-k", "1",
                 "--save"]) == 0
    assert "Saved as result" in capsys.readouterr().err
    saved = list_results(Store(), "lab.")
    assert saved and saved[0].kind == "lab.repetition"
    assert len(load_result(Store(), saved[0].id)[1]["points"]) == 2


def test_ctrl_c_cancels_cleanly(tiny_model) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "desktop.cli", "lab", "needle", "-m", str(tiny_model),
         "--ctx", "2048", "--threads", "1", "--lengths", "256,512,1024,1900",
         "--depths", ",".join(str(d) for d in range(0, 101, 5))],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    assert proc.stderr is not None
    line = proc.stderr.readline()  # the first progress line: the experiment is running
    assert "needle:" in line
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 130
    assert "cancelled" in err and "Traceback" not in err
    assert out == ""
