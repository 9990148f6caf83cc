"""The SQLite store: round trips, streaming saves that survive kill -9, bad ground."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from desktop.core.conversation import Conversation
from desktop.core.export import (
    ImportFormatError,
    dumps,
    from_json,
    pieces_from_json,
    to_json,
    to_markdown,
)
from desktop.core.sampling import SamplerSettings
from desktop.core.session import ChatSession, plan_of
from desktop.core.store import (
    SCHEMA_VERSION,
    Store,
    StoreCorruptError,
    StoreError,
    StoreFullError,
    StoreNewerError,
    StoreReadOnlyError,
)


def chatted(engine, store: Store | None = None, turns: int = 2) -> ChatSession:
    s = ChatSession(engine, SamplerSettings(seed=9), system="Be brief.", max_tokens=8,
                    store=store)
    s.conversation.title = "First chat 你好"
    for i in range(turns):
        list(s.send(f"Question {i} 你好"))
    reply = s.conversation.nodes[s.conversation.leaf]
    list(s.branch(reply.id, 2, int(reply.traces[2].cand_ids[1])))
    return s


def assert_same(a: Conversation, b: Conversation) -> None:
    assert (a.title, a.system, a.leaf) == (b.title, b.system, b.leaf)
    assert set(a.nodes) == set(b.nodes)
    for nid, n in a.nodes.items():
        m = b.nodes[nid]
        assert (n.parent, n.role, n.content, n.settings, n.prompt_tokens, n.branched_at) == (
            m.parent, m.role, m.content, m.settings, m.prompt_tokens, m.branched_at)
        assert [t.to_bytes() for t in n.traces] == [t.to_bytes() for t in m.traces]


def test_saved_while_chatting_and_read_back_whole(tiny_engine, tmp_path) -> None:
    store = Store(tmp_path / "t.db")
    s = chatted(tiny_engine, store)
    back = Store(tmp_path / "t.db").load(s.conversation.id)
    assert_same(s.conversation, back)
    assert back.siblings(back.leaf) == s.conversation.siblings(s.conversation.leaf)
    # the panels can be rebuilt without the model: token text and the context plan
    reply = back.nodes[back.leaf]
    pieces = store.pieces(reply.model)
    for t in reply.traces:
        assert all(int(c) in pieces for c in t.cand_ids)
    assert all(tok in pieces for tok in reply.prompt_tokens)
    plan = plan_of(reply)
    assert plan is not None and sum(plan.totals().values()) == plan.n_ctx


def test_list_search_rename_delete(tiny_engine, tmp_path) -> None:
    store = Store(tmp_path / "t.db")
    a = chatted(tiny_engine, store, turns=1).conversation
    b = Conversation(title="Other")
    b.add(None, "user", "something about llamas")
    store.save(b)
    assert [c.id for c in store.list()] == [b.id, a.id]  # latest activity first
    hits = store.list("LLAMAS")
    assert [h.id for h in hits] == [b.id] and "llamas" in hits[0].snippet
    assert [h.id for h in store.list("你好")] == [a.id]
    assert store.list("100%") == []
    store.rename(a.id, "Renamed")
    assert store.load(a.id).title == "Renamed"
    store.delete(a.id)
    assert [c.id for c in store.list()] == [b.id]
    with pytest.raises(StoreError, match="no conversation"):
        store.load(a.id)


def test_export_markdown_and_json_round_trip(tiny_engine, tmp_path) -> None:
    store = Store(tmp_path / "t.db")
    conv = chatted(tiny_engine, store).conversation
    md = to_markdown(conv)
    assert md.startswith("# First chat 你好") and "**System:** Be brief." in md
    assert "### You" in md and "Question 1 你好" in md
    seed = conv.nodes[conv.leaf].stats["seed"]
    assert f"seed {seed}" in md  # the seed is part of the record
    data = to_json(conv, lambda m, t: tiny_engine.piece(t))
    assert data["nodes"][-1]["stats"]["seed"] == seed
    row = data["nodes"][-1]["traces"][0]
    assert {"index", "token", "text", "p_model", "p_sample", "entropy", "top"} <= set(row)
    assert all("text" in c for c in row["top"])
    text = dumps(conv, lambda m, t: tiny_engine.piece(t), lambda m, t: tiny_engine.is_special(t))
    back = from_json(json.loads(text))
    assert back.id is None
    assert_same(conv, back)
    # the export carries the text of every token it shows: inspectable without the model
    [(model, table)] = pieces_from_json(json.loads(text)).items()
    reply = conv.nodes[conv.leaf]
    assert model == reply.model
    for t in reply.traces:
        assert all(table[int(c)][0] == tiny_engine.piece(int(c)) for c in t.cand_ids)
    assert any(special for _, special in table.values())  # <|im_start|> and friends
    with pytest.raises(ImportFormatError):
        from_json({"format": "something else"})


def test_newer_database_is_refused_and_left_untouched(tmp_path) -> None:
    path = tmp_path / "t.db"
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    db.close()
    before = path.read_bytes()
    with pytest.raises(StoreNewerError, match="newer version"):
        Store(path)
    assert path.read_bytes() == before


def test_corrupt_database_is_refused_and_left_untouched(tmp_path) -> None:
    path = tmp_path / "t.db"
    path.write_bytes(b"this is not a database" * 100)
    before = path.read_bytes()
    with pytest.raises(StoreCorruptError, match="left untouched"):
        Store(path)
    assert path.read_bytes() == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_database_opens_read_only(tiny_engine, tmp_path) -> None:
    path = tmp_path / "t.db"
    store = Store(path)
    conv = chatted(tiny_engine, store, turns=1).conversation
    store.close()
    for p in tmp_path.iterdir():
        p.chmod(0o444)
    tmp_path.chmod(0o555)
    try:
        ro = Store(path)
        assert ro.readonly and ro.load(conv.id).title == conv.title
        with pytest.raises(StoreReadOnlyError):
            ro.rename(conv.id, "x")
    finally:
        tmp_path.chmod(0o755)


def test_read_only_database_via_sqlite_is_reported(tiny_engine, tmp_path) -> None:
    """Works as root too: SQLite's own read-only mode raises the same typed error."""
    path = tmp_path / "t.db"
    conv = chatted(tiny_engine, Store(path), turns=1).conversation
    store = Store(path)
    store._db.close()
    store._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    with pytest.raises(StoreReadOnlyError, match="read-only"):
        store.rename(conv.id, "x")


