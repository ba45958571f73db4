"""The Backend's tables, and how their rows read as JSON."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from tdm_sut import _db

STATUSES = ("pending", "confirmed", "shipped", "delivered", "cancelled")

metadata = sa.MetaData()

categories = sa.Table(
    "categories",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.UniqueConstraint("name", name="uq_categories_name"),
    sqlite_autoincrement=True,
)

products = sa.Table(
    "products",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sku", sa.String(64), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("price", sa.Numeric(10, 2, asdecimal=False), nullable=False),
    sa.Column("stock", sa.Integer, nullable=False),
    sa.Column(
        "category_id",
        sa.Integer,
        sa.ForeignKey("categories.id", ondelete="RESTRICT"),
        nullable=False,
        index=True,
    ),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("sku", name="uq_products_sku"),
    sa.CheckConstraint("stock >= 0", name="ck_products_stock"),
    sqlite_autoincrement=True,
)

cart_items = sa.Table(
    "cart_items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, nullable=False, index=True),
    sa.Column(
        "product_id",
        sa.Integer,
        sa.ForeignKey("products.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.UniqueConstraint("user_id", "product_id", name="uq_cart_items_user_product"),
    sqlite_autoincrement=True,
)

orders = sa.Table(
    "orders",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, nullable=False, index=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("shipping_address", sa.Text, nullable=False),
    sa.Column("total", sa.Numeric(18, 2, asdecimal=False), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sqlite_autoincrement=True,
)

order_items = sa.Table(
    "order_items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "order_id",
        sa.Integer,
        sa.ForeignKey("orders.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column(
        "product_id",
        sa.Integer,
        sa.ForeignKey("products.id", ondelete="RESTRICT"),
        nullable=False,
        index=True,
    ),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("unit_price", sa.Numeric(10, 2, asdecimal=False), nullable=False),
    sqlite_autoincrement=True,
)


def cents(amount: float) -> int:
    """An amount read from the database, in cents."""
    return round(amount * 100)


def money(amount_cents: int) -> float:
    """Cents as the two-decimal number the API answers with."""
    return round(amount_cents / 100, 2)


def order_number(order_id: int) -> str:
    """The human key of an order, derived from its id: ``ORD-000042``."""
    return f"ORD-{order_id:06d}"


def category_json(row: sa.Row[Any]) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "description": row.description}


def product_json(row: sa.Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "sku": row.sku,
        "name": row.name,
        "description": row.description,
        "price": money(cents(row.price)),
        "stock": row.stock,
        "categoryId": row.category_id,
        "createdAt": _db.iso(row.created_at),
    }


CART_ITEM_COLUMNS = (
    cart_items.c.id,
    cart_items.c.user_id,
    cart_items.c.product_id,
    products.c.name.label("product_name"),
    cart_items.c.quantity,
    products.c.price.label("unit_price"),
)
"""Select these from `cart_items` joined to `products` for `cart_item_json`."""


def cart_items_query() -> sa.Select[Any]:
    return sa.select(*CART_ITEM_COLUMNS).select_from(cart_items.join(products))


def cart_item_json(row: sa.Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "userId": row.user_id,
        "productId": row.product_id,
        "productName": row.product_name,
        "quantity": row.quantity,
        "unitPrice": money(cents(row.unit_price)),
    }


def order_item_json(row: sa.Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "productId": row.product_id,
        "productName": row.product_name,
        "quantity": row.quantity,
        "unitPrice": money(cents(row.unit_price)),
    }


def order_json(row: sa.Row[Any], items: Iterable[sa.Row[Any]]) -> dict[str, Any]:
    return {
        "id": row.id,
        "number": order_number(row.id),
        "userId": row.user_id,
        "status": row.status,
        "shippingAddress": row.shipping_address,
        "total": money(cents(row.total)),
        "createdAt": _db.iso(row.created_at),
        "items": [order_item_json(item) for item in items],
    }
