"""Remote servers: OpenAI-compatible endpoints (vLLM, llama-server, llama-cpp-python's
server, LM Studio, Ollama, …) that Tokenscope can chat with instead of a local model.

The list lives in ``servers.json`` in the config directory: name, base URL, kind, how many
``top_logprobs`` to ask for, and the chat template used to continue a reply from a chosen
token. **API keys never go there**: they are kept in the OS keyring (service
``tokenscope``, user ``server:<name>``), following ``secrets``' honesty rules (a keyring
that would not keep the key is refused, a stored key is read back). ``TOKENSCOPE_API_KEY``
in the environment wins over the keyring, for headless machines. Keys are never logged.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from urllib.parse import urlsplit

import keyring

from . import paths
from .errors import TokenscopeError
from .secrets import SERVICE, NoKeyringError, SecretStoreError, keyring_status

log = logging.getLogger(__name__)

ENV_KEY = "TOKENSCOPE_API_KEY"

#: kind -> what the user sees
KINDS: dict[str, str] = {
    "vllm": "vLLM",
    "llama-server": "llama.cpp llama-server",
    "llama-cpp-python": "llama-cpp-python server",
    "lmstudio": "LM Studio",
    "ollama": "Ollama",
    "openai": "other OpenAI-compatible",
}

#: The most ``top_logprobs`` each kind accepts by default. OpenAI's API caps it at 20;
#: vLLM at its ``--max-logprobs`` (default 20); llama-server's ``n_probs`` and
#: llama-cpp-python have no fixed cap (20 keeps requests and traces small).
MAX_TOP_LOGPROBS: dict[str, int] = {k: 20 for k in KINDS}

#: (which sampler settings each kind reads: ``remote_sampling.SUPPORTED``)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class ServerConfigError(TokenscopeError):
    """A server entry that cannot be used (bad name, bad URL, unknown server)."""


@dataclass
class Server:
    name: str
    url: str  #: base URL including the API prefix, e.g. http://gpu-box:8000/v1
    kind: str = "openai"
    #: how many alternatives per token to request (``top_logprobs`` / ``n_probs``)
    top_logprobs: int = 20
    #: chat template for continuing a reply from a token on servers without
    #: ``/apply-template`` or ``continue_final_message``: "" (none), "chatml", or a path
    #: to a Jinja template file
    template: str = ""

    @property
    def key_user(self) -> str:
        """The keyring user name of this server's API key."""
        return f"server:{self.name}"

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def normalise_url(url: str) -> str:
    """``http(s)://host[:port][/path]`` without a trailing slash; a bare host gets ``/v1``
    (where every server named in ``KINDS`` serves the OpenAI API). Raises
    ``ServerConfigError``."""
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ServerConfigError(
            f"{url!r} is not a server URL: give http://HOST:PORT (optionally with the API "
            "path, e.g. http://gpu-box:8000/v1)."
        )
    try:
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        raise ServerConfigError(f"{url!r} has an invalid port number.") from None
    return url if parts.path not in ("", "/") else url + "/v1"


def check_server(server: Server) -> Server:
    """``server`` with its URL normalised; raises ``ServerConfigError`` if unusable."""
    if not _NAME.match(server.name):
        raise ServerConfigError(
            f"{server.name!r} is not a usable server name: use letters, digits, '.', '_' "
            "or '-' (up to 64 characters), starting with a letter or digit."
        )
    if server.kind not in KINDS:
        raise ServerConfigError(
            f"Unknown server kind {server.kind!r}; choose one of: {', '.join(KINDS)}."
        )
    if not 0 <= server.top_logprobs <= 1000:
        raise ServerConfigError("top_logprobs must be between 0 and 1000.")
    server.url = normalise_url(server.url)
    return server


def _path() -> Path:
    return paths.config_dir() / "servers.json"


