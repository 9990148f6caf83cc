"""Saved results of lenses and experiments, in the same SQLite file as conversations."""

from __future__ import annotations

import sqlite3

import pytest

from desktop.core.results import delete_result, list_results, load_result, save_result
from desktop.core.store import Store, StoreError


def test_results_round_trip_and_survive_reopening(tmp_path) -> None:
    path = tmp_path / "t.db"
    store = Store(path)
    a = save_result(store, "lab.needle", {"grid": [[0.5, 1.0]], "名": "大海捞针"}, "needle",
                    "SmolLM2")
    b = save_result(store, "score", {"ppl": 12.5}, "a text", "SmolLM2")
    store.close()
    store = Store(path)
    assert [r.id for r in list_results(store)] == [b, a]
    assert [r.kind for r in list_results(store, "lab.")] == ["lab.needle"]
    summary, data = load_result(store, a)
    assert summary.title == "needle" and data == {"grid": [[0.5, 1.0]], "名": "大海捞针"}
    delete_result(store, a)
    with pytest.raises(StoreError, match="no saved result"):
        load_result(store, a)


def test_a_version_1_database_is_migrated(tmp_path) -> None:
    from desktop.core.store import _MIGRATIONS

    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(_MIGRATIONS[1] + "PRAGMA user_version=1;")
    db.close()
    store = Store(path)
    assert save_result(store, "score", {}) > 0