KILL_CHILD = textwrap.dedent("""
    import sys, time
    from desktop.core.engine import Engine, LoadOptions
    from desktop.core.generation import TokenEvent
    from desktop.core.sampling import SamplerSettings
    from desktop.core.session import ChatSession
    from desktop.core.store import Store
    engine = Engine(sys.argv[1], LoadOptions(n_ctx=8192, n_threads=1))
    engine.is_eog = lambda token: False  # a random model may end early; keep it talking
    s = ChatSession(engine, SamplerSettings(seed=int(sys.argv[3])), max_tokens=100000,
                    store=Store(__import__("pathlib").Path(sys.argv[2])))
    for ev in s.send("Tell me everything"):
        if isinstance(ev, TokenEvent):
            print(ev.trace.index, time.monotonic(), flush=True)
""")


def _run_and_kill(model: Path, db: Path, seed: int, after: float) -> list[tuple[int, float]]:
    """Start a chat in a subprocess, let it stream for ``after`` seconds, then kill -9 it.
    Returns the (token index, time) lines it printed as tokens arrived."""
    proc = subprocess.Popen(
        [sys.executable, "-c", KILL_CHILD, str(model), str(db), str(seed)],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2],
    )
    lines: list[tuple[int, float]] = []
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        i, t = line.split()
        lines.append((int(i), float(t)))
        if lines[-1][1] - lines[0][1] > after:  # well into the reply, after several saves
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    return lines


def test_kill_9_mid_reply_loses_at_most_about_a_second(tmp_path) -> None:
    from desktop.core.tiny_model import write_tiny_llama

    model = write_tiny_llama(tmp_path / "long.gguf", n_ctx_train=8192, n_layer=4, n_embd=128,
                             n_ff=256)
    db = tmp_path / "kill.db"
    lines = _run_and_kill(model, db, seed=1, after=1.6)
    assert lines and lines[-1][1] - lines[0][1] > 1.6, "the reply ended before the kill"
    killed_at = lines[-1][1]

    store = Store(db)
    [summary] = store.list()
    conv = store.load(summary.id)
    reply = conv.nodes[conv.leaf]
    assert conv.path()[-2].content == "Tell me everything"
    assert reply.finish_reason == "interrupted"
    saved = len(reply.traces)
    assert saved > 0
    # tokens generated after the last save: all within about the last second
    lost = [t for i, t in lines if i >= saved]
    assert not lost or killed_at - lost[0] <= 1.0
    # the text was saved with its traces (a character split across tokens may be held back)
    raw = b"".join(t.piece for t in reply.traces).decode("utf-8", "replace")
    assert reply.content and raw.startswith(reply.content) and len(raw) - len(reply.content) <= 1
    assert np.all([t.index for t in reply.traces] == np.arange(saved))


def test_full_disk_keeps_generating_and_keeps_the_reply_in_memory(tiny_engine, tmp_path) -> None:
    store = Store(tmp_path / "t.db")
    s = chatted(tiny_engine, store, turns=1)
    pages = store._db.execute("PRAGMA page_count").fetchone()[0]
    store._db.execute(f"PRAGMA max_page_count={pages}")  # SQLite reports SQLITE_FULL
    s.max_tokens = 60
    done = list(s.send("and now a long answer please " * 3))[-1]
    reply = s.conversation.nodes[s.conversation.leaf]
    assert len(reply.traces) == len(done.traces) > 0  # nothing lost in memory
    assert isinstance(s.last_writer.error, StoreFullError)
    assert "full" in str(s.last_writer.error) and "Free some space" in str(s.last_writer.error)
    store._db.execute(f"PRAGMA max_page_count={pages * 1000}")
    store.save(s.conversation)  # once there is room, everything is saved
    assert_same(s.conversation, Store(tmp_path / "t.db").load(s.conversation.id))


def test_a_failed_first_save_leaves_the_conversation_unsaved(tiny_engine, tmp_path) -> None:
    store = Store(tmp_path / "t.db")
    store._db.execute("PRAGMA max_page_count=1")  # nothing more fits
    conv = Conversation(title="x")
    conv.add(None, "user", "hello " * 2000)
    with pytest.raises(StoreFullError):
        store.save(conv)
    assert conv.id is None  # not pretending to be saved


def test_a_message_whose_parent_was_never_saved_is_skipped(tiny_engine, tmp_path) -> None:
    store = Store(tmp_path / "t.db")
    conv = chatted(tiny_engine, store, turns=2).conversation  # 1 user, 2 reply, 3 user, 4, 5
    store._db.execute("DELETE FROM nodes WHERE conversation_id=? AND id=3", (conv.id,))
    back = store.load(conv.id)  # the replies to the missing message are left out
    assert set(back.nodes) == {1, 2}
    assert back.leaf == 2 and back.nodes[2].content == conv.nodes[2].content
