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


BROKEN_TEMPLATES = {
    "syntax": "{% for %}",
    "undefined": "{{ messages[0].content.nope.deeper }}",
    "security": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "overflow": "{% for i in range(10**8) %}x{% endfor %}",
    "huge string": "{{ 'x' * 10**10 }}",
    "huge power": "{{ 7 ** 1000000000 }}",
    "recursion": "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
    "slow": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
}


@pytest.mark.parametrize("kind", BROKEN_TEMPLATES)
def test_a_template_that_cannot_render_falls_back_visibly(kind: str) -> None:
    import time

    t0 = time.monotonic()
    t = ChatTemplate.for_model(BROKEN_TEMPLATES[kind])
    assert time.monotonic() - t0 < 10  # the render deadline is 2 s
    assert t.is_fallback and t.fallback_reason
    assert "chat template" in t.fallback_reason and "plain template" in t.fallback_reason
    assert t.render(CONV).startswith("Be brief.")  # the plain template works


def test_a_template_that_works_is_kept_and_legit_errors_are_not_fallbacks() -> None:
    t = ChatTemplate.for_model(CHATML_TEMPLATE)
    assert not t.is_fallback and t.fallback_reason is None
    picky = ("{% if messages[0].role == 'system' %}{{ raise_exception('no system role') }}"
             "{% endif %}{% for m in messages %}{{ m.content }}{% endfor %}")
    t = ChatTemplate.for_model(picky)
    assert not t.is_fallback
    with pytest.raises(TemplateError, match="no system role"):
        t.render(CONV)


def test_a_model_with_a_broken_template_still_loads_and_chats(tmp_path) -> None:
    from desktop.core.engine import Engine, LoadOptions
    from desktop.core.generation import DoneEvent
    from desktop.core.sampling import SamplerSettings
    from desktop.core.session import ChatSession
    from tests.models import write_tiny_spm_model

    for kind in ("syntax", "overflow"):
        path = write_tiny_spm_model(tmp_path / f"{kind}.gguf",
                                    chat_template=BROKEN_TEMPLATES[kind])
        with Engine(path, LoadOptions(n_ctx=256, n_threads=2)) as e:
            session = ChatSession(e, SamplerSettings(seed=1), max_tokens=3)
            assert session.template.is_fallback and session.template.fallback_reason
            done = list(session.send("Hello"))[-1]
            assert isinstance(done, DoneEvent) and done.traces
