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
    email: str
    password: str
    full_name: str
    is_admin: bool = False


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
    name: str
    description: str = ""


@attrs.frozen
class Category:
    id: int
    name: str
    description: str


@attrs.frozen
class ProductSpec:
    name: str
    sku: str
    price: float
    stock: int
    description: str = ""
    category_id: int | None = None


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
    product_id: int
    quantity: int = 1


@attrs.frozen
class OrderSpec:
    shipping_address: str
    user_id: int | None = None
    items: list[OrderLine] | None = None
    status: OrderStatus = "pending"


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
    user_id: int | None = None
    product_id: int | None = None
    quantity: int = 1


@attrs.frozen
class CartItem:
    id: int
    user_id: int
    product_id: int
    product_name: str
    quantity: int
    unit_price: float
