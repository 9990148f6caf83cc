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


BAD_FLAGS = [
    ("--repeat-penalty", "0"), ("--repeat-last-n", "-2"), ("--max-tokens", "0"),
    ("--temp", "nan"), ("--temp", "inf"), ("--temp", "-1"), ("--seed", "-2"),
    ("--ctx", "-5"), ("--top-k", "-3"), ("--top-p", "1.5"), ("--min-p", "-0.1"),
    ("--typical-p", "2"), ("--threads", "0"), ("--frequency-penalty", "nan"),
    ("--presence-penalty", "inf"), ("--seed", "4294967296"),
    ("--dry-multiplier", "-1"), ("--xtc-probability", "2"), ("--mirostat", "3"),
    ("--top-nsigma", "nan"), ("--dynatemp-range", "-0.5"), ("--logit-bias", "12x"),
    ("--thinking-budget", "-2"), ("--gpu-layers", "foo"),
]


@pytest.mark.parametrize(("flag", "value"), BAD_FLAGS)
def test_out_of_range_flags_are_usage_errors(tiny_model, capsys, flag: str, value: str) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["chat", "-m", str(tiny_model), flag, value, "hi"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {flag}" in err and "must" in err and "Traceback" not in err


def test_seed_minus_one_is_random_recorded_and_reproducible(tiny_model, tmp_path, capsys) -> None:
    trace = tmp_path / "t.jsonl"
    base = ["chat", "-m", str(tiny_model), "--ctx", "256", "--max-tokens", "8", "--temp", "1.5",
            "--top-k", "0", "--top-p", "1", "--min-p", "0"]
    assert main([*base, "--seed", "-1", "-v", "--trace", str(trace), "Hi"]) == 0
    out = capsys.readouterr()
    rows = [json.loads(line) for line in trace.read_text().splitlines()]
    seed = rows[0]["seed"]
    assert isinstance(seed, int) and all(r["seed"] == seed for r in rows)
    assert f"seed {seed}" in out.err  # --verbose says it too
    assert main([*base, "--seed", str(seed), "Hi"]) == 0
    assert capsys.readouterr().out == out.out  # the recorded seed reproduces the reply


def test_special_values_run(tiny_model, tmp_path, capsys) -> None:
    trace = tmp_path / "t.jsonl"
    args = ["chat", "-m", str(tiny_model), "--ctx", "0", "--max-tokens", "-1",
            "--repeat-last-n", "-1", "--repeat-penalty", "1.3", "--temp", "0",
            "--trace", str(trace), "Hello " * 40]
    assert main(args) == 0
    rows = [json.loads(line) for line in trace.read_text().splitlines()]
    assert rows  # generated until end of turn or a full context


def test_repeat_last_n_minus_one_penalises_the_whole_context(tiny_engine) -> None:
    from desktop.core.generation import DoneEvent, generate
    from desktop.core.sampling import SamplerSettings

    prompt = tiny_engine.tokenize("The quick brown fox jumps over the lazy dog. " * 12,
                                  add_bos=True)
    assert len(prompt) > 64
    s = SamplerSettings(repeat_last_n=-1, repeat_penalty=1.5, seed=1)
    done = list(generate(tiny_engine, prompt, s, max_tokens=3))[-1]
    assert isinstance(done, DoneEvent)
    for t in done.traces:
        assert len(t.history) == t.position  # every earlier token, not the last 64


def test_interactive_reset_starts_a_new_conversation(tiny_model) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "desktop.cli", "chat", "-m", str(tiny_model), "--ctx", "512",
         "--max-tokens", "3", "--seed", "1", "-v"],
        input="Hello there\n/reset\nHello there\n/quit\n", capture_output=True, text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "a new conversation" in proc.stderr
    prompts = [line.split("prompt ")[1].split(" tokens")[0]
               for line in proc.stderr.splitlines() if line.startswith("[seed")]
    assert len(prompts) == 2 and prompts[0] == prompts[1]  # no earlier turns after /reset


