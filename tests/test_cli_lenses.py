"""``tokenscope step | score | compare | quantize`` run as a user would (real models)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.cli import main

TEXT = "The capital of France is Paris. It is a beautiful city.\n"
ROW_KEYS = {"index", "token", "text", "p", "rank", "surprisal_bits", "entropy_bits", "bucket",
            "top"}


def run_step(model: Path, stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    return subprocess.run(
        [sys.executable, "-m", "desktop.cli", "step", "-m", str(model), "--ctx", "256",
         "--threads", "2", "--seed", "3", *args],
        input=stdin, capture_output=True, text=True, timeout=300, env=env,
    )


def test_step_loop_samples_picks_types_and_undoes(tiny_model: Path) -> None:
    proc = run_step(tiny_model, "\n2\n fox\nu\n=3\nq\n", "--top", "4", "Hello")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Step mode with" in proc.stderr and "Enter" in proc.stderr
    assert out.count("(sampled)") == 1 and out.count("(chosen)") == 1
    assert "(typed)" in out and "(undone)" in out
    assert "   1  " in out and "   4  " in out  # numbered candidates
    assert "← the sampler's draw" in out
    assert out.rstrip().splitlines()[-1].startswith("The reply:")
    assert out.rstrip().endswith("3")  # =3 appended the text "3", not candidate 3


def test_step_is_reproducible_and_saves_a_branch(tiny_model: Path) -> None:
    a = run_step(tiny_model, "\n\n\n\nq\n", "--raw", "The quick")
    b = run_step(tiny_model, "\n\n\n\nq\n", "--raw", "The quick", "--save")
    assert a.returncode == b.returncode == 0
    assert a.stdout == b.stdout
    assert "Saved as conversation" in b.stderr


def test_step_takes_every_sampler_flag_chat_takes(tiny_model: Path, tmp_path: Path) -> None:
    """The same sampler flags as ``chat`` (one table): a grammar constrains every draw,
    and DRY/XTC/mirostat flags are accepted and range-checked."""
    grammar = tmp_path / "yes.gbnf"
    grammar.write_text('root ::= "yes" | "no"\n', encoding="utf-8")
    proc = run_step(tiny_model, "\n\n\n\n\nq\n", "--raw", "--grammar", str(grammar),
                    "--dry-multiplier", "0.8", "--xtc-probability", "0.5", "--seed", "3",
                    "Answer:")
    assert proc.returncode == 0, proc.stderr
    reply = proc.stdout.rstrip().splitlines()[-1]
    assert reply.startswith("The reply:")
    # the grammar allows only "yes" or "no", then only the end of the turn (not shown)
    assert reply.removeprefix("The reply:").strip() in ("yes", "no")
    # the tokens the grammar allows are listed (numbered) even when they rank low
    assert "kept by the sampler" in proc.stdout or "← the sampler's draw" in proc.stdout
    bad = run_step(tiny_model, "q\n", "--mirostat", "3", "Hi")
    assert bad.returncode == 2 and "--mirostat" in bad.stderr


def test_score_json_schema(tiny_model: Path, tmp_path: Path, capsys) -> None:
    f = tmp_path / "t.txt"
    f.write_text(TEXT, encoding="utf-8")
    assert main(["score", "-m", str(tiny_model), "--ctx", "256", "--threads", "2", str(f),
                 "--json", "--top", "3"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"model", "mode", "context", "n_context", "n_tokens", "perplexity",
            "mean_surprisal_bits", "buckets", "unscored", "tokens"} <= set(data)
    assert data["mode"] == "batched" and data["context"] == "raw"
    assert set(data["buckets"]) == {"top-10", "top-100", "top-1000", "beyond"}
    assert sum(data["buckets"].values()) == data["n_tokens"] == len(data["tokens"])
    for row in data["tokens"]:
        assert set(row) == ROW_KEYS
        assert len(row["top"]) == 3 and set(row["top"][0]) == {"token", "text", "p"}
    text = "".join(u["text"] for u in data["unscored"]) + "".join(
        r["text"] for r in data["tokens"])
    assert text.replace("▁", " ").strip() == TEXT.strip()


def test_score_reads_stdin_colours_and_saves(tiny_model: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.run(
        [sys.executable, "-m", "desktop.cli", "score", "-m", str(tiny_model), "--ctx", "256",
         "--threads", "2", "-", "--exact", "--color", "always", "--save"],
        input=TEXT, capture_output=True, text=True, timeout=300, env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert "\x1b[48;5;" in proc.stdout and "perplexity" in proc.stdout
    assert "exact mode" in proc.stdout and "top-1000" in proc.stdout
    assert "Saved as result" in proc.stderr


def test_compare_refuses_one_model_and_different_vocabularies(tiny_model: Path, smollm2: Path,
                                                              tmp_path: Path, capsys) -> None:
    f = tmp_path / "t.txt"
    f.write_text(TEXT, encoding="utf-8")
    assert main(["compare", "-m", str(tiny_model), str(f)]) == 2
    rc = main(["compare", "-m", str(tiny_model), "-m", str(smollm2), "--threads", "2", str(f)])
    assert rc == 1
    assert "vocabular" in capsys.readouterr().err


def test_out_of_range_numbers_are_usage_errors(tiny_model: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["step", "-m", str(tiny_model), "--temp", "-1"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["score", "-m", str(tiny_model), "--top", "50", "-"])
    assert exc.value.code == 2


@pytest.mark.slow
def test_quantize_then_compare_json(smollm2: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "smol-Q3_K_S.gguf"
    assert main(["quantize", "-m", str(smollm2), "--type", "Q3_K_S", "-o", str(out),
                 "--threads", "2"]) == 0
    assert out.is_file() and "Wrote" in capsys.readouterr().out
    f = tmp_path / "t.txt"
    f.write_text(TEXT, encoding="utf-8")
    assert main(["compare", "-m", str(smollm2), "-m", str(out), "--threads", "2", str(f),
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["kl_direction"] == "KL(A||B)" and data["kl_unit"] == "bits"
    assert data["mean_kl_bits"] > 0.01 and data["perplexity_b"] > data["perplexity_a"]
    row = data["rows"][0]
    assert {"index", "token", "text", "p_a", "p_b", "rank_a", "rank_b", "kl_bits", "top1_a",
            "top1_b", "top1_a_text", "top1_b_text", "agree", "rank_shift"} == set(row)


def test_step_input_a_number_not_listed_is_refused_and_quit_quits(tiny_model: Path) -> None:
    proc = run_step(tiny_model, "7\n=7\nQuit\n", "--top", "3", "Count")
    assert proc.returncode == 0, proc.stderr
    assert "only 1-3 are listed; =7 appends the text '7'" in proc.stdout
    last = proc.stdout.rstrip().splitlines()[-1]
    assert last.startswith("The reply:") and last.endswith("7") and "77" not in last


@pytest.mark.slow
def test_step_on_a_model_without_a_template_says_which_format_and_how_to_go_raw(
    gemma3: Path,
) -> None:
    proc = run_step(gemma3, "q\n", "Hi")
    assert proc.returncode == 0, proc.stderr
    assert "no template in the file" in proc.stderr and "--raw" in proc.stderr
