"""HTTP for targets: retries with backoff where it is safe, and errors that say what failed."""

from __future__ import annotations

import functools
import html
import logging
import random
import re
import socket
import ssl
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx2

from ._errors import Outcome, TargetError, TargetUnavailable
from ._guard import guard_target
from ._settings import Settings

__all__ = ["HttpService"]

log = logging.getLogger("tdm.http")

_IDEMPOTENT = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}
_NOT_SENT = (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout)
"""Failures before the request left: nothing can have happened."""
_BUSY_BEFORE_ACTING: frozenset[int] = frozenset()
"""Statuses a system answers only before acting; none by default (a proxy's 502 or 503 may
come after the system processed the request)."""


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # Building a context reads the CA bundle (~20 ms); one per process serves every client.
    return ssl.create_default_context()


class HttpService:
    """An ``httpx2.AsyncClient`` for one service of a system under test.

    Connection failures, 429 and 502-504 are retried with exponential backoff and jitter for
    every method (the request was not processed); a 500 is retried only for idempotent methods
    (a create that failed with 500 might have happened). Any status outside ``expect`` raises
    :class:`~tdm.TargetError` with the service's own message; an unreachable service raises
    :class:`~tdm.TargetUnavailable` after the last attempt.
    """

    def __init__(
        self, name: str, client: httpx2.AsyncClient, *, retries: int = 3, backoff: float = 0.05,
        setting: str | None = None,
    ) -> None:  # fmt: skip
        self.name, self.client, self.retries, self.backoff = name, client, retries, backoff
        self.setting = setting

    def __repr__(self) -> str:
        return f"<tdm.HttpService {self.name!r} {self.client.base_url}>"

    @classmethod
    @asynccontextmanager
    async def connect(
        cls, name: str, base_url: str, settings: Settings, *, setting: str | None = None,
        **client_options: Any,
    ) -> AsyncIterator[HttpService]:  # fmt: skip
        """An HttpService on a new ``httpx2.AsyncClient`` configured from ``settings``.

        Timeouts, retries and the connection limit come from the settings; the TLS context is
        shared by every client of the process, so opening one per session stays cheap. A
        ``base_url`` the production guard refuses raises :class:`~tdm.TargetNotAllowed`
        (naming ``setting``) before anything is opened.
        """
        guard_target(base_url, settings, setting=setting)
        options: dict[str, Any] = {
            "base_url": base_url,
            "timeout": httpx2.Timeout(settings.http_timeout),
            "limits": httpx2.Limits(max_connections=max(settings.concurrency * 2, 10)),
            "verify": _ssl_context(),
            **client_options,
        }
        async with httpx2.AsyncClient(**options) as client:
            described = settings.describe(setting) if setting else None
            yield cls(name, client, retries=settings.http_retries, setting=described)

    async def request(
        self,
        method: str,
        url: str,
        *,
        expect: Collection[int] = (200, 201, 204),
        **kwargs: Any,
    ) -> httpx2.Response:
        """Send a request; return the response when its status is in ``expect``.

        What may be retried depends on whether the system could have acted: a request that
        never left (no connection) or that the system refused to process (429) is retried for
        every method; one whose outcome is unknown (a timeout after sending, a reset, a 5xx)
        only for idempotent methods. For others the error says ``outcome="unknown"``, so the
        caller finds out (by natural key) before trying again.
        """
        method = method.upper()
        idempotent = method in _IDEMPOTENT
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self.client.request(method, url, **kwargs)
            except httpx2.TransportError as exc:
                sent = not isinstance(exc, _NOT_SENT)
                if attempt <= self.retries and (idempotent or not sent):
                    await self._pause(attempt, type(exc).__name__)
                    continue
                raise TargetUnavailable(
                    self.name,
                    self._failed(method, url, attempt, exc),
                    outcome="unknown" if sent else "not_sent",
                ) from exc
            status = response.status_code
            if status in expect:
                return response
            refused = status == 429 or status in _BUSY_BEFORE_ACTING
            if attempt <= self.retries and (refused or (status >= 500 and idempotent)):
                await self._pause(attempt, f"status {status}")
                continue
            outcome: Outcome = "refused" if status < 500 else "unknown"
            raise TargetError(
                self.name, f"{method} {url} answered {status}: {_detail(response)}",
                status=status, outcome=outcome,
            )  # fmt: skip

    def _failed(self, method: str, url: str, attempts: int, exc: Exception) -> str:
        where = f"{self.client.base_url}".rstrip("/")
        setting = f" (from {self.setting})" if self.setting else ""
        tries = f"after {attempts} attempts" if attempts > 1 else "at once"
        return f"{method} {where}{url}{setting} failed {tries}: {transport_reason(exc)}"

    async def _pause(self, attempt: int, why: str) -> None:
        delay = self.backoff * 2 ** (attempt - 1) * (1 + random.random())
        log.info("%s: %s, retrying in %.2fs (attempt %d)", self.name, why, delay, attempt)
        await anyio.sleep(delay)


_REASONS: tuple[tuple[type[BaseException], str], ...] = (
    (ConnectionRefusedError, "the connection was refused (is it running?)"),
    (socket.gaierror, "the host name does not resolve"),
    (httpx2.ConnectTimeout, "no connection within the timeout (TDM_HTTP_TIMEOUT)"),
    (httpx2.ReadTimeout, "no answer within the timeout (TDM_HTTP_TIMEOUT)"),
    (httpx2.WriteTimeout, "the request could not be sent within the timeout (TDM_HTTP_TIMEOUT)"),
    (httpx2.PoolTimeout, "no free connection within the timeout (TDM_HTTP_TIMEOUT)"),
    (httpx2.RemoteProtocolError, "the connection closed without an answer"),
    (ConnectionResetError, "the connection was reset"),
    (ssl.SSLError, "the TLS handshake failed"),
)


def transport_reason(exc: BaseException) -> str:
    """Why a request got no answer, in words: ``the connection was refused``, not
    ``ConnectError('All connection attempts failed')``."""
    chain: list[BaseException] = []
    found: BaseException | None = exc
    while found is not None and found not in chain:
        chain.append(found)
        found = found.__cause__ or found.__context__
    for kind, words in _REASONS:
        if any(isinstance(link, kind) for link in chain):
            return words
    text = str(exc).strip()
    return text[0].lower() + text[1:] if text else type(exc).__name__


def _detail(response: httpx2.Response) -> str:
    """The service's own words for an error: its JSON message, an HTML page's title or first
    heading, or the start of its text."""
    try:
        body = response.json()
    except ValueError:
        text = response.text
        if "html" in response.headers.get("content-type", "") or text.lstrip()[:1] == "<":
            return _html_summary(text) or response.reason_phrase
        return " ".join(text[:200].split()) or response.reason_phrase
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("error") or body.get("message") or body)[:500]
    return str(body)[:200]


_TITLE = re.compile(r"<(title|h1|h2)\b[^>]*>(.*?)</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def _html_summary(text: str) -> str:
    """An HTML error page in a few words: its title, else its first heading."""
    found = {tag.lower(): body for tag, body in _TITLE.findall(text)}
    for tag in ("title", "h1", "h2"):
        if found.get(tag):
            words = " ".join(html.unescape(_TAG.sub(" ", found[tag])).split())
            if words:
                return f"an HTML page: {words[:200]}"
    return ""
