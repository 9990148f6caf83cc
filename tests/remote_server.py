"""llama-cpp-python's own OpenAI-compatible server (``python -m llama_cpp.server``), run on
loopback as a subprocess for the remote-backend tests, and its fixtures.

Import the fixtures into a test module: ``from tests.remote_server import tiny_server``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LoopbackServer:
    url: str  #: the OpenAI base URL, http://127.0.0.1:PORT/v1
    model: str  #: the model id the server lists
    proc: subprocess.Popen[bytes]
    log: Path

    def kill(self) -> None:
        """Kill the server at once (SIGKILL), as a crash or a pulled cable would."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(30)


@contextmanager
def llama_cpp_server(
    model: Path, log_dir: Path, *, api_key: str | None = None, n_ctx: int = 2048,
) -> Iterator[LoopbackServer]:
    """Start ``python -m llama_cpp.server`` on a free loopback port, wait until it lists
    its model on /v1/models, and stop it at the end."""
    port = free_port()
    log = log_dir / f"llama-server-{port}.log"
    cmd = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(model),
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(n_ctx),
        "--n_threads", "2", "--verbose", "False",
        # as the app's engine (LoadOptions.flash_attn): the same kernels, the same numbers
        "--flash_attn", "True",
    ]
    if api_key:
        cmd += ["--api_key", api_key]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}/v1"
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    server = LoopbackServer(url, str(model), proc, log)
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited: {log.read_text()[-2000:]}")
            try:
                req = urllib.request.Request(url + "/models", headers=headers)
                with urllib.request.urlopen(req, timeout=2) as r:
                    server.model = json.loads(r.read())["data"][0]["id"]
                    break
            except (urllib.error.URLError, OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield server
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="module")
def tiny_server(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[LoopbackServer]:
    """The tiny random-weight model served by llama-cpp-python on loopback."""
    with llama_cpp_server(tiny_model, tmp_path_factory.mktemp("srv"), n_ctx=512) as s:
        yield s


@pytest.fixture(scope="module")
def smol_server(smollm2: Path, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[LoopbackServer]:
    """SmolLM2-135M-Instruct served by llama-cpp-python on loopback."""
    with llama_cpp_server(smollm2, tmp_path_factory.mktemp("srv")) as s:
        yield s
