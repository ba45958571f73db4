"""The hand-written comparison: user-with-orders and its cleanup with raw httpx2 calls.

It makes the requests tdm makes for ``s.run("user-with-orders", order_count=n)``: register
and log in as the user; list the categories and create one to three products of its own in
them; per order, place it as the user and set its status as the admin; then delete the orders
and products in the Backend's database and the user through the admin API. No tracking, no
ledger, no validation.

:meth:`ByHand.recorded` is the same script doing the least a script must do to remove exactly
what it made after a crash, with realistic values: each entity's values from Faker reseeded
for it, its intent written to a SQLite file with the ledger's schema before its create and
confirmed after it, and the records removed with the entities
(:class:`~bench._records.RawRecords`: raw ``sqlite3``, each statement committing by itself as
tdm's do). What tdm does besides (leases, claims, undo, validation, the session) it leaves
out: it is the floor of the same work.
"""

from __future__ import annotations

import asyncio
import random
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx2
from faker import Faker
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

import tdm
import tdm_scenarios
from tdm_scenarios._sql import open_engine

from ._records import RawRecords

__all__ = ["ADMIN", "ByHand", "contest", "script_on", "tdm_side"]

ADMIN = {"email": "admin@shop.test", "password": "Admin-Passw0rd"}


class ByHand:
    """The recipe, serial (a script written top to bottom) or concurrent (each request as soon
    as what it needs is there), on the clients given and the admin's token; serial again
    recording what it makes (:meth:`recorded`, on ``records``)."""

    def __init__(self, auth: httpx2.AsyncClient, backend: httpx2.AsyncClient,
                 admin: dict[str, str], db: AsyncEngine, orders: int,
                 records: RawRecords) -> None:  # fmt: skip
        self.auth, self.backend, self.admin, self.db = auth, backend, admin, db
        self.orders, self.records = orders, records
        self.faker = Faker("en_US", use_weighting=False)

    def recipe(self) -> tuple[str, list[int]]:
        """A fresh token and the number of lines of each order (one to three, as tdm)."""
        lines = random.Random()
        return secrets.token_hex(6), [lines.randint(1, 3) for _ in range(self.orders)]

    def _values(self, seed: int | None, n: int) -> Faker | None:
        """Faker reseeded for entity ``n`` (``None`` without a ``seed``: constant values)."""
        if seed is None:
            return None
        self.faker.seed_instance(f"{seed}:{n}")
        return self.faker

    async def _made(self, kind: str, lookup: str, send: Awaitable[httpx2.Response],
                    made: list[str] | None) -> dict[str, Any]:  # fmt: skip
        """What ``send`` created; with ``made``, recorded before it is sent and after."""
        if made is None:
            return dict((await send).json())
        mark = self.records.intent(kind, lookup)
        made.append(mark)
        body = dict((await send).json())
        self.records.confirm(mark, str(body["id"]))
        return body

    async def register(self, token: str, f: Faker | None = None,
                       made: list[str] | None = None) -> tuple[int, dict[str, str]]:  # fmt: skip
        first, last = (f.first_name(), f.last_name()) if f else ("Hand", "Made")
        email, password = f"{first}.{last}.{token}@example.com".lower(), f"Hand-{token}-pw1"
        user = {"email": email, "password": password, "fullName": f"{first} {last}"}
        answer = await self._made("user", email, self.auth.post("/auth/register", json=user),
                                  made)  # fmt: skip
        login = await self.auth.post("/auth/login", json={"email": email, "password": password})
        return answer["id"], {"Authorization": f"Bearer {login.json()['accessToken']}"}

    async def categories(self) -> list[int]:
        listing = await self.backend.get("/api/categories", params={"limit": 100})
        return [c["id"] for c in listing.json()["items"]]

    async def product(self, token: str, n: int, categories: list[int], f: Faker | None = None,
                      made: list[str] | None = None) -> int:  # fmt: skip
        payload = {"name": f"Hand Made {n}", "sku": f"SKU-HAND-{token}-{n}".upper(),
                   "price": 9.5, "stock": 50, "description": "Made by hand.",
                   "categoryId": categories[n % len(categories)]}  # fmt: skip
        if f is not None:
            payload |= {"name": f"{f.color_name()} {f.word().title()}",
                        "price": round(f.random.uniform(2, 400), 2),
                        "stock": f.random.randint(20, 200),
                        "description": f.sentence(nb_words=10)}  # fmt: skip
        send = self.backend.post("/api/products", json=payload, headers=self.admin)
        return int((await self._made("product", str(payload["sku"]), send, made))["id"])

    async def order(self, user: dict[str, str], token: str, n: int, products: list[int],
                    f: Faker | None = None, made: list[str] | None = None) -> int:  # fmt: skip
        name, street, town = (
            (f.name(), f.street_address(), f"{f.city()}, {f.state_abbr()} {f.zipcode()}")
            if f else ("Hand Made", "1 Main St", "Town, ST 00000")
        )  # fmt: skip
        payload = {
            "items": [{"productId": p, "quantity": 1} for p in products],
            "shippingAddress": f"{name} (ref {token}{n})\n{street}\n{town}",
        }
        send = self.backend.post("/api/orders", json=payload, headers=user)
        order = await self._made("order", payload["shippingAddress"], send, made)
        await self.backend.patch(
            f"/api/orders/{order['id']}", json={"status": "delivered"}, headers=self.admin
        )
        return int(order["id"])

    async def clean(self, user_id: int, orders: list[int], products: list[int]) -> None:
        async with self.db.begin() as conn:
            for order_id in orders:
                await conn.execute(text("DELETE FROM order_items WHERE order_id = :i"),
                                   {"i": order_id})  # fmt: skip
                await conn.execute(text("DELETE FROM orders WHERE id = :i"), {"i": order_id})
            for product_id in products:
                await conn.execute(text("DELETE FROM products WHERE id = :i"), {"i": product_id})
        await self.auth.delete(f"/auth/users/{user_id}", headers=self.admin)

    async def serial(self) -> None:
        """One request after another, as a script written top to bottom does."""
        await self._serial(None, None)

    async def recorded(self) -> None:
        """:meth:`serial` with values from Faker, reseeded per entity, and each entity
        recorded in :attr:`records` around its create and removed with it."""
        made: list[str] = []
        await self._serial(secrets.randbits(63), made)
        self.records.remove(made)

    async def _serial(self, seed: int | None, made: list[str] | None) -> None:
        token, lines = self.recipe()
        user_id, user = await self.register(token, self._values(seed, 0), made)
        categories = await self.categories()
        products = [await self.product(token, n, categories, self._values(seed, 1 + n), made)
                    for n in range(max(lines))]  # fmt: skip
        first = 1 + len(products)
        orders = [await self.order(user, token, n, products[:count],
                                   self._values(seed, first + n), made)
                  for n, count in enumerate(lines)]  # fmt: skip
        await self.clean(user_id, orders, products)

    async def concurrent(self) -> None:
        """Each request as soon as what it needs is there."""
        token, lines = self.recipe()

        async def products() -> list[int]:
            categories = await self.categories()
            made = (self.product(token, n, categories) for n in range(max(lines)))
            return list(await asyncio.gather(*made))

        (user_id, user), made = await asyncio.gather(self.register(token), products())
        orders = await asyncio.gather(
            *(self.order(user, token, n, made[:count]) for n, count in enumerate(lines))
        )
        await self.clean(user_id, list(orders), made)


