"""The hand-written comparison: user-with-orders and its cleanup with raw httpx2 calls.

It makes the requests tdm makes for ``s.run("user-with-orders", order_count=n)``: register
and log in as the user; list the categories and create one to three products of its own in
them; per order, place it as the user and set its status as the admin; then delete the orders
and products in the Backend's database and the user through the admin API. No tracking, no
ledger, no validation.
"""

from __future__ import annotations

import asyncio
import random
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager

import httpx2
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

import tdm
import tdm_scenarios
from tdm_scenarios._sql import open_engine

__all__ = ["ADMIN", "ByHand", "contest", "script_on", "tdm_side"]

ADMIN = {"email": "admin@shop.test", "password": "Admin-Passw0rd"}


class ByHand:
    """The recipe, serial (a script written top to bottom) or concurrent (each request as soon
    as what it needs is there), on the clients given and the admin's token."""

    def __init__(self, auth: httpx2.AsyncClient, backend: httpx2.AsyncClient,
                 admin: dict[str, str], db: AsyncEngine, orders: int) -> None:  # fmt: skip
        self.auth, self.backend, self.admin, self.db = auth, backend, admin, db
        self.orders = orders

    def recipe(self) -> tuple[str, list[int]]:
        """A fresh token and the number of lines of each order (one to three, as tdm)."""
        lines = random.Random()
        return secrets.token_hex(6), [lines.randint(1, 3) for _ in range(self.orders)]

    async def register(self, token: str) -> tuple[int, dict[str, str]]:
        email, password = f"hand.{token}@example.com", f"Hand-{token}-pw1"
        answer = await self.auth.post(
            "/auth/register", json={"email": email, "password": password, "fullName": "Hand Made"}
        )
        login = await self.auth.post("/auth/login", json={"email": email, "password": password})
        return answer.json()["id"], {"Authorization": f"Bearer {login.json()['accessToken']}"}

    async def categories(self) -> list[int]:
        listing = await self.backend.get("/api/categories", params={"limit": 100})
        return [c["id"] for c in listing.json()["items"]]

    async def product(self, token: str, n: int, categories: list[int]) -> int:
        payload = {"name": f"Hand Made {n}", "sku": f"SKU-HAND-{token}-{n}".upper(),
                   "price": 9.5, "stock": 50, "description": "Made by hand.",
                   "categoryId": categories[n % len(categories)]}  # fmt: skip
        answer = await self.backend.post("/api/products", json=payload, headers=self.admin)
        return int(answer.json()["id"])

    async def order(self, user: dict[str, str], token: str, n: int, products: list[int]) -> int:
        payload = {
            "items": [{"productId": p, "quantity": 1} for p in products],
            "shippingAddress": f"Hand Made (ref {token}{n})\n1 Main St\nTown, ST 00000",
        }
        order = (await self.backend.post("/api/orders", json=payload, headers=user)).json()
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
        token, lines = self.recipe()
        user_id, user = await self.register(token)
        categories = await self.categories()
        products = [await self.product(token, n, categories) for n in range(max(lines))]
        orders = [await self.order(user, token, n, products[:count])
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
            yield ByHand(auth, backend, {"Authorization": f"Bearer {token}"}, db, orders)
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
