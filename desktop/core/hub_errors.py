"""What can go wrong talking to the Hugging Face Hub, as typed errors that name the cause.

Each failure a user can meet has its own class and a message that says what to do:
the Hub cannot be reached at all (`HubOfflineError`), it was reached but the connection
kept dropping (`HubConnectionError`), the token was missing or refused (`HubAuthError`),
no such repository or file (`HubNotFoundError`), the Hub itself failed
(`HubServerError`, HTTP 5xx). A full disk is the library's `DiskFullError`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from urllib.parse import urlparse

import httpx2
from huggingface_hub import constants
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    OfflineModeIsEnabled,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from .errors import TokenscopeError

GATED = (
    "This repository is gated or private: accept its terms on huggingface.co and add your "
    "Hugging Face token (Models window → Hugging Face token, 'tokenscope models token', "
    "or set HF_TOKEN)."
)


class HubError(TokenscopeError):
    """A Hub operation failed; the message says why and what to do."""


class HubAuthError(HubError):
    """The repository is gated or private, or the token was refused (HTTP 401 / 403)."""


class HubNotFoundError(HubError):
    """No such repository, revision or file (HTTP 404)."""


class HubOfflineError(HubError):
    """The Hub (or the server that holds its files) cannot be reached at all."""


class HubConnectionError(HubError):
    """The server was reached, but the connection kept dropping or stopped answering."""


class HubServerError(HubError):
    """The Hub answered with a server error (HTTP 5xx)."""


class VerificationError(HubError):
    """A downloaded file does not match the Hub's checksum (it has been deleted)."""


class DownloadCancelled(HubError):
    """The download was stopped by its cancel event; its partial file is kept for resuming."""


def host_of(url: str) -> str:
    parsed = urlparse(url)
    return parsed.netloc or url


def _request_host(exc: httpx2.RequestError) -> str:
    try:
        return host_of(str(exc.request.url))
    except RuntimeError:  # no request attached to the error
        return host_of(constants.ENDPOINT)


def offline_error(exc: Exception) -> HubOfflineError:
    """The error for a connection that could not be made at all."""
    host = _request_host(exc) if isinstance(exc, httpx2.RequestError) else ""
    hub_host = host_of(constants.ENDPOINT)
    if isinstance(exc, OfflineModeIsEnabled):
        text = "HF_HUB_OFFLINE is set, so the Hugging Face Hub is not contacted; unset it to "
        return HubOfflineError(text + "search and download models.")
    where = f"the Hugging Face Hub at {constants.ENDPOINT}"
    if host and host != hub_host:
        where = f"{host}, the server that holds the Hub's files"
    return HubOfflineError(
        f"Cannot reach {where}: check your internet connection (or proxy / HF_ENDPOINT) "
        "and try again."
    )


def dropped_error(
    what: str, exc: httpx2.RequestError, attempts: int = 1, *, resumable: bool = False
) -> HubConnectionError:
    """The error for a connection that was made but then closed or stalled."""
    host = _request_host(exc)
    if isinstance(exc, httpx2.TimeoutException):
        cause = f"{host} stopped answering (timed out)"
    elif attempts > 1:
        cause = f"the server ({host}) kept closing the connection ({attempts} times in a row)"
    else:
        cause = f"the server ({host}) closed the connection"
    then = "; the download resumes where it stopped" if resumable else ""
    return HubConnectionError(f"{what}: {cause}. Try again later{then}.")


def http_error(what: str, exc: HfHubHTTPError) -> HubError:
    """The error for an HTTP error status from the Hub."""
    status = exc.response.status_code if exc.response is not None else None
    if isinstance(exc, GatedRepoError):
        return HubAuthError(f"{what}: {GATED}")
    if isinstance(exc, RepositoryNotFoundError):
        if status == 404:
            return HubNotFoundError(f"{what}: no such repository on the Hub; check the name.")
        return HubAuthError(
            f"{what}: no such repository, or it is gated or private. Check the name; if it is "
            "gated or private, accept its terms on huggingface.co and add your Hugging Face "
            "token (Models window → Hugging Face token, or set HF_TOKEN)."
        )
    if isinstance(exc, (RevisionNotFoundError, RemoteEntryNotFoundError)) or status == 404:
        return HubNotFoundError(f"{what}: not found on the Hub; check the name.")
    if status in (401, 403):
        return HubAuthError(f"{what}: {GATED}")
    if status == 429:
        return HubError("The Hub is limiting requests: wait a minute and try again.")
    if status is not None and status >= 500:
        return HubServerError(
            f"{what}: the Hub had a server error (HTTP {status}); this is on its side, "
            "try again in a few minutes."
        )
    return HubError(f"{what}: the Hub answered HTTP {status}; try again later.")


def is_connect_failure(exc: BaseException) -> bool:
    """Whether no connection could be made at all (as opposed to one that dropped)."""
    return isinstance(exc, (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.UnsupportedProtocol))


@contextlib.contextmanager
def hub_errors(what: str) -> Iterator[None]:
    """Turn huggingface_hub / httpx2 errors into ours, with messages for users."""
    try:
        yield
    except HfHubHTTPError as exc:
        raise http_error(what, exc) from exc
    except OfflineModeIsEnabled as exc:
        raise offline_error(exc) from exc
    except (httpx2.ProxyError, httpx2.UnsupportedProtocol) as exc:
        raise offline_error(exc) from exc
    except httpx2.RequestError as exc:
        if is_connect_failure(exc):
            raise offline_error(exc) from exc
        if isinstance(exc, httpx2.TransportError):  # read/write errors, timeouts
            raise dropped_error(what, exc) from exc
        raise HubError(f"{what}: the request to the Hub failed ({exc}); try again.") from exc
