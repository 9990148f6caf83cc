"""Conversations in SQLite: nothing a user wrote or a model answered is lost.

One database file in the user data directory, WAL mode, schema versioned with
``PRAGMA user_version`` and migrated forward. A reply is saved while it streams (see
``ReplyWriter``): killing the app loses at most the last half second, and a reply that
was cut off that way is marked "interrupted" when it is read back.

Each reply's StepTraces are stored as compact blobs, and the text of every token id that
appears in a prompt or among the stored candidates is kept per model, so every panel can
be rebuilt without the model.

Bad ground never destroys data: a database from a newer version, or one that cannot be
read, raises a typed error and is left untouched; a read-only one opens read-only; a full
disk raises ``StoreFullError`` and the conversation stays in memory.

Here is the ``Store`` itself; the schema, its migrations and the typed errors are in
``store_db``, ``ReplyWriter`` in ``reply_writer``; everything is importable from here.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import paths
from .conversation import Conversation, Node
from .remote_trace import remote_aware
from .reply_writer import FLUSH_SECONDS, ReplyWriter
from .sampling import SamplerSettings
from .store_db import _MIGRATIONS as _MIGRATIONS  # tests build old databases from it
from .store_db import (
    SCHEMA_VERSION,
    StoreCorruptError,
    StoreError,
    StoreFullError,
    StoreNewerError,
    StoreReadOnlyError,
    migrate,
    translate_error,
)
from .trace import StepTrace

__all__ = [
    "FLUSH_SECONDS",
    "SCHEMA_VERSION",
    "ConversationSummary",
    "ReplyWriter",
    "Store",
    "StoreCorruptError",
    "StoreError",
    "StoreFullError",
    "StoreNewerError",
    "StoreReadOnlyError",
    "default_path",
]

log = logging.getLogger(__name__)


@dataclass
class ConversationSummary:
    id: int
    title: str
    updated: float
    n_messages: int
    snippet: str = ""  #: for a search: the matching text around the hit


def default_path() -> Path:
    return paths.data_dir() / "tokenscope.db"


class Store:
    """The conversation database. Thread-safe: every call holds the connection (and a lock)
    only briefly, so the UI can read while a reply is being saved."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()
        self.readonly = False
        self._db = self._open()
        # one connection, shared by the UI thread and the generation thread: one at a time
        self._lock = threading.RLock()

    # --- opening and migrating ---------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        exists = self.path.exists()
        try:
            db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if exists:
                db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:
            raise StoreCorruptError(
                f"{self.path} cannot be read ({exc}). It was left untouched; move it aside "
                "to start with an empty history, or restore it from a backup."
            ) from exc
        if version > SCHEMA_VERSION:
            db.close()
            raise StoreNewerError(
                f"{self.path} was written by a newer version of Tokenscope (schema "
                f"{version}, this version knows {SCHEMA_VERSION}). Update Tokenscope; the "
                "file was not changed."
            )
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            migrate(db, version)
        except sqlite3.OperationalError as exc:
            if "readonly" not in str(exc).lower() and "read-only" not in str(exc).lower():
                raise translate_error(exc, self.path) from exc
            db.close()
            if version < SCHEMA_VERSION:
                raise StoreReadOnlyError(
                    f"{self.path} is read-only and needs an upgrade; make it writable."
                ) from exc
            db = sqlite3.connect(
                f"file:{self.path}?mode=ro", uri=True, check_same_thread=False,
                isolation_level=None,
            )
            self.readonly = True
        except sqlite3.DatabaseError as exc:
            raise StoreCorruptError(
                f"{self.path} cannot be read ({exc}). It was left untouched."
            ) from exc
        return db

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (for the store's companions, e.g. ``results``)."""
        with self._write() as db:
            yield db

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        with self._read() as db:
            yield db

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        if self.readonly:
            raise StoreReadOnlyError(f"{self.path} is read-only; nothing can be saved.")
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    if self._db.in_transaction:
                        self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                raise translate_error(exc, self.path) from exc

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._db
            except sqlite3.Error as exc:
                raise StoreError(f"Reading {self.path} failed: {exc}.") from exc

    # --- conversations -----------------------------------------------------------

    def save(self, conv: Conversation) -> int:
        """Insert or update a whole conversation (all nodes, all traces)."""
        now = time.time()
        new = conv.id is None
        try:
            self._save(conv, now)
        except StoreError:
            if new:  # rolled back: the conversation is not in the database after all
                conv.id = None
            raise
        assert conv.id is not None
        return conv.id

    def _save(self, conv: Conversation, now: float) -> None:
        with self._write() as db:
            if conv.id is None:
                cur = db.execute(
                    "INSERT INTO conversations(title, system, leaf, created, updated) "
                    "VALUES (?, ?, ?, ?, ?)", (conv.title, conv.system, conv.leaf, now, now),
                )
                conv.id = int(cur.lastrowid or 0)
            else:
                db.execute(
                    "UPDATE conversations SET title=?, system=?, leaf=?, updated=? WHERE id=?",
                    (conv.title, conv.system, conv.leaf, now, conv.id),
                )
            for node in conv.nodes.values():
                self._put_node(db, conv.id, node)
                self._put_traces(db, conv.id, node.id, node.traces, 0)

    def touch(self, conv: Conversation) -> None:
        """Save the conversation's own fields (title, system prompt, selected leaf)."""
        if conv.id is None:
            self.save(conv)
            return
        with self._write() as db:
            db.execute(
                "UPDATE conversations SET title=?, system=?, leaf=?, updated=? WHERE id=?",
                (conv.title, conv.system, conv.leaf, time.time(), conv.id),
            )

    def save_node(self, conv: Conversation, node: Node, traces_from: int = 0) -> None:
        if conv.id is None:
            self.save(conv)
            return
        with self._write() as db:
            self._put_node(db, conv.id, node)
            self._put_traces(db, conv.id, node.id, node.traces[traces_from:], traces_from)
            db.execute(
                "UPDATE conversations SET leaf=?, updated=? WHERE id=?",
                (conv.leaf, time.time(), conv.id),
            )

    @staticmethod
    def _put_node(db: sqlite3.Connection, conv_id: int, n: Node) -> None:
        # an upsert, not INSERT OR REPLACE: replacing would cascade-delete the traces
        db.execute(
            "INSERT INTO nodes(conversation_id, id, parent, role, content, settings, "
            "prompt_tokens, finish_reason, stats, branched_at, dropped, model, created) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT(conversation_id, id) DO UPDATE SET parent=excluded.parent, "
            "role=excluded.role, content=excluded.content, settings=excluded.settings, "
            "prompt_tokens=excluded.prompt_tokens, finish_reason=excluded.finish_reason, "
            "stats=excluded.stats, branched_at=excluded.branched_at, dropped=excluded.dropped, "
            "model=excluded.model",
            (
                conv_id, n.id, n.parent, n.role, n.content,
                json.dumps(n.settings.to_dict()) if n.settings else None,
                np.asarray(n.prompt_tokens, dtype="<i4").tobytes(),
                n.finish_reason, json.dumps(n.stats), n.branched_at, json.dumps(n.dropped),
                n.model, time.time(),
            ),
        )

    @staticmethod
    def _put_traces(
        db: sqlite3.Connection, conv_id: int, node_id: int, traces: Iterable[StepTrace],
        start: int,
    ) -> None:
        rows = [(conv_id, node_id, start + i, t.to_bytes()) for i, t in enumerate(traces)]
        if start == 0:
            db.execute(
                "DELETE FROM traces WHERE conversation_id=? AND node_id=? AND idx>=?",
                (conv_id, node_id, len(rows)),
            )
        db.executemany("INSERT OR REPLACE INTO traces VALUES (?,?,?,?)", rows)

    def load(self, conv_id: int) -> Conversation:
        with self._read() as db:
            row = db.execute(
                "SELECT title, system, leaf FROM conversations WHERE id=?", (conv_id,)
            ).fetchone()
            if row is None:
                raise StoreError(f"There is no conversation {conv_id}. 'tokenscope chats list' "
                                 "shows the saved ones.")
            traces: dict[int, list[StepTrace]] = {}
            for node_id, blob in db.execute(
                "SELECT node_id, blob FROM traces WHERE conversation_id=? ORDER BY node_id, idx",
                (conv_id,),
            ):
                traces.setdefault(node_id, []).append(StepTrace.from_bytes(blob))
            rows = db.execute(
                "SELECT id, parent, role, content, settings, prompt_tokens, finish_reason, "
                "stats, branched_at, dropped, model FROM nodes WHERE conversation_id=? "
                "ORDER BY id", (conv_id,),
            ).fetchall()
        conv = Conversation(title=row[0], system=row[1])
        conv.id = conv_id
        for r in rows:  # parents come before their children (ids only grow)
            if r[1] is not None and r[1] not in conv.nodes:
                log.warning("conversation %d: message %d has no saved parent; skipped",
                            conv_id, r[0])
                continue
            conv.add_existing(Node(
                id=r[0], parent=r[1], role=r[2], content=r[3],
                settings=SamplerSettings.from_dict(json.loads(r[4])) if r[4] else None,
                prompt_tokens=np.frombuffer(r[5] or b"", dtype="<i4").tolist(),
                finish_reason=r[6] or ("interrupted" if r[2] == "assistant" else ""),
                stats=json.loads(r[7]), branched_at=r[8], dropped=json.loads(r[9]), model=r[10],
                traces=remote_aware(json.loads(r[7]), traces.get(r[0], [])),
            ))
        if row[2] is not None and row[2] in conv.nodes:
            conv.leaf = row[2]
        elif conv.nodes:
            conv.leaf = max(conv.nodes)
        return conv

    def list(self, search: str | None = None) -> list[ConversationSummary]:
        """Conversations by last activity; with ``search``, those whose title or any
        message contains it (case-insensitive), with a snippet of the first hit."""
        q = (
            "SELECT c.id, c.title, c.updated, "
            "(SELECT count(*) FROM nodes n WHERE n.conversation_id=c.id) FROM conversations c"
        )
        with self._read() as db:
            rows = db.execute(q + " ORDER BY c.updated DESC").fetchall()
            if not search:
                return [ConversationSummary(*r) for r in rows]
            escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            like = f"%{escaped}%"
            out = []
            for cid, title, updated, n in rows:
                hit = db.execute(
                    "SELECT content FROM nodes WHERE conversation_id=? AND content LIKE ? "
                    "ESCAPE '\\' ORDER BY id LIMIT 1", (cid, like),
                ).fetchone()
                if hit is None and search.lower() not in title.lower():
                    continue
                snippet = ""
                if hit is not None:
                    text = hit[0]
                    i = text.lower().find(search.lower())
                    snippet = text[max(0, i - 30) : i + len(search) + 30].replace("\n", " ")
                out.append(ConversationSummary(cid, title, updated, n, snippet))
        return out

    def rename(self, conv_id: int, title: str) -> None:
        with self._write() as db:
            db.execute("UPDATE conversations SET title=? WHERE id=?", (title, conv_id))

    def delete(self, conv_id: int) -> None:
        with self._write() as db:
            db.execute("DELETE FROM conversations WHERE id=?", (conv_id,))

    # --- token text, per model --------------------------------------------------------

    def save_pieces(self, model: str, pieces: dict[int, tuple[bytes, bool]]) -> None:
        if not pieces:
            return
        with self._write() as db:
            db.executemany(
                "INSERT OR IGNORE INTO pieces VALUES (?,?,?,?)",
                [(model, t, p, int(s)) for t, (p, s) in pieces.items()],
            )

    def pieces(self, model: str) -> dict[int, tuple[bytes, bool]]:
        with self._read() as db:
            rows = db.execute(
                "SELECT token, piece, special FROM pieces WHERE model=?", (model,)
            ).fetchall()
        return {t: (p, bool(s)) for t, p, s in rows}