def test_tokenize_says_whether_specials_were_parsed(tiny_model, capsys) -> None:
    assert main(["tokenize", "-m", str(tiny_model), "<|im_end|>"]) == 0
    out = capsys.readouterr().out
    assert "(special)" not in out and "not parsed" in out
    assert main(["tokenize", "-m", str(tiny_model), "--special", "--json", "<|im_end|>"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["special_parsed"] is True
    assert [t["special"] for t in data["tokens"]] == [True]


@pytest.mark.slow
def test_gemma_whitespace_tokens_are_not_labelled_special(gemma3, capsys) -> None:
    assert main(["tokenize", "-m", str(gemma3), "--special", "--json",
                 "<start_of_turn>user\n\n\n  hi<end_of_turn>"]) == 0
    rows = json.loads(capsys.readouterr().out)["tokens"]
    special = {r["text"]: r["special"] for r in rows}
    assert special["<start_of_turn>"] and special["<end_of_turn>"]
    assert not any(v for k, v in special.items() if not k.strip())  # whitespace runs: text


def test_a_model_with_a_broken_template_warns_and_chats(tmp_path, capsys) -> None:
    from tests.models import write_tiny_spm_model

    path = write_tiny_spm_model(tmp_path / "broken.gguf", chat_template="{% for %}")
    assert main(["chat", "-m", str(path), "--ctx", "256", "--max-tokens", "3", "hi"]) == 0
    err = capsys.readouterr().err
    assert "warning" in err and "not valid Jinja" in err and "plain template" in err


def test_modern_sampler_flags_reach_the_trace(tiny_model, tmp_path, capsys) -> None:
    trace = tmp_path / "t.jsonl"
    grammar = tmp_path / "g.gbnf"
    grammar.write_text('root ::= "yes" | "no"')
    args = ["chat", "-m", str(tiny_model), "--ctx", "256", "--max-tokens", "4", "--seed", "5",
            "--dry-multiplier", "0.8", "--xtc-probability", "0.5", "--top-nsigma", "2",
            "--dynatemp-range", "0.2", "--logit-bias", "5+1", "--grammar", str(grammar),
            "--trace", str(trace), "Is it?"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.strip() in ("yes", "no")
    rows = [json.loads(line) for line in trace.read_text().splitlines()]
    assert all("grammar_masked" in r["samplers"] and "temperature" in r["samplers"]
               for r in rows)
    assert main([*args[:-3], "--mirostat", "2", "Hi"]) == 0  # mirostat replaces the chain
    first = capsys.readouterr().out
    assert main([*args[:-3], "--mirostat", "2", "Hi"]) == 0
    assert capsys.readouterr().out == first  # same seed, same mirostat draws


def test_usage_problems_found_before_loading_are_exit_2(tiny_model, tmp_path, capsys) -> None:
    bad_ref = tmp_path / "ref.json"
    bad_ref.write_text('{"$ref": "#/nope"}')
    array = tmp_path / "array.json"
    array.write_text("[1, 2]")
    grammar = tmp_path / "g.gbnf"
    grammar.write_text('root ::= "a"')
    for extra in (["--json-schema", str(bad_ref)], ["--json-schema", str(array)],
                  ["--grammar", str(grammar), "--json-schema", str(array)],
                  ["--chat-format", "bogus"], ["--logit-bias", "99999999+1"]):
        assert main(["chat", "-m", str(tiny_model), "--ctx", "256", *extra, "hi"]) == 2, extra
        err = capsys.readouterr().err
        assert err.startswith("tokenscope: ") and "Traceback" not in err
    assert main(["chat", "hi"]) == 2  # no model given
    assert "-m/--model is required" in capsys.readouterr().err
    assert main(["chat", "--chat-format", "list"]) == 0  # no model needed
    assert "gemma" in capsys.readouterr().out.split()
