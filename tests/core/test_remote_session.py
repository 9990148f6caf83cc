"""Remote chat sessions against llama-cpp-python's server on loopback: replies stored and
reopened like local ones (server and model recorded, never the key), branching from a
token, exports; and, with SmolLM2, the server's top-N probabilities against the local
engine's for the same greedy prompt."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop.core.export import dumps, from_json
from desktop.core.remote import RemoteClient
from desktop.core.remote_session import RemoteBranchError, RemoteChatSession, is_remote
from desktop.core.remote_trace import RemoteStepTrace
from desktop.core.sampling import SamplerSettings
from desktop.core.servers import Server
from desktop.core.store import Store
from tests.remote_server import LoopbackServer, smol_server, tiny_server

__all__ = ["smol_server", "tiny_server"]

GREEDY = SamplerSettings(temperature=0.0)


def session(s: LoopbackServer, store: Store | None = None, template: str = "chatml",
            max_tokens: int = 10) -> RemoteChatSession:
    client = RemoteClient(Server("loop", s.url, "llama-cpp-python", template=template),
                          "sk-never-stored")
    return RemoteChatSession(client, s.model, GREEDY, system="Be brief.",
                             max_tokens=max_tokens, store=store)


def test_a_reply_is_stored_and_reopened_like_a_local_one(
    tiny_server: LoopbackServer, tmp_path: Path
) -> None:
    db = tmp_path / "chats.db"
    store = Store(db)
    s = session(tiny_server, store)
    list(s.send("Hello there"))
    reply = s.conversation.nodes[s.conversation.leaf]  # type: ignore[index]
    assert reply.finish_reason in ("length", "eog") and len(reply.traces) > 0
    assert reply.model == f"{tiny_server.model} @ {tiny_server.url}"
    assert reply.stats["remote"]["server"] == "loop" and reply.stats["n_prompt_estimated"]
    store.close()

    again = Store(db)  # "after a restart"
    conv = again.load(s.conversation.id)  # type: ignore[arg-type]
    back = conv.nodes[reply.id]
    assert is_remote(back) and all(isinstance(t, RemoteStepTrace) for t in back.traces)
    assert [t.token for t in back.traces] == [t.token for t in reply.traces]
    assert back.content == reply.content
    # the same server+model gets the same local ids for the same pieces
    s2 = session(tiny_server, again)
    assert s2.vocab.piece(back.traces[0].token) == back.traces[0].piece
    assert b"sk-never-stored" not in db.read_bytes()


def test_branching_from_a_token_continues_on_the_server(tiny_server: LoopbackServer) -> None:
    s = session(tiny_server)
    list(s.send("Hello there"))
    old = s.conversation.nodes[s.conversation.leaf]  # type: ignore[index]
    alt = int(old.traces[2].cand_ids[1])
    list(s.branch(old.id, 2, alt))
    new = s.conversation.nodes[s.conversation.leaf]  # type: ignore[index]
    assert new.parent == old.parent and new.branched_at == 2
    assert [t.token for t in new.traces[:2]] == [t.token for t in old.traces[:2]]
    assert new.traces[2].token == alt and new.traces[2].rank == 2
    assert len(new.traces) > 3 and [t.index for t in new.traces] == list(range(len(new.traces)))
    assert new.content.startswith(b"".join(t.piece for t in new.traces[:3]).decode())


def test_a_server_that_cannot_branch_says_why(tiny_server: LoopbackServer) -> None:
    s = session(tiny_server, template="")
    assert s.branch_support() is not None and "--template chatml" in s.branch_support()  # type: ignore[operator]
    list(s.send("Hi"))
    leaf = s.conversation.leaf
    with pytest.raises(RemoteBranchError, match="cannot continue"):
        s.branch(leaf, 1, int(s.conversation.nodes[leaf].traces[1].cand_ids[1]))  # type: ignore[index]


def test_exports_carry_the_remote_traces(tiny_server: LoopbackServer) -> None:
    s = session(tiny_server)
    list(s.send("Hello there"))
    reply = s.conversation.nodes[s.conversation.leaf]  # type: ignore[index]
    data = json.loads(dumps(s.conversation, lambda _m, t: s.piece(t)))
    rows = next(n for n in data["nodes"] if n["role"] == "assistant")["traces"]
    assert rows[0]["token"] is None and rows[0]["entropy_estimate"] is True
    assert rows[0]["top"][0]["text"] == s.piece(int(reply.traces[0].cand_ids[0])).decode()
    back = from_json(data).nodes[reply.id]
    assert isinstance(back.traces[0], RemoteStepTrace)
    assert [t.token for t in back.traces] == [t.token for t in reply.traces]


@pytest.mark.slow
def test_remote_probabilities_match_the_local_engine(smol_server: LoopbackServer,
                                                     smol_engine) -> None:
    """Same model, same prompt, greedy: the server's top-20 equal the local engine's."""
    from desktop.core.session import ChatSession

    question = "Write a short paragraph about the history of Paris."
    local = ChatSession(smol_engine, GREEDY, system="Be brief.", max_tokens=40)
    list(local.send(question))
    lt = local.conversation.nodes[local.conversation.leaf].traces  # type: ignore[index]
    remote = session(smol_server, max_tokens=40)
    list(remote.send(question))
    rt = remote.conversation.nodes[remote.conversation.leaf].traces  # type: ignore[index]
    assert [t.piece for t in rt] == [t.piece for t in lt[: len(rt)]]
    worst = 0.0
    for a, b in zip(lt, rt):
        mine = {smol_engine.piece(int(i)): float(p)
                for i, p in zip(a.cand_ids[:20], a.cand_probs()[:20])}
        theirs = {remote.piece(int(i)): float(p) for i, p in zip(b.cand_ids, b.cand_probs())}
        for piece, p in theirs.items():
            if piece in mine and list(theirs).count(piece) == 1:
                worst = max(worst, abs(mine[piece] - p))
        assert abs(a.p_model - b.p_model) < 1e-3
        assert b.entropy <= a.entropy + 1e-4  # a lower bound (float32 noise near 0 bits)
    print(f"largest |p_remote - p_local| over {len(rt)} steps x top-20: {worst:.2e}")
    assert worst < 1e-3


def test_regenerate_and_edit_make_sibling_replies(tiny_server: LoopbackServer) -> None:
    s = session(tiny_server)
    list(s.send("Hello there"))
    conv = s.conversation
    first = conv.nodes[conv.leaf]  # type: ignore[index]
    list(s.regenerate(first.id))
    second = conv.nodes[conv.leaf]  # type: ignore[index]
    assert conv.siblings(first.id) == [first.id, second.id]
    assert [t.token for t in second.traces] == [t.token for t in first.traces]  # greedy
    user = first.parent
    assert user is not None
    list(s.edit(user, "Hello again"))
    edited = conv.nodes[conv.leaf]  # type: ignore[index]
    assert conv.nodes[edited.parent].content == "Hello again"  # type: ignore[index]
    assert conv.siblings(edited.parent) == [user, edited.parent]  # type: ignore[arg-type]


@pytest.mark.slow
def test_text_the_server_streams_without_its_bytes_is_counted_and_said(
    smol_server: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """llama-cpp-python's server streams "" (and no bytes) for every token that holds part
    of a character: a Chinese reply arrives mostly empty. The reply records how many such
    tokens came, and the CLI says the text is incomplete."""
    from desktop.cli import main

    s = session(smol_server, max_tokens=12)
    list(s.send("你好，请用一句话介绍你自己"))
    reply = s.conversation.nodes[s.conversation.leaf]  # type: ignore[index]
    lost = reply.stats["remote"]["lost_text_tokens"]
    assert lost == sum(1 for t in reply.traces if not t.piece) and lost > 0
    assert main(["chat", "--server", smol_server.url, "--temp", "0", "--max-tokens", "12",
                 "你好，请用一句话介绍你自己"]) == 0
    assert "without their text" in capsys.readouterr().err
    english = session(smol_server, max_tokens=8)
    list(english.send("Hello there"))
    node = english.conversation.nodes[english.conversation.leaf]  # type: ignore[index]
    assert "lost_text_tokens" not in node.stats["remote"]
