"""The remote backend against llama.cpp's own ``llama-server`` on loopback (tiny model):
the exact prompt and its tokens from ``/apply-template`` and ``/tokenize``, the context
size from ``/props``, the server's usage, branching through the rendered prompt, and its
probabilities against the local engine's.

Needs a ``llama-server`` binary: ``TOKENSCOPE_LLAMA_SERVER=/path/to/llama-server``, one on
PATH, or the one ``bash bench/native.sh --server`` built (from the llama.cpp vendored in the
installed llama-cpp-python, with packaging/install.sh's flags; cached, ~15-30 min to build
on 2 cores); skipped otherwise.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from desktop.core.chat import Message
from desktop.core.remote import RemoteClient
from desktop.core.remote_extras import ServerExtras
from desktop.core.remote_session import RemoteChatSession
from desktop.core.sampling import SamplerSettings
from desktop.core.servers import Server
from tests.remote_server import free_port

GREEDY = SamplerSettings(temperature=0.0)


def _cached_build() -> str | None:
    """The llama-server of ``bench/native.sh --server`` for the installed llama-cpp-python."""
    import importlib.metadata

    version = importlib.metadata.version("llama_cpp_python")
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    found = sorted((cache / "tokenscope" / "native").glob(
        f"{version}-*/build-server/bin/llama-server"))
    return str(found[-1]) if found else None


BINARY = (os.environ.get("TOKENSCOPE_LLAMA_SERVER") or shutil.which("llama-server")
          or _cached_build())
pytestmark = pytest.mark.skipif(BINARY is None, reason="no llama-server binary (see module)")


@pytest.fixture(scope="module")
def llama_server(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[tuple[str, str]]:
    assert BINARY is not None
    port = free_port()
    log = tmp_path_factory.mktemp("llama-server") / "log.txt"
    env = {**os.environ, "LD_LIBRARY_PATH": str(Path(BINARY).parent)}
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [BINARY, "-m", str(tiny_model), "--host", "127.0.0.1", "--port", str(port),
             "-c", "1024", "-t", "2", "-np", "1"], stdout=out, stderr=subprocess.STDOUT,
            env=env)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(url + "/models", timeout=2) as r:
                    model = json.loads(r.read())["data"][0]["id"]
                    break
            except (urllib.error.URLError, OSError, ValueError, KeyError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(log.read_text()[-2000:]) from None
                time.sleep(0.2)
        yield url, model
    finally:
        proc.terminate()
        proc.wait(20)


def client(url: str) -> RemoteClient:
    return RemoteClient(Server("ls", url, "llama-server"))


def test_the_exact_prompt_tokens_and_context(llama_server: tuple[str, str],
                                             tiny_engine) -> None:
    url, _model = llama_server
    msgs = [Message("system", "Be brief."), Message("user", "Hello there 你好")]
    info = ServerExtras(client(url)).prompt_info(msgs)
    assert info.exact and info.text is not None and info.n_ctx == 1024
    assert "Hello there 你好" in info.text
    local = tiny_engine.tokenize(info.text, add_bos=True, special=True)
    assert info.pieces == [tiny_engine.piece(t) for t in local]
    assert info.n_tokens == len(local)


def test_a_reply_records_exact_prompt_tokens_and_usage(llama_server: tuple[str, str]) -> None:
    url, model = llama_server
    s = RemoteChatSession(client(url), model, GREEDY, system="Be brief.", max_tokens=8)
    list(s.send("Hello there"))
    node = s.conversation.nodes[s.conversation.leaf]  # type: ignore[index]
    assert node.stats["n_prompt_estimated"] is False and node.stats["n_ctx"] == 1024
    assert len(node.prompt_tokens) == node.stats["n_prompt"]
    assert node.stats["usage_prompt_tokens"] == node.stats["n_prompt"]
    # llama-server sends one logprobs entry for the byte tokens of one character: the
    # traces may be fewer than the tokens it counts
    assert node.stats["usage_completion_tokens"] == 8
    assert 0 < len(node.traces) <= 8
    assert all(t.rank == 1 for t in node.traces if t.piece.isascii())  # greedy
    assert b"".join(t.piece for t in node.traces).decode() == node.content
    assert s.branch_support() is None
    alt = int(node.traces[1].cand_ids[1])
    list(s.branch(node.id, 1, alt))
    new = s.conversation.nodes[s.conversation.leaf]  # type: ignore[index]
    assert new.branched_at == 1 and new.traces[1].token == alt and len(new.traces) > 2


def test_probabilities_match_the_local_engine(llama_server: tuple[str, str],
                                              tiny_engine) -> None:
    url, model = llama_server
    c = client(url)
    msgs = [Message("user", "The quick brown fox")]
    text = ServerExtras(c).apply_template(msgs)
    assert text is not None
    s = RemoteChatSession(c, model, GREEDY, max_tokens=1)
    list(s.send("The quick brown fox"))
    first = s.conversation.nodes[s.conversation.leaf].traces[0]  # type: ignore[index]
    tiny_engine.eval_prompt(tiny_engine.tokenize(text, add_bos=True, special=True))
    x = tiny_engine.logits().astype(np.float64)
    p = np.exp(x - x.max())
    p /= p.sum()
    local = {tiny_engine.piece(int(i)): float(p[i]) for i in np.argsort(-p)[:20]}
    remote = {s.piece(int(i)): float(q) for i, q in zip(first.cand_ids, first.cand_probs())}
    shared = [k for k in remote if k in local]
    assert len(shared) >= 15
    worst = max(abs(local[k] - remote[k]) for k in shared)
    print(f"llama-server vs local, first step top-20: largest difference {worst:.2e}")
    assert worst < 1e-3


def test_the_whole_llama_cpp_chain_reaches_llama_server(llama_server: tuple[str, str]) -> None:
    """llama-server reads every llama.cpp sampler setting: a grammar constrains the reply,
    DRY/XTC/mirostat/top-nσ are accepted, and nothing but logit bias is reported unread."""
    url, model = llama_server
    settings = SamplerSettings(temperature=0.0, grammar='root ::= "yes" | "no"',
                               dry_multiplier=0.8, dry_penalty_last_n=-1, repeat_last_n=-1,
                               repeat_penalty=1.1, xtc_probability=0.5, top_n_sigma=1.5,
                               typical_p=0.9, min_keep=2)
    s = RemoteChatSession(client(url), model, settings, max_tokens=8)
    list(s.send("Answer"))
    node = s.conversation.nodes[s.conversation.leaf]  # type: ignore[index]
    assert node.content in ("yes", "no") and node.finish_reason in ("eog", "stop")
    assert "not_applied" not in node.stats["remote"]
    miro = RemoteChatSession(client(url), model, SamplerSettings(mirostat=2, seed=4),
                             max_tokens=4)
    list(miro.send("Hi"))
    assert miro.conversation.nodes[miro.conversation.leaf].traces  # type: ignore[index]
