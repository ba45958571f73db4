"""The reference shop's entity kinds, target and scenario catalog.

Installed with tdm and found through the ``tdm.registries`` entry point, so
``tdm.session()`` knows ``"user-with-orders"`` and the rest without an import. It is written
with nothing but tdm's public API: a team with another system writes the same for theirs.
"""

from __future__ import annotations

import tdm

from ._baseline import BASELINE_USERS, SeedResult
from ._catalog import (
    CartWithProducts,
    UserResult,
    UserWithOrders,
    admin_user,
    baseline,
    cart_with_products,
    empty_cart,
    registry,
    user_with_orders,
)
from ._client import ShopClient
from ._entities import CartItem, Category, Order, OrderItem, OrderLine, Product, User

__all__ = [
    "BASELINE_USERS",
    "CartItem",
    "CartWithProducts",
    "Category",
    "Order",
    "OrderItem",
    "OrderLine",
    "Product",
    "SeedResult",
    "ShopClient",
    "User",
    "UserResult",
    "UserWithOrders",
    "admin_user",
    "baseline",
    "cart_with_products",
    "empty_cart",
    "registry",
    "seed",
    "user_with_orders",
]


async def seed(manager: tdm.Manager | None = None, *, force: bool = False) -> SeedResult:
    """Seed the baseline (idempotent), tracked under the run ``baseline`` and kept."""
    manager = manager or tdm.default_manager()
    async with manager.session(keep=True, run_id="baseline") as s:
        result: SeedResult = await s.run("baseline", force=force)
    return result
