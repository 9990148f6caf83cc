"""Saved results of lenses and experiments (a score, a comparison, a lab run), beside the
conversations in the same SQLite store (table ``results``, schema version 2).

Each result is a ``kind`` (e.g. ``"score"``, ``"compare"``, ``"lab.needle"``), a title,
the model it was computed with, optionally the conversation it belongs to, and its data as
JSON: everything its view needs to be shown again without the model.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from .store import Store, StoreError


@dataclass
class ResultSummary:
    id: int
    kind: str
    title: str
    model: str
    created: float
    conversation_id: int | None = None


def save_result(
    store: Store, kind: str, data: dict[str, Any], title: str = "", model: str = "",
    conversation_id: int | None = None,
) -> int:
    """Store ``data`` (JSON-serialisable) and return the new result's id.

    Raises the store's typed errors (``StoreFullError``, ``StoreReadOnlyError``, …)."""
    blob = json.dumps(data, ensure_ascii=False, allow_nan=False)
    with store.writing() as db:
        cur = db.execute(
            "INSERT INTO results (kind, title, model, conversation_id, data, created) "
            "VALUES (?,?,?,?,?,?)",
            (kind, title, model, conversation_id, blob, time.time()),
        )
        return int(cur.lastrowid or 0)


def list_results(store: Store, kind: str | None = None) -> list[ResultSummary]:
    """Saved results, newest first (of one kind, or a prefix such as ``"lab."``)."""
    sql = "SELECT id, kind, title, model, created, conversation_id FROM results"
    args: tuple[Any, ...] = ()
    if kind:
        sql += " WHERE kind = ? OR kind LIKE ?"
        args = (kind, kind + "%" if kind.endswith(".") else kind)
    with store.reading() as db:
        rows = db.execute(sql + " ORDER BY created DESC, id DESC", args).fetchall()
    return [ResultSummary(*r) for r in rows]


def load_result(store: Store, result_id: int) -> tuple[ResultSummary, dict[str, Any]]:
    """A result's summary and data; raises ``StoreError`` if there is no such result."""
    with store.reading() as db:
        row = db.execute(
            "SELECT id, kind, title, model, created, conversation_id, data FROM results "
            "WHERE id = ?", (result_id,),
        ).fetchone()
    if row is None:
        raise StoreError(f"There is no saved result {result_id}.")
    return ResultSummary(*row[:6]), json.loads(row[6])


def delete_result(store: Store, result_id: int) -> None:
    with store.writing() as db:
        db.execute("DELETE FROM results WHERE id = ?", (result_id,))


def results_of(store: Store, conversation_id: int | None) -> list[dict[str, Any]]:
    """Every saved result of a conversation, oldest first, as exported: ``kind``,
    ``title``, ``model``, ``created`` and ``data``."""
    if conversation_id is None:
        return []
    with store.reading() as db:
        rows = db.execute(
            "SELECT kind, title, model, created, data FROM results WHERE conversation_id = ? "
            "ORDER BY created, id", (conversation_id,),
        ).fetchall()
    return [{"kind": k, "title": t, "model": m, "created": c, "data": json.loads(d)}
            for k, t, m, c, d in rows]
