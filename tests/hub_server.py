"""A real HTTP server on 127.0.0.1 that speaks the Hub endpoints huggingface_hub 2.4 uses.

- ``GET  /api/models`` (search: ``search``, ``filter``, ``sort``, ``limit``)
- ``GET  /api/models/{repo}`` and ``/api/models/{repo}/revision/{rev}`` (``?blobs=True``)
- ``POST /api/models/{repo}/paths-info/{rev}`` (form: ``paths``, ``expand``)
- ``HEAD|GET /{repo}/resolve/{rev}/{file}``: LFS files answer 302 to a "CDN" on another
  origin (``localhost`` instead of ``127.0.0.1``) with ``X-Repo-Commit``,
  ``X-Linked-Etag`` and ``X-Linked-Size``, as huggingface.co does; small files answer 200.
- ``HEAD|GET /cdn/{sha256}``: the bytes, with Range support.

Gated repos answer 401 (no token) or 403 (token without access) with
``X-Error-Code: GatedRepo``; private ones 401 ``RepoNotFound``. Knobs for tests: cut a
transfer after N bytes once, cut every transfer of a file at byte N (a broken link or
proxy: resuming never gets further), cut every response after N bytes, answer an HTTP
error status for some paths, serve corrupted bytes, ignore Range, pace file bytes at a
given rate (a network link). Also here: `make_gguf`, which writes small valid GGUF files
with `gguf.GGUFWriter`, and `closed_port_url`, an address where nothing listens.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import keyring
import keyring.backends.fail
import keyring.core
import numpy as np
import pytest
from gguf import GGUFWriter, LlamaFileType
from huggingface_hub import close_session, constants


def make_gguf(
    path: Path,
    *,
    name: str = "Tiny",
    arch: str = "llama",
    n_layer: int = 2,
    n_embd: int = 64,
    n_head: int = 4,
    n_head_kv: int = 2,
    context_length: int = 512,
    file_type: LlamaFileType = LlamaFileType.ALL_F32,
    vocab: tuple[str, ...] = ("<unk>", "<s>", "</s>", "a", "b", "c"),
    chat_template: str | None = "{% for m in messages %}{{ m.content }}{% endfor %}",
    extra_bytes: int = 0,
    split: tuple[int, int] | None = None,
) -> Path:
    """Write a small valid GGUF (llama metadata, a few F32 tensors) and return its path.

    `extra_bytes` adds a tensor of random data of about that size (for big test files);
    `split=(index, count)` adds the split.* keys llama.cpp's gguf-split writes.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    w = GGUFWriter(path, arch)
    w.add_name(name)
    w.add_context_length(context_length)
    w.add_embedding_length(n_embd)
    w.add_block_count(n_layer)
    w.add_head_count(n_head)
    w.add_head_count_kv(n_head_kv)
    w.add_file_type(int(file_type))
    w.add_tokenizer_model("llama")
    w.add_token_list(list(vocab))
    if chat_template is not None:
        w.add_chat_template(chat_template)
    if split is not None:
        w.add_uint16("split.no", split[0] - 1)
        w.add_uint16("split.count", split[1])
        w.add_int32("split.tensors.count", (4 if extra_bytes > 0 else 3) * split[1])
    rng = np.random.default_rng(len(name) + (split[0] if split else 0))
    part = f".{split[0]}" if split and split[0] > 1 else ""  # no tensor in two parts
    emb = rng.standard_normal((len(vocab), n_embd)).astype(np.float32)
    w.add_tensor("token_embd.weight" + part, emb)
    w.add_tensor("output_norm.weight" + part, np.ones(n_embd, dtype=np.float32))
    q = rng.standard_normal((n_embd, n_embd)).astype(np.float32)
    w.add_tensor("blk.0.attn_q.weight" + part, q)
    if extra_bytes > 0:
        extra = rng.standard_normal(extra_bytes // 4).astype(np.float32)
        w.add_tensor("extra.weight" + part, extra)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def gguf_bytes(tmp_dir: Path, filename: str = "tiny.gguf", **kwargs: Any) -> bytes:
    return make_gguf(tmp_dir / filename, **kwargs).read_bytes()


@dataclass
class ServedFile:
    path: str
    data: bytes
    lfs: bool = True

    def __post_init__(self) -> None:
        self.sha256 = hashlib.sha256(self.data).hexdigest()
        self.git_oid = hashlib.sha1(b"blob %d\0" % len(self.data) + self.data).hexdigest()


@dataclass
class Repo:
    repo_id: str
    files: dict[str, ServedFile]
    commit: str = field(default_factory=lambda: secrets.token_hex(20))
    gated: bool = False
    private: bool = False
    downloads: int = 0
    likes: int = 0
    last_modified: str = "2025-01-01T00:00:00.000Z"
    tags: list[str] = field(default_factory=lambda: ["gguf", "text-generation"])
    gguf: dict[str, Any] | None = None

    def summary(self) -> dict[str, Any]:
        return {
            "_id": self.commit[:24],
            "id": self.repo_id,
            "modelId": self.repo_id,
            "author": self.repo_id.split("/")[0],
            "downloads": self.downloads,
            "likes": self.likes,
            "lastModified": self.last_modified,
            "createdAt": self.last_modified,
            "gated": "manual" if self.gated else False,
            "private": self.private,
            "tags": self.tags,
            "pipeline_tag": "text-generation",
            "library_name": "gguf",
            **({"gguf": self.gguf} if self.gguf else {}),
        }


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]


