"""What Tokenscope adjusts in llama-cpp-python's behaviour: llama.cpp's log lines go to our
log file, and the binding's own chat-template compilation is made inert while ``Llama``
loads (Tokenscope renders templates itself, in ``chat``)."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
from collections.abc import Iterator
from typing import Any

_LOG_CALLBACK: Any = None


def _route_llama_logs(llama_cpp: Any) -> None:
    """Send llama.cpp's own log lines to our log file instead of the terminal."""
    global _LOG_CALLBACK
    if _LOG_CALLBACK is not None or os.environ.get("TOKENSCOPE_LLAMA_VERBOSE"):
        return
    llama_log = logging.getLogger("llama.cpp")

    @llama_cpp.llama_log_callback
    def callback(level: int, text: bytes, user_data: Any) -> None:
        line = text.decode("utf-8", "replace").rstrip()
        if line:
            llama_log.log(logging.WARNING if level in (3, 4) else logging.DEBUG, "%s", line)

    _LOG_CALLBACK = callback  # keep a reference: llama.cpp calls it later
    llama_cpp.llama_log_set(callback, ctypes.c_void_p(0))


class _InertFormatter:
    """Stands in for llama-cpp-python's Jinja2ChatFormatter while ``Llama`` loads."""

    def __init__(self, **_: Any) -> None:
        pass

    def to_chat_handler(self) -> Any:
        def handler(**_: Any) -> Any:
            raise RuntimeError("Tokenscope renders chat templates itself (desktop.core.chat)")

        return handler


@contextlib.contextmanager
def _binding_templates_off(llama_cpp: Any) -> Iterator[None]:
    """``Llama.__init__`` compiles every chat template in the file, so a template with a
    Jinja syntax error would refuse a model llama.cpp loads fine. Tokenscope renders
    templates itself (``chat.ChatTemplate``, which falls back visibly), so the binding's
    chat handlers are made inert while it loads."""
    fmt = llama_cpp.llama_chat_format
    original = fmt.Jinja2ChatFormatter
    fmt.Jinja2ChatFormatter = _InertFormatter
    try:
        yield
    finally:
        fmt.Jinja2ChatFormatter = original
