"""The hand-written comparison: user-with-orders(3) and its cleanup with raw httpx2 calls.

It makes the same requests tdm makes (register, log in as the user, and per order: list
products, place the order, set its status; then delete the orders in the database and the
user through the admin API), with no tracking, no ledger and no validation.
"""

from __future__ import annotations

import secrets

import httpx2
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["user_with_orders_by_hand"]


async def user_with_orders_by_hand(
    auth: httpx2.AsyncClient, backend: httpx2.AsyncClient, admin: dict[str, str],
    db: AsyncEngine, orders: int = 3,
) -> None:  # fmt: skip
    token = secrets.token_hex(6)
    email, password = f"hand.{token}@example.com", f"Hand-{token}-pw1"
    answer = await auth.post(
        "/auth/register", json={"email": email, "password": password, "fullName": "Hand Made"}
    )
    user_id = answer.json()["id"]
    login = await auth.post("/auth/login", json={"email": email, "password": password})
    user = {"Authorization": f"Bearer {login.json()['accessToken']}"}
    order_ids = []
    for n in range(orders):
        products = (await backend.get("/api/products", params={"limit": 100})).json()["items"]
        payload = {
            "items": [{"productId": products[n % len(products)]["id"], "quantity": 1}],
            "shippingAddress": f"Hand Made (ref {token}{n})\n1 Main St\nTown, ST 00000",
        }
        order = (await backend.post("/api/orders", json=payload, headers=user)).json()
        await backend.patch(
            f"/api/orders/{order['id']}", json={"status": "delivered"}, headers=admin
        )
        order_ids.append(order["id"])
    async with db.begin() as conn:
        for order_id in order_ids:
            await conn.execute(text("DELETE FROM order_items WHERE order_id = :i"), {"i": order_id})
            await conn.execute(text("DELETE FROM orders WHERE id = :i"), {"i": order_id})
    await auth.delete(f"/auth/users/{user_id}", headers=admin)
