"""Token texts: the loaded model's vocabulary, or what the store kept of another model's.

A saved conversation can be inspected with no model loaded: its replies' token texts come
from the store (or from the file it was imported from).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from desktop.core.conversation import Conversation
from desktop.core.store import Store, StoreError
from desktop.ui.window.state import AppState

log = logging.getLogger(__name__)

PieceFn = Callable[[int], bytes]
SpecialFn = Callable[[int], bool]
PieceTable = dict[int, tuple[bytes, bool]]


def unknown_piece(token: int) -> bytes:
    """A token whose text nobody knows (no model, nothing stored): its id."""
    return f"#{token}".encode()


class StoredVocab:
    """One model's token texts as the store kept them, for replies whose model is not
    loaded: ``piece`` and ``is_special`` stand in for the Engine's."""

    def __init__(self, table: PieceTable) -> None:
        self.table = table

    def piece(self, token: int) -> bytes:
        hit = self.table.get(token)
        return hit[0] if hit is not None else unknown_piece(token)

    def is_special(self, token: int) -> bool:
        hit = self.table.get(token)
        return bool(hit is not None and hit[1])


class Vocabularies(QObject):
    """How to name the tokens of a reply written by a given model."""

    #: the vocabularies changed (a model loads or is loaded): views ask again
    changed = Signal()

    def __init__(self, state: AppState, store: Callable[[], Store | None]) -> None:
        super().__init__(state)
        self.state = state
        self._store = store
        self._cache: dict[str, PieceTable] = {}
        #: token texts known from imported files (never written to the store)
        self._imported: dict[str, PieceTable] = {}

    def forget(self) -> None:
        """Another model: every view names its tokens anew."""
        self._cache.clear()
        self.changed.emit()

    def reread(self) -> None:
        """The store has new token texts (a reply was saved): read them when next asked."""
        self._cache.clear()

    def stored_pieces(self, model: str) -> PieceTable:
        table = self._cache.get(model)
        if table is None:
            table = {}
            store = self._store()
            if store is not None and model:
                try:
                    table = store.pieces(model)
                except (StoreError, sqlite3.Error) as exc:
                    log.warning("could not read token texts: %s", exc)
            for token, value in self._imported.get(model, {}).items():
                table.setdefault(token, value)
            self._cache[model] = table
        return table

    def vocab(self, model: str) -> tuple[PieceFn | None, SpecialFn | None]:
        """The loaded model's vocabulary when it wrote the reply, else what the store
        kept (None: nothing known)."""
        engine = self.state.engine
        if engine is not None and self.state.uses_engine(model):
            return engine.piece, engine.is_special
        table = self.stored_pieces(model)
        if not table:
            return None, None
        stored = StoredVocab(table)
        return stored.piece, stored.is_special

    def key(self, model: str) -> tuple[str, str]:
        """Equal keys: the same vocabulary (views skip setting it again)."""
        engine = self.state.engine
        if engine is not None and self.state.uses_engine(model):
            return "engine", engine.name
        return "stored", model

    def piece_of(self, model: str, token: int) -> bytes:
        """For JSON exports: a token's bytes (empty when nothing knows them)."""
        piece, _ = self.vocab(model)
        if piece is None:
            return b""
        text = piece(token)
        return b"" if text == unknown_piece(token) and not self.state.uses_engine(model) else text

    def add_imported(self, conv: Conversation, pieces: dict[str, PieceTable] | None) -> None:
        """Token texts an imported file carries, and the chosen tokens' texts in its
        traces."""
        for model, table in (pieces or {}).items():
            self._imported.setdefault(model, {}).update(table)
            self._cache.pop(model, None)
        for node in conv.nodes.values():
            if node.model and node.traces:
                known = self._imported.setdefault(node.model, {})
                for t in node.traces:
                    known.setdefault(t.token, (t.piece, False))
                self._cache.pop(node.model, None)
