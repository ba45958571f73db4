"""The shop's entities as tdm returns them, and the specs tdm creates them from."""

from __future__ import annotations

from typing import Literal

import attrs

__all__ = [
    "CartItem",
    "CartItemSpec",
    "Category",
    "CategorySpec",
    "Order",
    "OrderLine",
    "OrderSpec",
    "OrderStatus",
    "Product",
    "ProductSpec",
    "User",
    "UserSpec",
]

OrderStatus = Literal["pending", "confirmed", "shipped", "delivered", "cancelled"]


@attrs.frozen
class UserSpec:
    email: str = attrs.field(metadata={"description": "Login email; unique in the shop"})
    password: str = attrs.field(
        metadata={"description": "At least 8 characters with a letter and a digit"}
    )
    full_name: str = attrs.field(metadata={"description": "Shown on the account and the orders"})
    is_admin: bool = attrs.field(default=False, metadata={"description": "Create an administrator"})


@attrs.frozen
class User:
    """A shop user, with the password tdm gave it so a test can log in."""

    id: int
    email: str
    password: str
    full_name: str
    is_admin: bool


@attrs.frozen
class CategorySpec:
    name: str = attrs.field(metadata={"description": "Category name; unique in the shop"})
    description: str = attrs.field(default="", metadata={"description": "Free text"})


@attrs.frozen
class Category:
    id: int
    name: str
    description: str


@attrs.frozen
class ProductSpec:
    name: str = attrs.field(metadata={"description": "Product name"})
    sku: str = attrs.field(metadata={"description": "Stock keeping unit; unique in the shop"})
    price: float = attrs.field(metadata={"description": "Unit price, greater than 0, two decimals"})
    stock: int = attrs.field(metadata={"description": "Units in stock, 0 or more"})
    description: str = attrs.field(default="", metadata={"description": "Free text"})
    category_id: int | None = attrs.field(
        default=None, metadata={"description": "Category id; default: one of the shop's categories"}
    )


@attrs.frozen
class Product:
    id: int
    sku: str
    name: str
    description: str
    price: float
    stock: int
    category_id: int


@attrs.frozen
class OrderLine:
    product_id: int = attrs.field(metadata={"description": "Product id"})
    quantity: int = attrs.field(default=1, metadata={"description": "Units, 1 or more"})


@attrs.frozen
class OrderSpec:
    shipping_address: str = attrs.field(
        metadata={"description": "Where the order ships; default: a realistic address"}
    )
    user_id: int | None = attrs.field(
        default=None,
        metadata={"description": "The ordering user (created by tdm); default: a new user"},
    )
    items: list[OrderLine] | None = attrs.field(
        default=None, metadata={"description": "Lines to order; default: 1 to 3 in-stock products"}
    )
    status: OrderStatus = attrs.field(
        default="pending",
        metadata={"description": "Status the order is moved to after it is placed"},
    )


@attrs.frozen
class OrderItem:
    id: int
    product_id: int
    product_name: str
    quantity: int
    unit_price: float


@attrs.frozen
class Order:
    id: int
    number: str
    user_id: int
    status: str
    shipping_address: str
    total: float
    items: list[OrderItem]


@attrs.frozen
class CartItemSpec:
    user_id: int | None = attrs.field(
        default=None,
        metadata={"description": "The cart's user (created by tdm); default: a new user"},
    )
    product_id: int | None = attrs.field(
        default=None, metadata={"description": "Product id; default: an in-stock product"}
    )
    quantity: int = attrs.field(default=1, metadata={"description": "Units, 1 or more"})


@attrs.frozen
class CartItem:
    id: int
    user_id: int
    product_id: int
    product_name: str
    quantity: int
    unit_price: float