class FakeHub:
    """The server. Use as a context manager, or `start()` / `stop()`."""

    def __init__(self) -> None:
        self.repos: dict[str, Repo] = {}
        self.tokens: set[str] = set()  # tokens with access to gated and private repos
        self.requests: list[Request] = []
        self.cut_once: dict[str, int] = {}  # file path -> close the connection after N bytes
        self.cut_every: dict[str, int] = {}  # file path -> close every transfer at byte N
        self.cut_each_response: dict[str, int] = {}  # file path -> close after N bytes sent
        self.fail: dict[str, int] = {}  # path prefix -> HTTP status to answer instead
        self.corrupt: set[str] = set()  # file paths served with one byte flipped
        self.ignore_range = False
        self.rate: float | None = None  # bytes per second for file bytes, like a real link
        self.cdn_host = "localhost"
        self.cdn_base: str | None = None  # send file bytes elsewhere (e.g. closed_port_url())
        self._server: ThreadingHTTPServer | None = None
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()

    # setup

    def add_repo(self, repo_id: str, files: dict[str, bytes], **kwargs: Any) -> Repo:
        served = {p: ServedFile(p, d, lfs=p.endswith(".gguf")) for p, d in files.items()}
        repo = Repo(repo_id, served, **kwargs)
        self.repos[repo_id] = repo
        return repo

    def start(self) -> FakeHub:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        serve = functools.partial(self._server.serve_forever, poll_interval=0.05)
        threading.Thread(target=serve, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._lock:  # keep-alive connections would go on answering
            for conn in self._connections:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
            self._connections.clear()

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cdn_url(self, f: ServedFile) -> str:
        base = self.cdn_base or f"http://{self.cdn_host}:{self.port}"
        return f"{base}/cdn/{f.sha256}"

    def requests_to(self, prefix: str) -> list[Request]:
        return [r for r in self.requests if r.path.startswith(prefix)]

    def find_blob(self, sha: str) -> ServedFile | None:
        for repo in self.repos.values():
            for f in repo.files.values():
                if f.sha256 == sha:
                    return f
        return None


def _handler(hub: FakeHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def setup(self) -> None:
            super().setup()
            with hub._lock:
                hub._connections.add(self.connection)

        def finish(self) -> None:
            with hub._lock:
                hub._connections.discard(self.connection)
            with contextlib.suppress(OSError):
                super().finish()

        # plumbing

        def _reply(
            self, status: int, body: bytes = b"", headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
            body = json.dumps(data).encode()
            self._reply(status, body, {"Content-Type": "application/json", **(headers or {})})

        def _error(self, status: int, code: str, message: str) -> None:
            headers = {"X-Error-Code": code, "X-Error-Message": message}
            self._json(status, {"error": message}, headers)

        def _token(self) -> str | None:
            auth = self.headers.get("Authorization", "")
            return auth.removeprefix("Bearer ").strip() or None

        def _repo(self, repo_id: str, rev: str | None, *, files: bool) -> Repo | None:
            repo = hub.repos.get(repo_id)
            token = self._token()
            if repo is None or (repo.private and token not in hub.tokens):
                self._error(401, "RepoNotFound", "Repository not found")
                return None
            if rev not in (None, "main", repo.commit):
                self._error(404, "RevisionNotFound", "Invalid rev id")
                return None
            if files and repo.gated and token not in hub.tokens:
                status = 401 if token is None else 403
                self._error(status, "GatedRepo", f"Access to model {repo_id} is restricted.")
                return None
            return repo

        def _record(self) -> str:
            path = urlsplit(self.path).path
            headers = {k.lower(): v for k, v in self.headers.items()}
            hub.requests.append(Request(self.command, unquote(path), headers))
            return path

        # routes

        def do_GET(self) -> None:
            self._route()

        def do_HEAD(self) -> None:
            self._route()

        def do_POST(self) -> None:
            self._route()

        def _route(self) -> None:
            raw = self._record()
            for prefix, status in hub.fail.items():
                if unquote(raw).startswith(prefix):
                    return self._error(status, "ServerError", f"HTTP {status} for a test")
            parts = [unquote(p) for p in raw.strip("/").split("/")]
            query = parse_qs(urlsplit(self.path).query)
            if parts[:2] == ["api", "models"] and len(parts) == 2:
                return self._search(query)
            if parts[:2] == ["api", "models"] and len(parts) >= 4:
                repo_id = "/".join(parts[2:4])
                rest = parts[4:]
                if not rest:
                    return self._info(repo_id, None, query)
                if rest[0] == "revision" and len(rest) == 2:
                    return self._info(repo_id, rest[1], query)
                if rest[0] == "paths-info" and len(rest) == 2 and self.command == "POST":
                    return self._paths_info(repo_id, rest[1])
            if len(parts) >= 5 and parts[2] == "resolve":
                return self._resolve("/".join(parts[:2]), parts[3], "/".join(parts[4:]))
            if len(parts) == 2 and parts[0] == "cdn":
                blob = hub.find_blob(parts[1])
                if blob is not None:
                    return self._send_file(blob, {})
            self._error(404, "EntryNotFound", "Not found")

        def _search(self, query: dict[str, list[str]]) -> None:
            words = query.get("search", [""])[0].lower()
            tags = set(query.get("filter", []))
            repos = [
                r
                for r in hub.repos.values()
                if words in r.repo_id.lower() and tags <= set(r.tags) and not r.private
            ]
            key = {
                "downloads": lambda r: r.downloads,
                "likes": lambda r: r.likes,
                "lastModified": lambda r: r.last_modified,
                "createdAt": lambda r: r.last_modified,
            }.get(query.get("sort", ["downloads"])[0], lambda r: r.downloads)
            repos.sort(key=key, reverse=True)
            limit = int(query.get("limit", ["1000"])[0])
            self._json(200, [r.summary() for r in repos[:limit]])

        def _info(self, repo_id: str, rev: str | None, query: dict[str, list[str]]) -> None:
            repo = self._repo(repo_id, rev, files=False)
            if repo is None:
                return
            blobs = query.get("blobs", ["false"])[0].lower() == "true"
            siblings = []
            for f in repo.files.values():
                entry: dict[str, Any] = {"rfilename": f.path}
                if blobs:
                    entry |= {"size": len(f.data), "blobId": f.git_oid}
                    if f.lfs:
                        entry["lfs"] = {"sha256": f.sha256, "size": len(f.data), "pointerSize": 134}
                siblings.append(entry)
            self._json(200, {**repo.summary(), "sha": repo.commit, "siblings": siblings})

        def _paths_info(self, repo_id: str, rev: str) -> None:
            repo = self._repo(repo_id, rev, files=False)
            if repo is None:
                return
            length = int(self.headers.get("Content-Length", "0"))
            form = parse_qs(self.rfile.read(length).decode())
            out = []
            for p in form.get("paths", []):
                f = repo.files.get(p)
                if f is None:
                    continue
                entry: dict[str, Any] = {"type": "file", "path": p, "size": len(f.data)}
                entry["oid"] = f.git_oid
                if f.lfs:
                    entry["lfs"] = {"oid": f.sha256, "size": len(f.data), "pointerSize": 134}
                out.append(entry)
            self._json(200, out)

        def _resolve(self, repo_id: str, rev: str, path: str) -> None:
            repo = self._repo(repo_id, rev, files=True)
            if repo is None:
                return
            f = repo.files.get(path)
            if f is None:
                self._error(404, "EntryNotFound", f"{path} does not exist")
                return
            common = {"X-Repo-Commit": repo.commit, "Accept-Ranges": "bytes"}
            if f.lfs:
                self._reply(
                    302,
                    b"",
                    {
                        **common,
                        "Location": hub.cdn_url(f),
                        "ETag": f'"{f.git_oid}"',
                        "X-Linked-Etag": f'"{f.sha256}"',
                        "X-Linked-Size": str(len(f.data)),
                    },
                )
                return
            self._send_file(f, {**common, "ETag": f'"{f.git_oid}"'})

        def _send_file(self, f: ServedFile, headers: dict[str, str]) -> None:
            data = f.data
            if f.path in hub.corrupt:
                middle = len(data) // 2
                data = data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]
            start, end, status = 0, len(data) - 1, 200
            rng = self.headers.get("Range")
            if rng and not hub.ignore_range and rng.startswith("bytes="):
                first, _, last = rng[6:].partition("-")
                start = int(first) if first else 0
                end = min(int(last), len(data) - 1) if last else len(data) - 1
                if start >= len(data):
                    self._reply(416, b"", {"Content-Range": f"bytes */{len(data)}"})
                    return
                status = 206
                headers = {**headers, "Content-Range": f"bytes {start}-{end}/{len(data)}"}
            body = memoryview(data)[start : end + 1]
            self.send_response(status)
            for k, v in {"Accept-Ranges": "bytes", **headers}.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command == "HEAD":
                return
            cut = hub.cut_once.pop(f.path, None)
            if f.path in hub.cut_every:
                cut = max(hub.cut_every[f.path] - start, 0)
            if f.path in hub.cut_each_response:
                cut = hub.cut_each_response[f.path]
            if cut is not None and cut < len(body):
                self.wfile.write(body[:cut])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if hub.rate is None:
                self.wfile.write(body)
                return
            began, step = time.monotonic(), 64 * 1024
            for offset in range(0, len(body), step):
                self.wfile.write(body[offset : offset + step])
                ahead = (offset + step) / hub.rate - (time.monotonic() - began)
                if ahead > 0:
                    time.sleep(ahead)

    return Handler


def resolve_url(hub: FakeHub, repo_id: str, filename: str, rev: str = "main") -> str:
    return f"{hub.url}/{repo_id}/resolve/{rev}/{quote(filename)}"


def isolate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Point the app and huggingface_hub at temporary folders; no token, no real keyring."""
    hf_home = tmp_path / "hf"
    monkeypatch.setenv("HF_HOME", str(hf_home))
    monkeypatch.setattr(constants, "HF_HOME", str(hf_home))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(hf_home / "hub"))
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", True)
    monkeypatch.setenv("HF_HUB_DISABLE_IMPLICIT_TOKEN", "1")
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_IMPLICIT_TOKEN", True)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    for name in ("MODELS", "DATA", "CACHE", "CONFIG", "LOG"):
        monkeypatch.setenv(f"TOKENSCOPE_{name}_DIR", str(tmp_path / name.lower()))
    monkeypatch.setattr(keyring.core, "_keyring_backend", keyring.backends.fail.Keyring())


def use_hub(monkeypatch: pytest.MonkeyPatch, hub: FakeHub) -> None:
    """Send huggingface_hub to `hub`, as HF_ENDPOINT does (it is read once, at import)."""
    use_endpoint(monkeypatch, hub.url)


def closed_port_url() -> str:
    """An address on loopback where nothing listens: connections are refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def use_endpoint(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    """Send huggingface_hub to `url` (a `FakeHub`'s, or `closed_port_url()`)."""
    monkeypatch.setenv("HF_ENDPOINT", url)
    monkeypatch.setattr(constants, "ENDPOINT", url)
    template = url + "/{repo_id}/resolve/{revision}/{filename}"
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE", template)
    close_session()  # no pooled connection to an earlier server
