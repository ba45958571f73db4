"""Fixtures that run tdm against the real reference shop, on SQLite and on PostgreSQL.

Outcomes are checked through the shop itself (its admin API and its database) by
:class:`Inspector`, never through tdm's own memory.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx2
import psycopg
import pytest

import tdm
import tdm_scenarios
from tdm_sut import ShopSettings, ShopThread

PG_SERVER = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
ADMIN = ("admin@shop.test", "Admin-Passw0rd")


class Inspector:
    """Looks at the shop as its admin would, without tdm."""

    def __init__(self, thread: ShopThread) -> None:
        self.thread = thread
        self.auth = httpx2.Client(base_url=thread.auth_url, trust_env=False, timeout=30)
        self.api = httpx2.Client(base_url=thread.backend_url, trust_env=False, timeout=30)
        token = self.auth.post(
            "/auth/login", json=dict(zip(("email", "password"), ADMIN, strict=True))
        )
        self.headers = {"Authorization": f"Bearer {token.json()['accessToken']}"}

    def close(self) -> None:
        self.auth.close()
        self.api.close()

    def env(self, *, database: bool = True) -> dict[str, str]:
        """The environment tdm reads to reach this shop (with or without database access)."""
        env = {"AUTH_SERVICE_URL": self.thread.auth_url, "BACKEND_URL": self.thread.backend_url}
        if database:
            env["AUTH_DB_URL"] = self.thread.settings.auth_db_url
            env["BACKEND_DB_URL"] = self.thread.settings.backend_db_url
        return env

    def _all(self, client: httpx2.Client, url: str, **params: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        while True:
            page = client.get(url, params={**params, "limit": 100, "offset": len(items)},
                              headers=self.headers)  # fmt: skip
            assert page.status_code == 200, page.text
            body = page.json()
            items += body["items"]
            if not body["items"] or len(items) >= body["total"]:
                return items

    def users(self, email: str | None = None) -> list[dict[str, Any]]:
        return self._all(self.auth, "/auth/users", **({"email": email} if email else {}))

    def orders(self, user_id: int | None = None) -> list[dict[str, Any]]:
        return self._all(self.api, "/api/admin/orders", **({"userId": user_id} if user_id else {}))

    def cart_items(self, user_id: int | None = None) -> list[dict[str, Any]]:
        params = {"userId": user_id} if user_id else {}
        return self._all(self.api, "/api/admin/cart-items", **params)

    def product(self, product_id: int) -> dict[str, Any] | None:
        answer = self.api.get(f"/api/products/{product_id}")
        return answer.json() if answer.status_code == 200 else None  # type: ignore[no-any-return]

    def categories(self) -> list[dict[str, Any]]:
        return self._all(self.api, "/api/categories")

    def exists(self, record: tdm.TrackingRecord) -> bool:
        """Whether the entity behind a tracking record is in the shop."""
        entity_id = int(record.entity_id or 0)
        if record.kind == "user":
            return any(u["id"] == entity_id for u in self.users(record.label))
        if record.kind == "order":
            return self.api.get(f"/api/orders/{entity_id}", headers=self.headers).status_code == 200
        if record.kind == "cartItem":
            return any(i["id"] == entity_id for i in self.cart_items())
        if record.kind == "product":
            return self.product(entity_id) is not None
        if record.kind == "category":
            return any(c["id"] == entity_id for c in self.categories())
        raise AssertionError(record.kind)


@pytest.fixture(scope="session")
def pg_backend_urls() -> Iterator[tuple[str, str]]:
    """Fresh PostgreSQL databases for the shop's two services, dropped afterwards."""
    base = f"tdm_shop_{uuid.uuid4().hex[:10]}"
    names = (f"{base}_auth", f"{base}_backend")
    with psycopg.connect(PG_SERVER, autocommit=True) as connection:
        for name in names:
            connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield tuple(f"postgresql://postgres@127.0.0.1:5432/{n}" for n in names)  # type: ignore[misc]
    finally:
        with psycopg.connect(PG_SERVER, autocommit=True) as connection:
            for name in names:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start_shop(data_dir: Path, **changes: Any) -> ShopThread:
    settings = ShopSettings(
        auth_port=0, backend_port=0, data_dir=data_dir, scrypt_n=2**10, **changes
    )
    return ShopThread(settings)


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def shop(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Inspector]:
    """The running shop (SQLite files or PostgreSQL databases) and an inspector for it."""
    changes: dict[str, Any] = {}
    if request.param == "postgres":
        auth_url, backend_url = request.getfixturevalue("pg_backend_urls")
        changes = {"auth_db_url": auth_url, "backend_db_url": backend_url}
    with start_shop(tmp_path_factory.mktemp(f"shop-{request.param}"), **changes) as thread:
        inspector = Inspector(thread)
        yield inspector
        inspector.close()


@pytest.fixture
def ledger_path(tmp_path: Path) -> Path:
    return tmp_path / "ledger.sqlite3"


@pytest.fixture
async def manager(shop: Inspector, ledger_path: Path) -> AsyncIterator[tdm.Manager]:
    """tdm on the shop's catalog, with database access for orders, on a ledger of its own."""
    settings = tdm.Settings(
        ledger_path=ledger_path, run_id=f"run-{uuid.uuid4().hex[:8]}", env=shop.env()
    )
    manager = tdm.Manager(settings, registry=tdm_scenarios.registry)
    yield manager
    manager.ledger.close()


@pytest.fixture
async def seeded(manager: tdm.Manager) -> tdm_scenarios.SeedResult:
    """The baseline is in the shop (idempotent, kept across tests)."""
    return await tdm_scenarios.seed(manager)
