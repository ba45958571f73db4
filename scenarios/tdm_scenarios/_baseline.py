"""The baseline: the design's seed data (2 users, 4 categories, 14 products), made idempotently."""

from __future__ import annotations

from typing import Any

import attrs

import tdm

from ._client import ShopClient

__all__ = ["BASELINE_CATEGORIES", "BASELINE_USERS", "BaselineUser", "SeedResult", "seed_baseline"]


@attrs.frozen
class BaselineUser:
    email: str
    password: str
    full_name: str
    is_admin: bool


BASELINE_USERS = {
    "admin": BaselineUser("admin@example.com", "AdminPass123!", "Admin User", is_admin=True),
    "user": BaselineUser("user@example.com", "UserPass123!", "Test User", is_admin=False),
}
"""The documented credentials of the baseline's two users."""

_CATEGORIES = {
    "Electronics": "Gadgets, audio and accessories",
    "Books": "Fiction, non-fiction and reference",
    "Clothing": "Everyday wear and outerwear",
    "Home & Kitchen": "Cookware, decor and storage",
}

BASELINE_CATEGORIES = frozenset(_CATEGORIES)
"""Names of the baseline's categories: new products may go in them (they stay)."""

_PRODUCTS = [
    ("BASE-001", "Wireless Headphones", "Electronics", 79.99),
    ("BASE-002", "USB-C Charger", "Electronics", 24.50),
    ("BASE-003", "Bluetooth Speaker", "Electronics", 49.00),
    ("BASE-004", "Smart Watch", "Electronics", 199.00),
    ("BASE-005", "The Pragmatic Tester", "Books", 32.00),
    ("BASE-006", "Cooking for Two", "Books", 18.75),
    ("BASE-007", "A Short History of Maps", "Books", 22.40),
    ("BASE-008", "Rain Jacket", "Clothing", 89.90),
    ("BASE-009", "Wool Scarf", "Clothing", 29.00),
    ("BASE-010", "Running Shoes", "Clothing", 110.00),
    ("BASE-011", "Chef's Knife", "Home & Kitchen", 64.00),
    ("BASE-012", "Cast Iron Pan", "Home & Kitchen", 45.00),
    ("BASE-013", "Glass Teapot", "Home & Kitchen", 27.30),
    ("BASE-014", "Bamboo Cutting Board", "Home & Kitchen", 19.99),
]
_STOCK = 500


@attrs.frozen
class SeedResult:
    """The design's seed response: whether this call created anything, and what exists."""

    seeded: bool
    users: int
    products: int
    categories: int


async def _find(s: tdm.Session, kind: str, **lookup: Any) -> list[str]:
    client = await s.client("shop")
    found = await s.kind(kind).find(client, lookup)
    return found or []


async def seed_baseline(s: tdm.Session, *, force: bool) -> SeedResult:
    """Create whatever of the baseline is missing; with ``force``, also reset what exists in
    place, keeping its ids: the accounts' passwords, names and admin flags, the products'
    price and stock. Nothing is ever deleted, so no account tdm did not create is lost and no
    ledger row outlives its entity."""
    async with s.lock("baseline"):  # two replicas seeding at once would race for each entity
        return await _seed(s, force=force)


async def _seed(s: tdm.Session, *, force: bool) -> SeedResult:
    client: ShopClient = await s.client("shop")
    created = 0
    for account in BASELINE_USERS.values():
        found = await _find(s, "user", email=account.email)
        if found and force:
            reset = {"password": account.password, "fullName": account.full_name,
                     "isAdmin": account.is_admin}  # fmt: skip
            await client.as_admin("auth", "PATCH", f"/auth/users/{found[0]}", json=reset)
        if found:
            client.remember(int(found[0]), account.email, account.password)
        else:
            await s.create("user", **attrs.asdict(account))
            created += 1
    category_ids: dict[str, int] = {}
    for name, description in _CATEGORIES.items():
        found = await _find(s, "category", name=name)
        if found:
            category_ids[name] = int(found[0])
        else:
            category = await s.create("category", name=name, description=description)
            category_ids[name] = category.id
            created += 1
    for sku, name, category, price in _PRODUCTS:
        values = {"name": name, "price": price, "stock": _STOCK, "description": f"Baseline {name}"}
        found = await _find(s, "product", sku=sku)
        if not found:
            await s.create("product", sku=sku, category_id=category_ids[category], **values)
            created += 1
        elif force:
            await client.as_admin("backend", "PATCH", f"/api/products/{found[0]}", json=values)
    return SeedResult(
        seeded=created > 0 or force,
        users=len(BASELINE_USERS),
        products=len(_PRODUCTS),
        categories=len(_CATEGORIES),
    )
