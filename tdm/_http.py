"""HTTP for targets: retries with backoff where it is safe, and errors that say what failed."""

from __future__ import annotations

import functools
import logging
import random
import ssl
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx2

from ._errors import TargetError, TargetUnavailable
from ._settings import Settings

__all__ = ["ApiClient"]

log = logging.getLogger("tdm.http")

_IDEMPOTENT = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}
_ALWAYS_RETRY = {429, 502, 503, 504}


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # Building a context reads the CA bundle (~20 ms); one per process serves every client.
    return ssl.create_default_context()


class ApiClient:
    """An ``httpx2.AsyncClient`` for one service of a system under test.

    Connection failures, 429 and 502-504 are retried with exponential backoff and jitter for
    every method (the request was not processed); a 500 is retried only for idempotent methods
    (a create that failed with 500 might have happened). Any status outside ``expect`` raises
    :class:`~tdm.TargetError` with the service's own message; an unreachable service raises
    :class:`~tdm.TargetUnavailable` after the last attempt.
    """

    def __init__(
        self, name: str, client: httpx2.AsyncClient, *, retries: int = 3, backoff: float = 0.05
    ) -> None:
        self.name, self.client, self.retries, self.backoff = name, client, retries, backoff

    def __repr__(self) -> str:
        return f"<tdm.ApiClient {self.name!r} {self.client.base_url}>"

    @classmethod
    @asynccontextmanager
    async def connect(
        cls, name: str, base_url: str, settings: Settings, **client_options: Any
    ) -> AsyncIterator[ApiClient]:
        """An ApiClient on a new ``httpx2.AsyncClient`` configured from ``settings``.

        Timeouts, retries and the connection limit come from the settings; the TLS context is
        shared by every client of the process, so opening one per session stays cheap.
        """
        options: dict[str, Any] = {
            "base_url": base_url,
            "timeout": httpx2.Timeout(settings.http_timeout),
            "limits": httpx2.Limits(max_connections=max(settings.concurrency * 2, 10)),
            "verify": _ssl_context(),
            **client_options,
        }
        async with httpx2.AsyncClient(**options) as client:
            yield cls(name, client, retries=settings.http_retries)

    async def request(
        self,
        method: str,
        url: str,
        *,
        expect: Collection[int] = (200, 201, 204),
        **kwargs: Any,
    ) -> httpx2.Response:
        """Send a request; return the response when its status is in ``expect``."""
        method = method.upper()
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self.client.request(method, url, **kwargs)
            except httpx2.TransportError as exc:
                if attempt > self.retries:
                    raise TargetUnavailable(
                        self.name, f"{method} {url} failed after {attempt} attempts: {exc!r}"
                    ) from exc
                await self._pause(attempt, f"{type(exc).__name__}")
                continue
            status = response.status_code
            if status in expect:
                return response
            retryable = status in _ALWAYS_RETRY or (status >= 500 and method in _IDEMPOTENT)
            if retryable and attempt <= self.retries:
                await self._pause(attempt, f"status {status}")
                continue
            raise TargetError(
                self.name, f"{method} {url} answered {status}: {_detail(response)}", status=status
            )

    async def _pause(self, attempt: int, why: str) -> None:
        delay = self.backoff * 2 ** (attempt - 1) * (1 + random.random())
        log.info("%s: %s, retrying in %.2fs (attempt %d)", self.name, why, delay, attempt)
        await anyio.sleep(delay)


def _detail(response: httpx2.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("error") or body)[:500]
    return str(body)[:200]
