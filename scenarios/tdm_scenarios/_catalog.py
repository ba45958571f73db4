"""The shop's scenario catalog: the design's named data set-ups, as typed async functions."""

from __future__ import annotations

from typing import Annotated, Literal

import attrs
from sqlalchemy import text

import tdm

from ._baseline import SeedResult, seed_baseline
from ._client import DEFAULTS, ShopClient, open_shop
from ._demo import shop_demo
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


OrderCount = Annotated[int, tdm.Field(ge=1, le=10, description="How many orders to create")]
PlacedStatus = Literal["pending", "confirmed", "shipped", "delivered"]
ItemCount = Annotated[int, tdm.Field(ge=1, le=10, description="How many distinct products")]


registry.add_target("shop", open_shop)
registry.add_demo(shop_demo)
register_kinds(registry)
for name, words, secret in (
    ("AUTH_SERVICE_URL", "the shop's Auth Service", False),
    ("BACKEND_URL", "the shop's Backend", False),
    ("AUTH_DB_URL", "the Auth Service's database: bulk cleanup of users (optional)", True),
    ("BACKEND_DB_URL", "the Backend's database: needed to delete orders (optional)", True),
    ("TDM_ADMIN_EMAIL", "the shop account tdm works as", False),
    ("TDM_ADMIN_PASSWORD", "its password", True),
):
    registry.add_setting(
        name, words, default=DEFAULTS.get(name), secret=secret, url=name.endswith("_URL")
    )


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
registry.add_check("database", "shop", _databases_up, required=False)

# The design's routes and client methods (section 5.1), beside the generic /api/entities/{kind}.
registry.add_endpoint("/api/users", "user", "users", method="create_user")
registry.add_endpoint("/api/products", "product", "products", method="create_product")
registry.add_endpoint(
    "/api/orders", "order", "order", single=True, required=("user_id",), method="create_order"
)


@registry.scenario
async def baseline(
    s: tdm.Session,
    force: Annotated[bool, tdm.Field(description="Re-seed even if already seeded")] = False,
) -> SeedResult:
    """Seed the baseline data: the admin and user accounts, 4 categories, 14 products.

    Idempotent: only what is missing is created. With force, what exists is reset in place
    (the accounts' documented passwords, the products' price and stock), ids kept.
    """
    return await seed_baseline(s, force=force)


@registry.scenario
async def user_with_orders(
    s: tdm.Session,
    order_count: OrderCount = 2,
    order_status: Annotated[
        PlacedStatus, tdm.Field(description="Status of every order")
    ] = "delivered",
) -> UserWithOrders:
    """A user with purchase history: orders placed through the shop, then moved to a status.

    Useful for order history, reorder and order detail tests. Returns the user (with its
    password, to log in) and the orders with their numbers and items, oldest first (the
    orders are placed at once, so the shop numbers them in the order they arrive).
    """
    lines = [s.random("order lines", n).randint(1, 3) for n in range(order_count)]
    user, products = await s.gather(_customer(s), pick_products(s, max(lines), "orders"))
    each = [
        {"items": [{"product_id": p} for p in s.random("order", n).sample(products, count)]}
        for n, count in enumerate(lines)
    ]  # fmt: skip
    orders = await s.create_many("order", each, user_id=user.id, status=order_status)
    return UserWithOrders(user, sorted(orders, key=lambda order: order.id))


async def _customer(s: tdm.Session) -> User:
    """A new user, signed in (while other steps run) so that acting as it waits for nothing."""
    user: User = await s.create("user")
    client: ShopClient = await s.client("shop")
    await client.sign_in(user.id)
    return user


@registry.scenario
async def cart_with_products(s: tdm.Session, item_count: ItemCount = 2) -> CartWithProducts:
    """A user with items in their cart, one each of distinct in-stock products, in the order
    the shop lists them."""
    user, products = await s.gather(_customer(s), pick_products(s, item_count, "cart"))
    each = [{"product_id": p} for p in products]
    items = await s.create_many("cartItem", each, user_id=user.id)
    return CartWithProducts(user, sorted(items, key=lambda item: item.id))


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
