"""Saving a reply while it streams: killing the app loses at most the last
``FLUSH_SECONDS``, and the text of every token id the reply shows is saved with it."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

from .conversation import Conversation, Node
from .generation import DoneEvent, Event, TextEvent, TokenEvent
from .store_db import StoreError

log = logging.getLogger(__name__)

FLUSH_SECONDS = 0.5  #: a streaming reply is written at least this often


class ReplyStore(Protocol):
    """What a `ReplyWriter` needs of its store: ``store.Store``, which cannot be imported
    here (``store`` re-exports this module)."""

    def pieces(self, model: str) -> dict[int, tuple[bytes, bool]]: ...

    def save_pieces(self, model: str, pieces: dict[int, tuple[bytes, bool]]) -> None: ...

    def save(self, conv: Conversation) -> int: ...

    def save_node(self, conv: Conversation, node: Node, traces_from: int = 0) -> None: ...


class ReplyWriter:
    """Saves a streaming reply at most every ``FLUSH_SECONDS`` (and at the end), with the
    text of every token id it shows so the reply can be inspected without the model."""

    def __init__(
        self,
        store: ReplyStore,
        conv: Conversation,
        node: Node,
        piece: Callable[[int], bytes],
        is_special: Callable[[int], bool],
    ) -> None:
        self.store, self.conv, self.node = store, conv, node
        self._piece, self._special = piece, is_special
        self._saved_traces = 0
        self._last = 0.0
        self._known: set[int] = set(store.pieces(node.model)) if node.model else set()
        self.error: StoreError | None = None
        self._started = False

    def update(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < FLUSH_SECONDS:
            return
        self._last = now
        node = self.node
        new_ids: set[int] = set(node.prompt_tokens) if self._saved_traces == 0 else set()
        for t in node.traces[self._saved_traces :]:
            new_ids.update(t.cand_ids.tolist())
            new_ids.add(t.token)
        new_ids -= self._known
        try:
            self.store.save_pieces(
                node.model, {i: (self._piece(i), self._special(i)) for i in new_ids}
            )
            if self.conv.id is None:  # a new conversation: everything in one go
                self.store.save(self.conv)
            else:
                if not self._started and node.parent is not None:
                    self.store.save_node(self.conv, self.conv.nodes[node.parent])
                self.store.save_node(self.conv, node, self._saved_traces)
        except StoreError as exc:  # keep generating; the reply stays in memory
            log.warning("could not save the reply: %s", exc)
            self.error = exc
            return
        self._started = True
        self._known |= new_ids
        self._saved_traces = len(node.traces)

    def finish(self) -> None:
        self.update(force=True)


def record_event(node: Node, event: Event, writer: ReplyWriter | None) -> None:
    """Fold one generation event into the reply ``node`` (and its ``writer``): tokens and
    text as they come; at the end, the finish reason and the timings. Local and remote
    sessions add what only they know (prompt statistics, a server's usage) themselves."""
    if isinstance(event, TokenEvent):
        node.traces.append(event.trace)
        node.content += event.text
        if writer is not None:
            writer.update()
    elif isinstance(event, TextEvent):
        node.content += event.text
    elif isinstance(event, DoneEvent):
        node.finish_reason = event.reason
        node.stats.update(
            first_token_seconds=event.first_token_seconds,
            gen_seconds=event.gen_seconds, gen_tps=event.gen_tokens_per_second,
        )
        if writer is not None:
            writer.finish()
