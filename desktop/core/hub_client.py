"""The few things every Hub call shares: the endpoint, the token, URLs and one quick GET.

`HF_ENDPOINT` is honoured as huggingface_hub does (its `constants.ENDPOINT`). Requests made
here are not retried: huggingface_hub's back-off retries an unreachable Hub for about 23 s,
and a user would rather be told at once (the window offers "Try again").
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote, urlparse

from huggingface_hub import HfApi, constants
from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status

from . import secrets

# seconds to wait for a connection or an answer; huggingface_hub's default is 10
TIMEOUT_S = 10.0


def api() -> HfApi:
    return HfApi(endpoint=constants.ENDPOINT)


def resolve_token(token: str | None) -> str | None:
    """`token` if given, else the stored one (HF_TOKEN, then the keyring)."""
    return token if token is not None else secrets.get_token()


def get_json(path: str, params: dict[str, Any], token: str | None) -> Any:
    """GET ``{endpoint}{path}`` once (no retries) and return its JSON body.

    Raises huggingface_hub's HTTP errors and httpx2's transport errors: wrap the call in
    `hub_errors.hub_errors`.
    """
    response = get_session().get(
        f"{constants.ENDPOINT}{path}",
        params=params,
        headers=build_hf_headers(token=token),
        timeout=TIMEOUT_S,
    )
    hf_raise_for_status(response)
    return response.json()


def file_url(repo_id: str, filename: str, revision: str) -> str:
    return f"{constants.ENDPOINT}/{repo_id}/resolve/{quote(revision, safe='')}/{quote(filename)}"


def origin(url: str) -> tuple[str, str]:
    parsed = urlparse(url)
    return parsed.scheme, parsed.netloc.lower()


def safe_name(name: str) -> bool:
    """A relative path inside the repository (a hostile listing must not escape dest_dir)."""
    parts = PurePosixPath(name).parts
    return bool(parts) and not name.startswith("/") and ".." not in parts and "\\" not in name
