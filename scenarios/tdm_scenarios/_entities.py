"""The shop's entities as tdm returns them, and the specs tdm creates them from."""

from __future__ import annotations

from typing import Annotated, Literal

import attrs

import tdm

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

# The shop's own rules (tdm_sut._validation), so that tdm refuses what the shop would and the
# schemas say so. Text is stored stripped: it needs a character that is not a space, and no NUL.
# Spaces are spelled out: Python's and JSON Schema's ``\s`` differ (this is both).
_SPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_TEXT = rf"[^\x00]*[^{_SPACE}\x00][^\x00]*"
_FREE_TEXT = r"[^\x00]*"
_WORD = rf"[^@{_SPACE}\x00]+"


def _text(high: int, description: str, *, blank: bool = False) -> tdm.Field:
    return tdm.Field(
        description=description, max_length=high, pattern=_FREE_TEXT if blank else _TEXT
    )


Email = Annotated[str, tdm.Field(
    description="Login email; unique in the shop", max_length=254,
    pattern=rf"{_WORD}@{_WORD}\.[^@.{_SPACE}\x00]+",
)]  # fmt: skip
Password = Annotated[str, tdm.Field(
    description="8 to 128 characters with a letter and a digit", min_length=8, max_length=128,
    pattern=r"[^\x00]*(?:[A-Za-z][^\x00]*[0-9]|[0-9][^\x00]*[A-Za-z])[^\x00]*",
)]  # fmt: skip
Quantity = Annotated[int, tdm.Field(description="Units, 1 to 10000", ge=1, le=10_000)]


@attrs.frozen
class UserSpec:
    email: Email
    password: Password
    full_name: Annotated[str, _text(200, "Shown on the account and the orders")]
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
    name: Annotated[str, _text(100, "Category name; unique in the shop")]
    description: Annotated[str, _text(2000, "Free text", blank=True)] = ""


@attrs.frozen
class Category:
    id: int
    name: str
    description: str


@attrs.frozen
class ProductSpec:
    name: Annotated[str, _text(200, "Product name")]
    sku: Annotated[str, _text(64, "Stock keeping unit; unique in the shop")]
    price: Annotated[float, tdm.Field(
        description="Unit price, greater than 0, two decimals", ge=0.01, le=1_000_000,
        multiple_of=0.01,
    )]  # fmt: skip
    stock: Annotated[int, tdm.Field(description="Units in stock", ge=0, le=1_000_000)]
    description: Annotated[str, _text(2000, "Free text", blank=True)] = ""
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
    quantity: Quantity = 1


@attrs.frozen
class OrderSpec:
    shipping_address: Annotated[
        str, _text(500, "Where the order ships; default: a realistic address")
    ]
    user_id: int | None = attrs.field(
        default=None,
        metadata={"description": "The ordering user (created by tdm); default: a new user"},
    )
    items: Annotated[list[OrderLine] | None, tdm.Field(
        description="Lines to order (1 to 100); default: 1 to 3 in-stock products",
        min_length=1, max_length=100,
    )] = None  # fmt: skip
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
    quantity: Quantity = 1


@attrs.frozen
class CartItem:
    id: int
    user_id: int
    product_id: int
    product_name: str
    quantity: int
    unit_price: float
