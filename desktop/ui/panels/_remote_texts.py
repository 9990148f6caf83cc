"""What the panels say about a reply from a remote server (``RemoteStepTrace``): the
probabilities are the server's, the entropy an estimate, the sampler stages unknown."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QObject


def is_remote(trace: Any) -> bool:
    return bool(getattr(trace, "remote", False))


class RemoteTexts(QObject):
    """Translatable texts for remote replies (context ``RemoteTexts``)."""

    def stages_note(self, n: int, not_applied: Sequence[str] = (), grammar: bool = False
                    ) -> str:
        if grammar:
            text = self.tr(
                "The server sampled this reply under a grammar, and does not say which of "
                "its {n} candidates the grammar allowed: only the model's own probabilities "
                "are shown."
            ).format(n=n)
        else:
            text = self.tr(
                "A remote server does not reveal its sampler stages: these stages are "
                "replayed over the {n} candidates the server returned only, and are "
                "approximate."
            ).format(n=n)
        if not_applied:
            text += " " + self.not_applied(not_applied)
        return text

    def lost_text(self, n: int) -> str:
        """``RemoteDone.lost_text_tokens``: the server streamed tokens without their text."""
        return self.tr("The server sent {n} token(s) without their text (pieces of "
                       "characters split over several tokens, which llama-cpp-python's "
                       "server drops when it streams): the reply is incomplete. llama.cpp's "
                       "llama-server sends them whole.").format(n=n)

    def not_applied(self, labels: Sequence[str]) -> str:
        """The user's settings the server does not read (``RemoteChatSession.not_applied``)."""
        return self.tr("This server does not read these settings, so the reply was sampled "
                       "without them: {names}.").format(names=", ".join(labels))

    def whatif_note(self, n: int) -> str:
        return self.tr(
            "Remote reply: what-if works over the top {n} candidates the server returned "
            "only and is approximate; the server does not reveal what its sampler did."
        ).format(n=n)

    def position(self, i: int, n: int) -> str:
        return self.tr("token {i} of {n} · from a remote server (no token id)").format(
            i=i, n=n)

    def entropy(self, bits: float, n: int) -> str:
        return self.tr("≈ {bits:.2f} bits (estimate from the top {n})").format(bits=bits, n=n)

    def drawn(self, p_sample: float) -> str:
        if math.isnan(p_sample):
            return self.tr("the server does not reveal the final distribution it drew from")
        return self.tr("greedy: the most probable token (p 100% in the final distribution)")

    def context(self, stats: dict[str, Any], n_reply: int) -> str:
        """The Context panel's line for a remote reply (no per-message plan)."""
        n = int(stats.get("n_prompt") or 0)
        if stats.get("n_prompt_estimated", True):
            text = self.tr("Remote reply: about {n} prompt tokens (an estimate: this server "
                           "does not show how it tokenizes the prompt)").format(n=n)
        else:
            text = self.tr("Remote reply: {n} prompt tokens, as the server tokenized the "
                           "prompt").format(n=n)
        usage = stats.get("usage_prompt_tokens")
        if usage is not None and usage != n:  # said once when they agree
            text += self.tr("; the server counted {u}").format(u=usage)
        text += self.tr("; reply tokens: {r}").format(r=n_reply)
        n_ctx = stats.get("n_ctx")
        if n_ctx:
            text += self.tr(" of a {c}-token context window").format(c=n_ctx)
        return text
