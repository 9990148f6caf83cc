"""Which sampler settings reach a remote server: the request fields per server kind, the
active settings a server does not read (recorded with the reply, said by the CLI), and, on
llama-cpp-python's real server on loopback, a grammar that really constrains the reply."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from desktop.core.remote import RemoteClient
from desktop.core.remote_sampling import GROUPS, SUPPORTED, sampling_request
from desktop.core.remote_session import RemoteChatSession
from desktop.core.sampling import SamplerSettings
from desktop.core.servers import KINDS, Server
from tests.remote_server import LoopbackServer, tiny_server

__all__ = ["tiny_server"]

EVERYTHING = SamplerSettings(
    temperature=0.7, top_k=30, min_p=0.1, typical_p=0.9, repeat_penalty=1.2,
    repeat_last_n=128, min_keep=2, dry_multiplier=0.8, top_n_sigma=1.5,
    xtc_probability=0.5, xtc_threshold=0.1, dynatemp_range=0.3, mirostat=2,
    grammar='root ::= "a"', logit_bias=((5, -100.0),), seed=9,
)


def test_every_kind_has_a_table_and_every_active_setting_is_sent_or_reported() -> None:
    assert set(SUPPORTED) == set(KINDS)
    for kind in KINDS:
        req = sampling_request(kind, EVERYTHING, 32, ["\n"])
        assert req.args["max_tokens"] == 32 and req.args["seed"] == 9
        assert req.args["stop"] == ["\n"] and req.args["temperature"] == 0.7
        sent = {GROUPS[g].label for g in SUPPORTED[kind]}
        reported = set(req.not_applied)
        assert sent | reported >= {g.label for g in GROUPS.values()}, kind
        assert not sent & set(req.not_applied), kind
        assert "logit bias" in req.not_applied  # a local vocabulary's ids: never sent


def test_llama_server_reads_the_whole_llama_cpp_chain() -> None:
    req = sampling_request("llama-server", EVERYTHING)
    e = req.extra
    assert e["top_k"] == 30 and e["min_p"] == 0.1 and e["typical_p"] == 0.9
    assert e["repeat_penalty"] == 1.2 and e["repeat_last_n"] == 128 and e["min_keep"] == 2
    assert e["dry_multiplier"] == 0.8 and e["dry_sequence_breakers"] == ["\n", ":", '"', "*"]
    assert e["top_n_sigma"] == 1.5 and e["xtc_probability"] == 0.5
    assert e["dynatemp_range"] == 0.3 and e["mirostat"] == 2 and e["grammar"] == 'root ::= "a"'
    assert req.not_applied == ("logit bias",)
    # off settings are still sent (the server's own defaults may differ), but no grammar
    off = sampling_request("llama-server", SamplerSettings()).extra
    assert off["dry_multiplier"] == 0.0 and off["mirostat"] == 0 and "grammar" not in off


def test_a_window_of_minus_one_becomes_llama_servers_context_size() -> None:
    """llama-server refuses -1 (Tokenscope's "the whole context"): it gets its n_ctx, or,
    when that is unknown, the field is left out and the reply says so."""
    whole = SamplerSettings(repeat_penalty=1.1, repeat_last_n=-1, dry_multiplier=0.8,
                            dry_penalty_last_n=-1)
    known = sampling_request("llama-server", whole, n_ctx=2048)
    assert known.extra["repeat_last_n"] == 2048 and known.extra["dry_penalty_last_n"] == 2048
    assert known.not_applied == ()
    unknown = sampling_request("llama-server", whole)
    assert "repeat_last_n" not in unknown.extra and "dry_penalty_last_n" not in unknown.extra
    assert len(unknown.not_applied) == 2 and all("-1" in n for n in unknown.not_applied)
    assert unknown.applied.repeat_last_n == unknown.applied.dry_penalty_last_n == 64
    assert known.applied == whole  # -1 sent as the context size: the same window
    assert SamplerSettings().dry_penalty_last_n == 64  # llama.cpp's default (common.h)


def test_each_server_gets_its_own_field_names() -> None:
    cpp = sampling_request("llama-cpp-python", EVERYTHING)
    assert cpp.extra["mirostat_mode"] == 2 and "mirostat" not in cpp.extra
    assert "repeat_last_n" not in cpp.extra  # it has a fixed window of 64: said so
    assert any(n.startswith("repeat_last_n 128") for n in cpp.not_applied)
    assert {"DRY", "XTC", "typical-p", "top-nσ", "dynamic temperature"} <= set(cpp.not_applied)
    vllm = sampling_request("vllm", EVERYTHING)
    assert vllm.extra["repetition_penalty"] == 1.2 and "repeat_penalty" not in vllm.extra
    assert "grammar" in vllm.not_applied and "mirostat" in vllm.not_applied
    plain = sampling_request("openai", SamplerSettings())  # llama.cpp's defaults
    assert plain.extra == {} and plain.not_applied == ("top-k", "min-p")
    assert plain.applied.top_k == 0 and plain.applied.min_p == 0.0
    assert cpp.applied.repeat_last_n == 64 and not cpp.applied.dry_active
    assert cpp.applied.mirostat == 2 and cpp.applied.grammar == EVERYTHING.grammar
    assert sampling_request("openai", replace(SamplerSettings(), top_k=0, min_p=0.0)
                            ).not_applied == ()


def session(s: LoopbackServer, settings: SamplerSettings) -> RemoteChatSession:
    client = RemoteClient(Server("loop", s.url, "llama-cpp-python", template="chatml"), "")
    return RemoteChatSession(client, s.model, settings, max_tokens=8)


def test_a_grammar_reaches_llama_cpp_python_and_dry_is_recorded_as_not_applied(
    tiny_server: LoopbackServer,
) -> None:
    settings = SamplerSettings(temperature=0.0, grammar='root ::= "yes" | "no"',
                               dry_multiplier=0.8)
    s = session(tiny_server, settings)
    list(s.send("Answer"))
    reply = s.conversation.nodes[s.conversation.leaf]  # type: ignore[index]
    assert reply.content in ("yes", "no")  # a random-weight model obeys only a grammar
    assert reply.stats["remote"]["not_applied"] == ["DRY"]
    # recorded with what the server applied: the inspector's stages show no DRY
    assert reply.settings is not None and not reply.settings.dry_active
    assert reply.settings.grammar == settings.grammar
    free = session(tiny_server, SamplerSettings(temperature=0.0))
    list(free.send("Answer"))
    unconstrained = free.conversation.nodes[free.conversation.leaf]  # type: ignore[index]
    assert unconstrained.content not in ("yes", "no")
    assert "not_applied" not in unconstrained.stats["remote"]


def test_the_cli_says_which_settings_a_server_does_not_read(
    tiny_server: LoopbackServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from desktop.cli import main

    trace = tmp_path / "t.jsonl"
    assert main(["chat", "--server", tiny_server.url, "--temp", "0", "--max-tokens", "3",
                 "--xtc-probability", "0.5", "--trace", str(trace), "Hi"]) == 0
    err = capsys.readouterr().err
    assert "does not read these sampler settings" in err
    assert "XTC" in err and "top-k" in err  # an unsaved URL is a plain OpenAI server
    assert len([json.loads(line) for line in trace.read_text().splitlines()]) == 3


def test_a_bad_grammar_is_refused_before_it_reaches_a_server(
    tiny_server: LoopbackServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """llama-cpp-python's server exits on a grammar it cannot parse: llama.cpp's own parser
    checks it first, here; the server stays up."""
    from desktop.cli import main
    from desktop.core.grammar import GrammarError

    s = session(tiny_server, SamplerSettings(temperature=0.0, grammar="root ::= answer"))
    with pytest.raises(GrammarError, match="not valid GBNF"):
        list(s.send("Hi"))
    assert [n.role for n in s.conversation.nodes.values()] == ["user"]  # no empty reply
    bad = tmp_path / "bad.gbnf"
    bad.write_text("root ::= answer\n", encoding="utf-8")
    assert main(["chat", "--server", tiny_server.url, "--grammar", str(bad), "Hi"]) == 2
    assert "not valid GBNF" in capsys.readouterr().err
    ok = session(tiny_server, SamplerSettings(temperature=0.0))
    list(ok.send("Hi"))  # the server is still there
    assert ok.conversation.nodes[ok.conversation.leaf].traces  # type: ignore[index]


def test_a_reply_without_a_seed_gets_one_drawn_recorded_and_reproducible(
    tiny_server: LoopbackServer,
) -> None:
    """As local generation does: seed -1 draws a seed, sends it and records it; the same
    seed sent again gives the same reply."""
    s = session(tiny_server, SamplerSettings(temperature=1.0, seed=None))
    list(s.send("Hello"))
    first = s.conversation.nodes[s.conversation.leaf]  # type: ignore[index]
    assert first.settings is not None and first.settings.seed is not None
    again = session(tiny_server, SamplerSettings(temperature=1.0, seed=first.settings.seed))
    list(again.send("Hello"))
    second = again.conversation.nodes[again.conversation.leaf]  # type: ignore[index]
    assert [t.piece for t in second.traces] == [t.piece for t in first.traces]
