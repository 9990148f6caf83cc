"""The conversation database's ground: its schema, version by version, the migration
forward, and the typed errors that say what went wrong with the file (``store.Store`` uses
them; ``store`` re-exports them all).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .errors import TokenscopeError

SCHEMA_VERSION = 2

_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE conversations (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL DEFAULT '',
        system TEXT NOT NULL DEFAULT '',
        leaf INTEGER,
        created REAL NOT NULL,
        updated REAL NOT NULL
    );
    CREATE TABLE nodes (
        conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        id INTEGER NOT NULL,
        parent INTEGER,
        role TEXT NOT NULL,
        content TEXT NOT NULL DEFAULT '',
        settings TEXT,
        prompt_tokens BLOB,
        finish_reason TEXT NOT NULL DEFAULT '',
        stats TEXT NOT NULL DEFAULT '{}',
        branched_at INTEGER,
        dropped TEXT NOT NULL DEFAULT '[]',
        model TEXT NOT NULL DEFAULT '',
        created REAL NOT NULL,
        PRIMARY KEY (conversation_id, id)
    );
    CREATE TABLE traces (
        conversation_id INTEGER NOT NULL,
        node_id INTEGER NOT NULL,
        idx INTEGER NOT NULL,
        blob BLOB NOT NULL,
        PRIMARY KEY (conversation_id, node_id, idx),
        FOREIGN KEY (conversation_id, node_id) REFERENCES nodes(conversation_id, id)
            ON DELETE CASCADE
    );
    CREATE TABLE pieces (
        model TEXT NOT NULL,
        token INTEGER NOT NULL,
        piece BLOB NOT NULL,
        special INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (model, token)
    );
    CREATE INDEX nodes_by_conversation ON nodes(conversation_id);
    """,
    2: """
    CREATE TABLE results (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        title TEXT NOT NULL DEFAULT '',
        model TEXT NOT NULL DEFAULT '',
        conversation_id INTEGER REFERENCES conversations(id) ON DELETE SET NULL,
        data TEXT NOT NULL,
        created REAL NOT NULL
    );
    CREATE INDEX results_by_kind ON results(kind, created);
    """,
}


def migrate(db: sqlite3.Connection, version: int) -> None:
    """Bring a database at schema `version` to `SCHEMA_VERSION`, one version per transaction."""
    for target in range(version + 1, SCHEMA_VERSION + 1):
        script = f"BEGIN;\n{_MIGRATIONS[target]}\nPRAGMA user_version={target};\nCOMMIT;"
        try:
            db.executescript(script)
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise


class StoreError(TokenscopeError):
    pass


class StoreNewerError(StoreError):
    pass


class StoreCorruptError(StoreError):
    pass


class StoreFullError(StoreError):
    pass


class StoreReadOnlyError(StoreError):
    pass


def translate_error(exc: sqlite3.Error, path: Path) -> StoreError:
    """The typed error for an SQLite error while writing to the database at `path`."""
    text = str(exc).lower()
    if "full" in text:
        return StoreFullError(
            f"The disk holding {path.parent} is full: the conversation is kept in memory "
            "but could not be saved. Free some space; it is saved with the next change."
        )
    if "readonly" in text or "read-only" in text:
        return StoreReadOnlyError(
            f"{path} is read-only: conversations can be read but not saved. Check the "
            "file's permissions."
        )
    return StoreError(f"Saving to {path} failed: {exc}.")
