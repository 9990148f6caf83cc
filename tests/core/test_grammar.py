"""Grammar-constrained generation: llama.cpp's GBNF sampler as a stage that shows its mask."""

from __future__ import annotations

import json

import numpy as np
import pytest

from desktop.core.generation import DoneEvent, generate
from desktop.core.grammar import Grammar, GrammarError, gbnf_from_json_schema
from desktop.core.sampling import STAGE_NAMES, SamplerSettings

GRAMMAR_INDEX = STAGE_NAMES.index("grammar")


def run(engine, settings: SamplerSettings, text: str, n: int = 40) -> DoneEvent:
    prompt = engine.tokenize(text, add_bos=engine.add_bos)
    done = list(generate(engine, prompt, settings, max_tokens=n))[-1]
    assert isinstance(done, DoneEvent)
    return done


def test_the_reply_follows_the_grammar_and_the_trace_shows_the_mask(tiny_engine) -> None:
    s = SamplerSettings(grammar='root ::= ("yes" | "no") "."', temperature=1.5, seed=4)
    done = run(tiny_engine, s, "Is the sky blue?")
    assert done.text in ("yes.", "no.")
    for t in done.traces:
        assert t.notes and t.notes["grammar_masked"] > 0
        assert t.cand_cut is not None
        # every stored candidate the grammar forbids is marked as cut by the grammar stage
        allowed = t.cand_cut != GRAMMAR_INDEX
        assert t.token not in t.cand_ids[~allowed]


def test_invalid_gbnf_is_a_clear_error(tiny_engine) -> None:
    with pytest.raises(GrammarError, match="not valid GBNF"):
        Grammar(tiny_engine.vocab_handle, "root ::= undefined_rule")


def test_json_schema_becomes_gbnf_and_bad_schemas_are_clear_errors() -> None:
    gbnf = gbnf_from_json_schema(json.dumps({"type": "object", "properties": {
        "n": {"type": "integer"}}, "required": ["n"]}))
    assert "root ::=" in gbnf
    with pytest.raises(GrammarError, match="JSON schema"):
        gbnf_from_json_schema("{not json")


@pytest.mark.slow
def test_a_json_schema_constrained_reply_parses(smol_engine) -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string"},
              "age": {"type": "integer"}}, "required": ["name", "age"]}
    s = SamplerSettings(grammar=gbnf_from_json_schema(json.dumps(schema)), temperature=0.0)
    done = run(smol_engine, s, "<|im_start|>user\nA person as JSON<|im_end|>\n"
                               "<|im_start|>assistant\n", 60)
    data = json.loads(done.text)
    assert isinstance(data["name"], str) and isinstance(data["age"], int)
    masked = [t.notes["grammar_masked"] for t in done.traces if t.notes]
    assert masked and np.mean(masked) > 1000  # most of the vocabulary is masked at each step
