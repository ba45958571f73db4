"""The shop target: one client for the Auth Service, the Backend and (optionally) its database.

It logs in as the configured admin on first need and logs in again when the token expires
(a 401 with a token that worked before). It remembers the passwords of the users tdm created in
this process, so it can act as them (ordering, filling a cart) the way a person would.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Collection
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import anyio
import httpx2
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

import tdm

__all__ = ["DEFAULTS", "ShopClient", "async_db_url", "open_shop"]

DEFAULTS = {
    "AUTH_SERVICE_URL": "http://localhost:8001",
    "BACKEND_URL": "http://localhost:8000",
    "TDM_ADMIN_EMAIL": "admin@shop.test",
    "TDM_ADMIN_PASSWORD": "Admin-Passw0rd",
}

# Process-wide, keyed by the Auth Service URL: sessions come and go, tokens and the passwords
# of users tdm created stay useful. Bounded so a long-running server does not grow forever.
_TOKENS: dict[tuple[str, str], tuple[str, float]] = {}
_PASSWORDS: dict[tuple[str, int], tuple[str, str]] = {}
_MAX_REMEMBERED = 50_000


def async_db_url(url: str) -> str:
    """A SQLAlchemy URL with an async driver: aiosqlite for SQLite, psycopg for PostgreSQL."""
    parsed = make_url(url)
    driver = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+psycopg"}.get(
        parsed.get_backend_name()
    )
    if driver is None:
        raise tdm.ConfigError("BACKEND_DB_URL", url, "a sqlite:// or postgresql:// URL")
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


class ShopClient:
    """What the shop's kinds receive: its two services and, when configured, its database."""

    def __init__(
        self,
        auth: tdm.ApiClient,
        backend: tdm.ApiClient,
        *,
        admin_email: str,
        admin_password: str,
        backend_db: AsyncEngine | None = None,
    ) -> None:
        self.auth, self.backend, self.backend_db = auth, backend, backend_db
        self._admin = (admin_email, admin_password)
        self._key = str(auth.client.base_url)
        self._login_lock = anyio.Lock()

    def __repr__(self) -> str:
        return f"<ShopClient auth={self._key} backend={self.backend.client.base_url}>"

    # -- identities --------------------------------------------------------------------------

    def remember(self, user_id: int, email: str, password: str) -> None:
        """Keep a user's credentials so tdm can act as that user later in this process."""
        if len(_PASSWORDS) >= _MAX_REMEMBERED:
            _PASSWORDS.pop(next(iter(_PASSWORDS)))
        _PASSWORDS[(self._key, user_id)] = (email, password)

    async def _token(self, email: str, password: str, *, fresh: bool = False) -> str:
        key = (self._key, email)
        cached = _TOKENS.get(key)
        if cached and not fresh and cached[1] > time.monotonic():
            return cached[0]
        async with self._login_lock:
            cached = _TOKENS.get(key)
            if cached and not fresh and cached[1] > time.monotonic():
                return cached[0]
            response = await self.auth.request(
                "POST", "/auth/login", json={"email": email, "password": password}, expect=(200,)
            )
            body = response.json()
            # Renew a little before expiry so a request never goes out with a dying token.
            _TOKENS[key] = (body["accessToken"], time.monotonic() + body["expiresIn"] * 0.9)
            return str(body["accessToken"])

    async def _as(
        self,
        api: tdm.ApiClient,
        identity: tuple[str, str],
        method: str,
        url: str,
        expect: Collection[int],
        **kwargs: Any,
    ) -> httpx2.Response:
        token = await self._token(*identity)
        headers = {"Authorization": f"Bearer {token}"}
        response = await api.request(method, url, expect=(*expect, 401), headers=headers, **kwargs)
        if response.status_code == 401 and 401 not in expect:
            token = await self._token(*identity, fresh=True)
            headers = {"Authorization": f"Bearer {token}"}
            response = await api.request(method, url, expect=expect, headers=headers, **kwargs)
        return response

    async def as_admin(
        self,
        service: str,
        method: str,
        url: str,
        *,
        expect: Collection[int] = (200, 201, 204),
        **kwargs: Any,
    ) -> httpx2.Response:
        """A request as the admin account to ``service`` (``"auth"`` or ``"backend"``)."""
        api = self.auth if service == "auth" else self.backend
        return await self._as(api, self._admin, method, url, expect, **kwargs)

    async def as_user(
        self,
        user_id: int,
        method: str,
        url: str,
        *,
        expect: Collection[int] = (200, 201, 204),
        **kwargs: Any,
    ) -> httpx2.Response:
        """A request to the Backend as user ``user_id`` (whose password tdm must know)."""
        identity = _PASSWORDS.get((self._key, user_id))
        if identity is None:
            raise tdm.InvalidParameters(
                "the shop",
                [tdm.FieldProblem(
                    "userId",
                    "a user tdm created in this process (its password is needed to act as it)",
                    user_id,
                )],
            )  # fmt: skip
        return await self._as(self.backend, identity, method, url, expect, **kwargs)

    async def pages(self, service: str, url: str, **params: Any) -> AsyncIterator[dict[str, Any]]:
        """Every item of a paged admin listing."""
        offset = 0
        while True:
            response = await self.as_admin(
                service, "GET", url, params={**params, "limit": 100, "offset": offset}
            )
            body = response.json()
            for item in body["items"]:
                yield item
            offset += len(body["items"])
            if not body["items"] or offset >= body["total"]:
                return


@asynccontextmanager
async def open_shop(settings: tdm.Settings) -> AsyncIterator[ShopClient]:
    """The ``shop`` target: reads AUTH_SERVICE_URL, BACKEND_URL, BACKEND_DB_URL, TDM_ADMIN_*."""

    def setting(key: str) -> str:
        return settings.get(key, DEFAULTS[key])

    timeout = httpx2.Timeout(settings.http_timeout)
    limits = httpx2.Limits(max_connections=max(settings.concurrency * 2, 10))
    async with AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                httpx2.AsyncClient(base_url=setting(key), timeout=timeout, limits=limits)
            )
            for key in ("AUTH_SERVICE_URL", "BACKEND_URL")
        ]
        db_url = settings.get("BACKEND_DB_URL")
        engine = create_async_engine(async_db_url(db_url)) if db_url else None
        if engine is not None:
            stack.push_async_callback(engine.dispose)
        yield ShopClient(
            tdm.ApiClient("auth service", clients[0], retries=settings.http_retries),
            tdm.ApiClient("backend", clients[1], retries=settings.http_retries),
            admin_email=setting("TDM_ADMIN_EMAIL"),
            admin_password=setting("TDM_ADMIN_PASSWORD"),
            backend_db=engine,
        )