@asynccontextmanager
async def script_on(env: Mapping[str, str], orders: int) -> AsyncIterator[ByHand]:
    """The script on the shop ``env`` points at (``AUTH_SERVICE_URL``, ``BACKEND_URL``,
    ``BACKEND_DB_URL``), on clients of its own, logged in as the admin."""
    db = open_engine("BACKEND_DB_URL", env["BACKEND_DB_URL"], tdm.Settings())
    try:
        async with (
            httpx2.AsyncClient(base_url=env["AUTH_SERVICE_URL"], trust_env=False) as auth,
            httpx2.AsyncClient(base_url=env["BACKEND_URL"], trust_env=False) as backend,
        ):
            token = (await auth.post("/auth/login", json=ADMIN)).json()["accessToken"]
            admin = {"Authorization": f"Bearer {token}"}
            with RawRecords.in_temporary_file() as records:
                yield ByHand(auth, backend, admin, db, orders, records)
    finally:
        await db.dispose()


def tdm_side(manager: tdm.Manager, orders: int) -> Callable[[], Awaitable[None]]:
    """tdm's side: user-with-orders(``orders``) in a session of ``manager``, removed on
    leaving it."""

    async def run() -> None:
        async with manager.session() as s:
            await s.run("user-with-orders", order_count=orders)

    return run


@asynccontextmanager
async def contest(
    settings: tdm.Settings, orders: int
) -> AsyncIterator[tuple[ByHand, Callable[[], Awaitable[None]]]]:
    """Both sides of a comparison on the shop ``settings`` points at: the script
    (:func:`script_on`) and tdm's side (:func:`tdm_side`) on a manager of its own, seeded."""
    async with tdm.Manager(settings, registry=tdm_scenarios.registry) as manager:
        await tdm_scenarios.seed(manager)
        async with script_on(settings.env, orders) as script:
            yield script, tdm_side(manager, orders)
    manager.ledger.close()
