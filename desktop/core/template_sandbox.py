"""The sandbox chat templates run in: llama-cpp-python's, with limits on time and size.

A GGUF's chat template is code from the internet. llama-cpp-python's ``Jinja2ChatFormatter``
renders it in jinja2's ``ImmutableSandboxedEnvironment`` (no Python internals; ``range`` is
capped at 100,000 items), with the Hugging Face extensions (``raise_exception``,
``tojson``, ``strftime_now``, ``{% generation %}``). On top of that:

* ``*`` and ``**`` are intercepted so that ``'x' * 10**10`` or ``9 ** 9 ** 9`` cannot
  exhaust memory or the CPU in one operation (``SecurityError``);
* a render runs under a deadline (``RENDER_SECONDS``): nested loops that would take
  minutes stop with ``TemplateTimeout`` (checked on every line the compiled template
  executes, through ``sys.settrace`` limited to template code).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from types import FrameType
from typing import Any, TypeVar

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

#: Longest a template may take to render one prompt.
RENDER_SECONDS = 2.0
#: Largest string or list a single ``*`` may build, and largest ``**`` result (digits).
MAX_REPEAT = 1_000_000
MAX_POWER_DIGITS = 1_000

T = TypeVar("T")


class TemplateTimeout(Exception):
    """A template render ran past its deadline."""


class LimitedEnvironment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if (isinstance(seq, (str, list, tuple)) and isinstance(n, int)
                        and len(seq) * n > MAX_REPEAT):
                    raise SecurityError("the template built a string or list too large")
        if (operator == "**" and isinstance(left, int) and isinstance(right, int)
                and right > 0 and abs(left) > 1
                and right * len(str(abs(left))) > MAX_POWER_DIGITS):
            raise SecurityError("the template computed a number too large")
        return super().call_binop(context, operator, left, right)


class SafeFormatter(Jinja2ChatFormatter):
    """llama-cpp-python's formatter, compiled in a ``LimitedEnvironment``."""

    def __init__(self, template: str, eos_token: str, bos_token: str) -> None:
        # not super().__init__: it would compile the template in the stock environment
        # first, and jinja2 folds constant expressions like 'x' * 10**10 while compiling
        self.template = template
        self.eos_token = eos_token
        self.bos_token = bos_token
        self.add_generation_prompt = True
        self.stop_token_ids = None
        env = LimitedEnvironment(
            loader=jinja2.BaseLoader(),
            trim_blocks=True,
            lstrip_blocks=True,
            extensions=[Jinja2ChatFormatter.IgnoreGenerationTags, jinja2.ext.loopcontrols],
        )
        env.filters["tojson"] = self.tojson
        self._environment = env.from_string(self.template)


def with_deadline(fn: Callable[[], T], seconds: float = RENDER_SECONDS) -> T:
    """``fn()``, stopped with ``TemplateTimeout`` when template code runs past ``seconds``.

    Only frames of compiled templates (file name ``<template>``) are traced; the previous
    trace function (a debugger, coverage) is restored afterwards.
    """
    deadline = time.monotonic() + seconds

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        if time.monotonic() > deadline:
            raise TemplateTimeout(f"the template ran for more than {seconds:g} s")
        return local

    def outer(frame: FrameType, event: str, arg: Any) -> Any:
        return local if frame.f_code.co_filename == "<template>" else None

    previous = sys.gettrace()
    sys.settrace(outer)
    try:
        return fn()
    finally:
        sys.settrace(previous)
