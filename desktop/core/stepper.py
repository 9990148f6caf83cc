"""Step mode (单字接龙 by hand): generate one token at a time, choosing each one.

At every step the model's next-token distribution is shown (``Stepper.preview``: a
``StepTrace`` with the top candidates and the sampler's cuts, exactly what generation
records). The user then either lets the sampler draw (``sample``), picks any token
(``choose``), or types text that is tokenized honestly — as plain text, never special
tokens — and appended token by token (``force_text``), each forced token recorded with
the model's true probability at its position. ``undo`` takes steps back; the result
becomes an ordinary branch of the conversation (``to_branch``).

Sampling uses the same ``generation.Tracer`` and random stream as ``generation.generate``:
the random generators (and the stateful samplers' state: mirostat's mu, XTC's and
mirostat's mt19937, the grammar) advance only on *sampled* steps (forced steps draw
nothing), so sampling every step with seed S gives the same tokens, with the same traces,
as ``generate`` with seed S. Undo restores that state too: sampling again after an undo
draws the same token again. With a grammar, only tokens the grammar allows can be forced.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .conversation import Conversation, Node
from .engine import Engine
from .errors import ContextOverflowError, TokenscopeError
from .generation import Tracer
from .sampling import SamplerSettings
from .trace import StepTrace


class StepError(TokenscopeError):
    """A step that cannot be taken (the reply ended, nothing to undo, empty text)."""


@dataclass
class Step:
    trace: StepTrace
    forced: bool  #: chosen or typed by the user (False: drawn by the sampler)
    rng_state: Mapping[str, Any]  #: the sampler's random state before this step


class Stepper:
    """Step-by-step generation after ``prompt`` (prompt tokens, e.g. a chat prompt).

    ``prefix``: traces of tokens already generated after the prompt (stepping from the
    middle of a reply); they are kept as they are. Raises ``ContextOverflowError`` when
    the prompt does not fit the context window.
    """

    def __init__(
        self, engine: Engine, prompt: list[int], settings: SamplerSettings,
        prefix: list[StepTrace] | None = None,
    ) -> None:
        if not prompt:
            raise StepError("Step mode needs a prompt of at least one token.")
        self.engine = engine
        self.prompt = list(prompt)
        self.settings = settings
        seed = settings.seed
        if seed is None:
            seed = int(np.random.SeedSequence().generate_state(1)[0])
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self._tracer = Tracer(engine, settings, self.rng, seed)
        start = self._snapshot()
        self.steps: list[Step] = [Step(t, True, start) for t in (prefix or [])]
        if self.steps and settings.grammar:
            self._restore(start)  # the grammar follows the kept tokens
        self._preview: StepTrace | None = None
        self._preview_state: Mapping[str, Any] | None = None

    # --- state ----------------------------------------------------------------------

    @property
    def traces(self) -> list[StepTrace]:
        return [s.trace for s in self.steps]

    @property
    def tokens(self) -> list[int]:
        """The generated tokens so far (after the prompt)."""
        return [s.trace.token for s in self.steps]

    @property
    def text(self) -> str:
        """The reply so far as text (a character split across tokens shows once whole)."""
        return b"".join(s.trace.piece for s in self.steps).decode("utf-8", "replace")

    @property
    def content(self) -> str:
        """The reply's text as a conversation keeps it: without a final end-of-turn token."""
        steps = self.steps
        if steps and self.engine.is_eog(steps[-1].trace.token):
            steps = steps[:-1]
        return b"".join(s.trace.piece for s in steps).decode("utf-8", "replace")

    @property
    def finished(self) -> bool:
        """The last token ends the turn (end of generation), or the context is full."""
        if self.steps and self.engine.is_eog(self.steps[-1].trace.token):
            return True
        return len(self.prompt) + len(self.steps) >= self.engine.n_ctx

    @property
    def ready(self) -> bool:
        """The next step's candidates are computed (``preview`` returns at once), or the
        reply has ended."""
        return self._preview is not None or self.finished

    def preview(self) -> StepTrace:
        """The next step's distribution and the token the sampler would draw now.

        Its ``token`` is the sampler's draw; ``cand_ids``/``cand_probs()`` are the top
        candidates by raw probability, ``cand_cut`` where each left the sampler's chain.
        Raises ``StepError`` when the reply has ended."""
        if self.finished:
            raise StepError("The reply has ended (end-of-turn token or a full context); "
                            "undo a step to go on.")
        if self._preview is None:
            self._sync()
            self._preview_state = self._snapshot()
            self._preview = self._tracer.step(len(self.steps))
        return self._preview

    # --- the three ways to take a step ---------------------------------------------

    def sample(self) -> StepTrace:
        """Let the sampler draw this step's token (one draw from the random stream)."""
        trace = self.preview()
        self._accept(trace, forced=False)
        return trace

    def choose(self, token: int) -> StepTrace:
        """Append ``token`` (any id in the vocabulary) as this step's token. Its trace has
        the model's probability of it here (``p_model``), its rank over the whole
        vocabulary and ``p_sample``, its probability under the sampler's final
        distribution (0 when a stage cut it). Draws nothing from the random stream."""
        if not 0 <= token < self.engine.n_vocab:
            raise StepError(
                f"Token {token} is not in the vocabulary (0…{self.engine.n_vocab - 1})."
            )
        trace = self.preview()
        forced = self._forced(trace, token)
        if self.settings.grammar and forced.p_sample == 0.0:
            raise StepError("The grammar does not allow that token here.")
        assert self._preview_state is not None
        self._accept(forced, forced=True)
        self._restore(self._preview_state)  # a forced step draws nothing
        return forced

    def force_text(self, text: str) -> list[StepTrace]:
        """Append ``text`` tokenized as plain text (markers like ``<|im_end|>`` stay text),
        token by token; returns each token's trace. Raises ``StepError`` for text that
        gives no token, ``ContextOverflowError`` when it does not fit."""
        tokens = self.engine.tokenize(text, special=False)
        if not tokens:
            raise StepError("That text gives no token; type something else.")
        if len(self.prompt) + len(self.steps) + len(tokens) > self.engine.n_ctx:
            raise ContextOverflowError(
                len(self.prompt) + len(self.steps) + len(tokens), self.engine.n_ctx, "The reply"
            )
        return [self.choose(t) for t in tokens]

    def undo(self, n: int = 1) -> None:
        """Take back the last ``n`` steps (the random stream goes back with them)."""
        if n <= 0:
            return
        if n > len(self.steps):
            raise StepError("Nothing to undo." if not self.steps else
                            f"Only {len(self.steps)} steps can be undone.")
        state = self.steps[-1].rng_state
        for _ in range(n):
            state = self.steps.pop().rng_state
        self._restore(state)
        self._preview = None
        self.engine.truncate(len(self.prompt) + len(self.steps))

    # --- keeping the result ---------------------------------------------------------

    def to_branch(
        self, conversation: Conversation, parent: int | None, *, branched_at: int | None = None,
        stats: dict[str, Any] | None = None,
    ) -> Node:
        """The steps as an assistant reply under ``parent`` (a user message): an ordinary
        node with its traces, prompt tokens and settings, selected as the current branch.
        ``stats["stepped"]`` lists which steps the user chose (True) or sampled (False)."""
        node = conversation.add(
            parent, "assistant", self.text, settings=self.settings.with_(seed=self.seed),
            prompt_tokens=list(self.prompt), branched_at=branched_at, model=self.engine.name,
        )
        node.traces = self.traces
        node.finish_reason = "eog" if self.finished and self.steps else "length"
        node.stats.update(stats or {})
        node.stats.update(seed=self.seed, stepped=[s.forced for s in self.steps])
        node.content = self.content
        return node

    # --- machinery ------------------------------------------------------------------

    def _sync(self) -> None:
        """Make the engine's context hold the prompt and the steps, with fresh logits."""
        want = self.prompt + self.tokens
        if self.engine.n_past == len(want) and self.engine.context_tokens == want:
            try:
                self.engine.logits()
                return
            except RuntimeError:
                pass
        self.engine.eval_prompt(want)

    def _snapshot(self) -> dict[str, Any]:
        """The random generators' and stateful samplers' state (not the grammar's: it is
        rebuilt from the tokens)."""
        st = self._tracer.state
        return {
            "rng": self.rng.bit_generator.state,
            "mu": st.mirostat_mu,
            "xtc": st.xtc_rng._bg.state if st.xtc_rng is not None else None,
            "mirostat": st.mirostat_rng._bg.state if st.mirostat_rng is not None else None,
        }

    def _restore(self, snap: Mapping[str, Any]) -> None:
        st = self._tracer.state
        self.rng.bit_generator.state = snap["rng"]
        st.mirostat_mu = snap["mu"]
        if st.xtc_rng is not None:
            st.xtc_rng._bg.state = snap["xtc"]
        if st.mirostat_rng is not None:
            st.mirostat_rng._bg.state = snap["mirostat"]
        if self.settings.grammar:
            from .grammar import Grammar

            st.grammar = Grammar(self.engine.vocab_handle, self.settings.grammar)
            for s in self.steps:
                st.grammar.accept(s.trace.token)

    def _accept(self, trace: StepTrace, forced: bool) -> None:
        assert self._preview_state is not None
        self.steps.append(Step(trace, forced, self._preview_state))
        self._preview = None
        if not self.finished:
            self.engine.eval_token(trace.token)

    def _forced(self, trace: StepTrace, token: int) -> StepTrace:
        """``trace`` with ``token`` chosen: its probability from the full logits."""
        x = self.engine.logits()
        logit = float(x[token])
        rank = int(np.count_nonzero(x > np.float32(logit))) + 1
        p_sample = 0.0
        final = self._tracer.last_final
        where = np.flatnonzero(final.ids == token)
        if where.size:
            p_sample = float(final.probs()[int(where[0])])
        return replace(
            trace, token=token, piece=self.engine.piece(token),
            p_model=math.exp(logit - trace.lse), p_sample=p_sample, rank=rank, logit=logit,
            seconds=0.0,
        )
