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
from sqlalchemy.ext.asyncio import AsyncEngine

import tdm

from ._sql import open_engine

__all__ = ["DEFAULTS", "ShopClient", "open_shop"]

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


class ShopClient:
    """What the shop's kinds receive: its two services and, when configured, its database."""

    def __init__(
        self,
        auth: tdm.HttpService,
        backend: tdm.HttpService,
        *,
        admin_email: str,
        admin_password: str,
        auth_db: AsyncEngine | None = None,
        backend_db: AsyncEngine | None = None,
    ) -> None:
        self.auth, self.backend = auth, backend
        self.auth_db, self.backend_db = auth_db, backend_db
        self._admin = (admin_email, admin_password)
        self._key = str(auth.client.base_url)
        self._login_lock = anyio.Lock()

    def __repr__(self) -> str:
        return f"<ShopClient auth={self._key} backend={self.backend.client.base_url}>"

    # -- identities --------------------------------------------------------------------------

    def knows(self, user_id: int) -> bool:
        """Whether this process can act as ``user_id`` already."""
        return (self._key, user_id) in _PASSWORDS

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
        api: tdm.HttpService,
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
        return await self._as(self.backend, self._identity(user_id), method, url, expect, **kwargs)

    async def sign_in(self, user_id: int) -> None:
        """Log in as ``user_id`` now: its later requests reuse the token instead of waiting for
        a login (a scenario signs its user in while other steps run)."""
        await self._token(*self._identity(user_id))

    def _identity(self, user_id: int) -> tuple[str, str]:
        identity = _PASSWORDS.get((self._key, user_id))
        if identity is None:
            raise tdm.InvalidParameters(
                "the shop",
                [tdm.FieldProblem(
                    ("user_id",),
                    "a user tdm created in this process (its password is needed to act as it)",
                    user_id,
                )],
            )  # fmt: skip
        return identity

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
    """The ``shop`` target.

    Reads AUTH_SERVICE_URL and BACKEND_URL, TDM_ADMIN_EMAIL and TDM_ADMIN_PASSWORD (the admin
    account tdm works as), and optionally AUTH_DB_URL and BACKEND_DB_URL: with them, orders can
    be deleted (the API cannot) and cleanup deletes in bulk with one statement per batch.
    """

    def setting(key: str) -> str:
        return settings.get(key, DEFAULTS[key])

    async with AsyncExitStack() as stack:
        auth, backend = [
            await stack.enter_async_context(
                tdm.HttpService.connect(name, setting(key), settings, setting=key)
            )
            for name, key in (("auth service", "AUTH_SERVICE_URL"), ("backend", "BACKEND_URL"))
        ]
        engines: dict[str, AsyncEngine | None] = dict.fromkeys(("AUTH_DB_URL", "BACKEND_DB_URL"))
        for key in engines:
            url = settings.get(key)
            if url:
                engine = engines[key] = open_engine(key, url, settings)
                stack.push_async_callback(engine.dispose)
        yield ShopClient(
            auth,
            backend,
            admin_email=setting("TDM_ADMIN_EMAIL"),
            admin_password=setting("TDM_ADMIN_PASSWORD"),
            auth_db=engines["AUTH_DB_URL"],
            backend_db=engines["BACKEND_DB_URL"],
        )
