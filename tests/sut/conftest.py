"""Fixtures that run the reference shop over real HTTP, on SQLite and on PostgreSQL.

`shop` is session-scoped and parametrized over both databases (the PostgreSQL ones come from
`pg_shop_databases` in tests/conftest.py); tests keep apart by using unique names (`unique`)
rather than by resetting the databases.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import httpx2
import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from tdm_sut import ShopSettings, ShopThread

SECRET = "tests-secret-0123456789"
ADMIN_EMAIL = "admin@shop.test"
ADMIN_PASSWORD = "Admin-Passw0rd"
PASSWORD = "s3cret-Passw0rd"
FAST_SCRYPT = 2**10


def unique(prefix: str = "t") -> str:
    """A name no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def shop_settings(data_dir: Path, **changes: Any) -> ShopSettings:
    """Settings for a shop on free ports with cheap password hashing."""
    values: dict[str, Any] = {
        "auth_port": 0,
        "backend_port": 0,
        "data_dir": data_dir,
        "secret": SECRET,
        "admin_email": ADMIN_EMAIL,
        "admin_password": ADMIN_PASSWORD,
        "scrypt_n": FAST_SCRYPT,
        "token_ttl": 600,
    }
    return ShopSettings(**{**values, **changes})


@attrs.frozen
class User:
    id: int
    email: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@attrs.define
class Shop:
    """A running shop and clients for both of its services."""

    kind: str
    thread: ShopThread
    auth: httpx2.Client
    api: httpx2.Client
    admin: User
    unique = staticmethod(unique)

    def login(self, email: str, password: str) -> str:
        answer = self.auth.post("/auth/login", json={"email": email, "password": password})
        assert answer.status_code == 200, answer.text
        token = answer.json()["accessToken"]
        assert isinstance(token, str)
        return token

    def new_user(self, *, admin: bool = False) -> User:
        """A fresh user (made by the admin when ``admin``), signed in."""
        email = f"{unique('user')}@example.com"
        body = {"email": email, "password": PASSWORD, "fullName": "Test User"}
        if admin:
            answer = self.auth.post(
                "/auth/users", json={**body, "isAdmin": True}, headers=self.admin.headers
            )
        else:
            answer = self.auth.post("/auth/register", json=body)
        assert answer.status_code == 201, answer.text
        return User(answer.json()["id"], email, PASSWORD, self.login(email, PASSWORD))

    def new_category(self) -> dict[str, Any]:
        answer = self.api.post(
            "/api/categories", json={"name": unique("cat")}, headers=self.admin.headers
        )
        assert answer.status_code == 201, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def new_product(
        self, *, category_id: int | None = None, stock: int = 10, price: float = 9.99, **extra: Any
    ) -> dict[str, Any]:
        if category_id is None:
            category_id = self.new_category()["id"]
        body = {
            "name": unique("product"),
            "sku": unique("SKU"),
            "price": price,
            "stock": stock,
            "categoryId": category_id,
            **extra,
        }
        answer = self.api.post("/api/products", json=body, headers=self.admin.headers)
        assert answer.status_code == 201, answer.text
        product: dict[str, Any] = answer.json()
        return product

    def new_order(self, user: User, *items: tuple[int, int]) -> dict[str, Any]:
        lines = [{"productId": product_id, "quantity": quantity} for product_id, quantity in items]
        answer = self.api.post(
            "/api/orders",
            json={"items": lines, "shippingAddress": "1 Test Road"},
            headers=user.headers,
        )
        assert answer.status_code == 201, answer.text
        order: dict[str, Any] = answer.json()
        return order

    def sql(self, service: str, statement: str, **params: Any) -> list[sa.Row[Any]]:
        """Rows of a query run directly on one service's database (``auth`` or ``backend``)."""
        settings = self.thread.settings
        url = settings.auth_db_url if service == "auth" else settings.backend_db_url
        engine = sa.create_engine(
            url.replace("postgresql://", "postgresql+psycopg://", 1), poolclass=NullPool
        )
        try:
            with engine.connect() as connection:
                return list(connection.execute(sa.text(statement), params))
        finally:
            engine.dispose()


def _client(base_url: str) -> httpx2.Client:
    return httpx2.Client(base_url=base_url, trust_env=False, timeout=30)


@pytest.fixture(
    scope="session",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def shop(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Shop]:
    """The shop serving over real sockets, on SQLite files or on PostgreSQL."""
    data_dir = tmp_path_factory.mktemp(f"shop-{request.param}")
    changes: dict[str, Any] = {}
    if request.param == "postgres":
        auth_url, backend_url = request.getfixturevalue("pg_shop_databases")()
        changes = {"auth_db_url": auth_url, "backend_db_url": backend_url}
    with (
        ShopThread(shop_settings(data_dir, **changes)) as thread,
        _client(thread.auth_url) as auth,
        _client(thread.backend_url) as api,
    ):
        running = Shop(request.param, thread, auth, api, admin=User(0, "", "", ""))
        rows = running.sql("auth", "SELECT id FROM users WHERE email = :e", e=ADMIN_EMAIL)
        token = running.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        running.admin = User(rows[0][0], ADMIN_EMAIL, ADMIN_PASSWORD, token)
        yield running


@pytest.fixture
def user(shop: Shop) -> User:
    """A fresh, signed-in customer."""
    return shop.new_user()


@pytest.fixture
def other_user(shop: Shop) -> User:
    """A second fresh customer."""
    return shop.new_user()


@pytest.fixture
def make_settings(tmp_path: Path) -> Any:
    """Builds test settings (free ports, cheap hashing) on SQLite files in ``tmp_path``."""

    def make(**changes: Any) -> ShopSettings:
        return shop_settings(tmp_path, **changes)

    return make
