"""Chat templates: the model's own (sandboxed), hostile ones refused, the fallback."""

from __future__ import annotations

import pytest

from desktop.core.chat import ChatTemplate, Message
from desktop.core.errors import TemplateError
from desktop.core.tiny_model import CHATML_TEMPLATE

CONV = [Message("system", "Be brief."), Message("user", "Hi"), Message("assistant", "Hello!"),
        Message("user", "你好")]


def test_chatml_renders_with_generation_prompt() -> None:
    t = ChatTemplate(CHATML_TEMPLATE)
    out = t.render(CONV)
    assert out.startswith("<|im_start|>system\nBe brief.<|im_end|>\n")
    assert out.endswith("<|im_start|>user\n你好<|im_end|>\n<|im_start|>assistant\n")
    assert not t.render(CONV, add_generation_prompt=False).endswith("assistant\n")


@pytest.mark.parametrize(
    "hostile",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
        "{% for m in messages %}{{ m.__class__.__init__.__globals__ }}{% endfor %}",
    ],
)
def test_a_template_reaching_for_python_internals_is_refused(hostile: str) -> None:
    with pytest.raises(TemplateError, match=r"stopped|malicious|failed"):
        ChatTemplate(hostile).render(CONV)


def test_raise_exception_in_template_is_a_clear_error() -> None:
    t = ChatTemplate("{{ raise_exception('Conversation roles must alternate') }}")
    with pytest.raises(TemplateError, match="roles must alternate"):
        t.render(CONV)


def test_broken_jinja_is_a_clear_error() -> None:
    with pytest.raises(TemplateError, match="not valid Jinja"):
        ChatTemplate("{% for %}")


def test_fallback_template_for_models_without_one() -> None:
    t = ChatTemplate(None)
    assert t.is_fallback and t.stops == ("\nUser:",)
    out = t.render(CONV)
    assert out.startswith("Be brief.\n\nUser: Hi\nAssistant: Hello!\nUser: 你好\n")
    assert out.endswith("Assistant:")
