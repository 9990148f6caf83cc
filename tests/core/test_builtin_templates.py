"""Models without a chat template get llama.cpp's built-in one when it can be known."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.core.builtin_templates import BuiltinTemplate, apply_builtin, builtin_names, detect
from desktop.core.chat import Message
from desktop.core.engine import Engine, LoadOptions
from desktop.core.errors import TemplateError
from desktop.core.prompt import tokenize_prompt
from desktop.core.session import template_for
from tests.models import spm_vocab_with, write_tiny_spm_model

MARKERS = {
    "chatml": ["<|im_start|>", "<|im_end|>"],
    "llama3": ["<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"],
    "gemma": ["<start_of_turn>", "<end_of_turn>"],
}


def test_llama_cpp_lists_its_builtin_templates_and_renders_them() -> None:
    names = builtin_names()
    assert {"chatml", "gemma", "llama3"} <= set(names)
    out = apply_builtin("gemma", [Message("user", "Hi")])
    assert out == "<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n"
    with pytest.raises(TemplateError, match="no built-in"):
        apply_builtin("no-such-format", [Message("user", "Hi")])


@pytest.mark.parametrize("name", MARKERS)
def test_detected_from_the_models_control_tokens(name: str) -> None:
    assert detect(MARKERS[name] + ["<unk>", "<mask>"]) == name


def test_detected_from_the_architecture_when_markers_say_nothing() -> None:
    assert detect(["<s>", "</s>"], architecture="gemma3") == "gemma"
    assert detect(["<s>", "</s>"], architecture="llama") is None


@pytest.mark.parametrize("name", MARKERS)
def test_a_tiny_model_without_a_template_chats_in_its_format(tmp_path: Path, name: str) -> None:
    path = write_tiny_spm_model(tmp_path / f"{name}.gguf", vocab=spm_vocab_with(MARKERS[name]),
                                chat_template=None)
    with Engine(path, LoadOptions(n_ctx=512, n_threads=2)) as e:
        assert e.chat_template is None
        t = template_for(e)
        assert isinstance(t, BuiltinTemplate) and t.builtin == name
        assert "no template in the file" in t.reason and name in t.reason
        # the template's markers are real control tokens; typed ones stay text
        msgs = [Message("user", "Hi " + " ".join(MARKERS[name]))]
        tokens = tokenize_prompt(e, t.render_prompt(msgs), None)
        typed = sum(1 for tok in tokens if e.is_special(tok))
        plain = tokenize_prompt(e, t.render_prompt([Message("user", "Hi")]), None)
        assert typed == sum(1 for tok in plain if e.is_special(tok))
        assert isinstance(template_for(e, "plain"), type(template_for(e, "file")))
        assert template_for(e, "chatml").builtin == "chatml"  # type: ignore[attr-defined]
        with pytest.raises(TemplateError, match="Unknown chat format"):
            template_for(e, "bogus")


@pytest.mark.slow
def test_gemma3_from_pypi_chats_through_gemmas_template(gemma3: Path) -> None:
    from desktop.core.generation import DoneEvent
    from desktop.core.sampling import SamplerSettings
    from desktop.core.session import ChatSession

    with Engine(gemma3, LoadOptions(n_ctx=1024, n_threads=2)) as e:
        session = ChatSession(e, SamplerSettings(temperature=0), max_tokens=8)
        assert isinstance(session.template, BuiltinTemplate)
        assert session.template.builtin == "gemma"
        done = list(session.send("What is the capital of France?"))[-1]
        assert isinstance(done, DoneEvent)
        node = session.conversation.nodes[session.conversation.leaf]
        text = b"".join(e.piece(t) for t in node.prompt_tokens).decode()
        assert text.startswith("<bos><start_of_turn>user\n")
        assert text.endswith("<end_of_turn>\n<start_of_turn>model\n")
