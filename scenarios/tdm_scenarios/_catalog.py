"""The shop's scenario catalog: the design's named data set-ups, as typed async functions."""

from __future__ import annotations

from typing import Annotated, Literal

import attrs
from sqlalchemy import text

import tdm

from ._baseline import SeedResult, seed_baseline
from ._client import ShopClient, open_shop
from ._entities import CartItem, Order, User
from ._kinds import pick_products, register_kinds

__all__ = [
    "CartWithProducts",
    "UserResult",
    "UserWithOrders",
    "admin_user",
    "baseline",
    "cart_with_products",
    "empty_cart",
    "registry",
    "user_with_orders",
]

registry = tdm.Registry("shop")
"""The shop's registry: its target, kinds and scenarios (the ``tdm.registries`` entry point)."""


@attrs.frozen
class UserWithOrders:
    user: User
    orders: list[Order]


@attrs.frozen
class CartWithProducts:
    user: User
    cart_items: list[CartItem]


@attrs.frozen
class UserResult:
    user: User


OrderCount = Annotated[int, tdm.Param(ge=1, le=10, description="How many orders to create")]
PlacedStatus = Literal["pending", "confirmed", "shipped", "delivered"]
ItemCount = Annotated[int, tdm.Param(ge=1, le=10, description="How many distinct products")]


registry.add_target("shop", open_shop)
register_kinds(registry)


async def _auth_up(client: ShopClient) -> None:
    await client.auth.request("GET", "/auth/health", expect=(200,))


async def _backend_up(client: ShopClient) -> None:
    await client.backend.request("GET", "/api/health", expect=(200,))


async def _databases_up(client: ShopClient) -> None:
    engines = [e for e in (client.auth_db, client.backend_db) if e is not None]
    if not engines:
        raise tdm.CannotDelete("no AUTH_DB_URL or BACKEND_DB_URL is set")
    for engine in engines:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))


registry.add_check("authService", "shop", _auth_up)
registry.add_check("backend", "shop", _backend_up)
registry.add_check("database", "shop", _databases_up)


@registry.scenario
async def baseline(
    s: tdm.Session,
    force: Annotated[bool, tdm.Param(description="Re-seed even if already seeded")] = False,
) -> SeedResult:
    """Seed the baseline data: the admin and user accounts, 4 categories, 14 products.

    Idempotent: only what is missing is created. With force, existing baseline users are
    recreated with their documented passwords and products get their stock back.
    """
    return await seed_baseline(s, force=force)


@registry.scenario
async def user_with_orders(
    s: tdm.Session,
    order_count: OrderCount = 2,
    order_status: Annotated[
        PlacedStatus, tdm.Param(description="Status of every order")
    ] = "delivered",
) -> UserWithOrders:
    """A user with purchase history: orders placed through the shop, then moved to a status.

    Useful for order history, reorder and order detail tests. Returns the user (with its
    password, to log in) and the orders with their numbers and items.
    """
    user: User = await s.create("user")
    orders = [
        await s.create("order", user_id=user.id, status=order_status) for _ in range(order_count)
    ]
    return UserWithOrders(user, orders)


@registry.scenario
async def cart_with_products(s: tdm.Session, item_count: ItemCount = 2) -> CartWithProducts:
    """A user with items in their cart, one each of distinct in-stock products."""
    user: User = await s.create("user")
    products = await pick_products(s, item_count, "cart-with-products", user.id)
    items = [await s.create("cartItem", user_id=user.id, product_id=p) for p in products]
    return CartWithProducts(user, items)


@registry.scenario
async def empty_cart(s: tdm.Session) -> UserResult:
    """A user who can log in and whose cart is empty."""
    user: User = await s.create("user")
    client: ShopClient = await s.client("shop")
    cart = (await client.as_user(user.id, "GET", "/api/cart")).json()
    if cart["items"]:
        raise tdm.TargetError("backend", f"a new user's cart is not empty: {cart}")
    return UserResult(user)


@registry.scenario
async def admin_user(s: tdm.Session) -> UserResult:
    """A fresh admin account, for tests of the admin pages and APIs."""
    return UserResult(await s.create("user", is_admin=True))