def load_servers() -> dict[str, Server]:
    """The saved servers by name (empty when there is no file; a broken file is reported
    with ``ServerConfigError`` and left untouched)."""
    path = _path()
    if not path.exists():
        return {}
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
        known = {f.name for f in fields(Server)}
        out = [Server(**{k: v for k, v in r.items() if k in known}) for r in rows]
    except (ValueError, TypeError, OSError) as exc:
        raise ServerConfigError(
            f"{path} cannot be read ({exc}); fix or remove it to manage servers again."
        ) from exc
    return {s.name: s for s in out}


def _save(servers: dict[str, Server]) -> None:
    path = _path()
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps([s.to_dict() for s in servers.values()], indent=1),
                   encoding="utf-8")
    tmp.replace(path)


def add_server(server: Server, api_key: str | None = None) -> str | None:
    """Save (or replace) ``server``; store ``api_key`` in the keyring when given. Returns
    where the key went (``KeyringStatus.where``) or None without a key.

    Raises ``ServerConfigError`` (bad entry), ``NoKeyringError``/``SecretStoreError`` (the
    key could not be kept; the server is then not saved either)."""
    check_server(server)
    where = set_api_key(server, api_key) if api_key else None
    servers = load_servers()
    servers[server.name] = server
    _save(servers)
    log.info("server %s saved (%s, %s)", server.name, server.kind, server.url)
    return where


def remove_server(name: str) -> None:
    """Forget a server and its key. Raises ``ServerConfigError`` if there is none."""
    servers = load_servers()
    if name not in servers:
        raise ServerConfigError(f"There is no server {name!r}; 'tokenscope servers list' "
                                "shows the saved ones.")
    server = servers.pop(name)
    _save(servers)
    with contextlib.suppress(Exception):  # no key stored, or no keyring: nothing to forget
        keyring.delete_password(SERVICE, server.key_user)


def resolve(name_or_url: str) -> Server:
    """A saved server by name, or an unsaved one for a URL (kind "openai")."""
    servers = load_servers()
    if name_or_url in servers:
        return servers[name_or_url]
    if "://" in name_or_url:
        return check_server(Server("url", name_or_url))
    names = ", ".join(servers) or "none saved"
    raise ServerConfigError(
        f"There is no server {name_or_url!r} ({names}). Add it with 'tokenscope servers add "
        "NAME URL' or give its URL (http://HOST:PORT/v1)."
    )


def set_api_key(server: Server, api_key: str) -> str:
    """Keep ``api_key`` in the keyring and return where it went; see ``secrets.set_token``."""
    status = keyring_status()
    if not status.usable:
        raise NoKeyringError(
            f"The API key was not saved: {status.problem} For servers, set {ENV_KEY} instead."
        )
    try:
        keyring.set_password(SERVICE, server.key_user, api_key.strip())
        kept = keyring.get_password(SERVICE, server.key_user)
    except Exception as exc:
        raise SecretStoreError(
            f"The keyring could not store the API key ({type(exc).__name__}); set "
            f"{ENV_KEY} instead."
        ) from None
    if kept != api_key.strip():
        raise NoKeyringError(f"The keyring did not keep the API key; set {ENV_KEY} instead.")
    log.info("API key of server %s stored in %s", server.name, status.where)
    return status.where


def api_key(server: Server) -> str | None:
    """The key to send: ``TOKENSCOPE_API_KEY`` if set, else the keyring's, else None."""
    env = os.environ.get(ENV_KEY, "").strip()
    return env or stored_key(server)


def stored_key(server: Server) -> str | None:
    """The key the keyring keeps for ``server`` (None: none, or no keyring)."""
    try:
        return keyring.get_password(SERVICE, server.key_user) or None
    except Exception as exc:  # no keyring, locked keyring
        log.info("no API key from the keyring: %s", type(exc).__name__)
        return None


def rename_server(old: str, server: Server, api_key: str | None = None) -> str | None:
    """Save ``server`` in place of the one named ``old``, keeping its stored key unless
    ``api_key`` replaces it; see ``add_server`` for what is returned and raised."""
    previous = load_servers().get(old)
    key = api_key or (stored_key(previous) if previous is not None else None)
    where = add_server(server, key)
    if previous is not None and old != server.name:
        remove_server(old)
    return where
