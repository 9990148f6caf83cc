"""Errors a user can meet. Each message says what happened and what to do."""

from __future__ import annotations


class TokenscopeError(Exception):
    """Base class: the message is shown to the user as is."""


class ModelLoadError(TokenscopeError):
    pass


class UsageError(TokenscopeError):
    """Command-line arguments that cannot be used together or as given (CLI exit code 2)."""


class BackendCrashError(TokenscopeError):
    """The llama.cpp build crashes on this machine (found by the crash probe)."""


class TemplateError(TokenscopeError):
    """The model's chat template could not be rendered (or tried something unsafe)."""


class ContextOverflowError(TokenscopeError):
    def __init__(self, needed: int, n_ctx: int, what: str = "The prompt") -> None:
        self.needed = needed
        self.n_ctx = n_ctx
        super().__init__(
            f"{what} needs {needed} tokens but the context window holds {n_ctx}. "
            "Shorten the message, or load the model with a larger context (n_ctx: --ctx in "
            "the CLI, Settings → Model in the window)."
        )
