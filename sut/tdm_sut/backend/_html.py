"""The few HTML fragments the pages are made of; every value passes through `esc`."""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 56rem; padding: 0 1rem; }
nav { display: flex; gap: 1rem; align-items: center; margin-bottom: 1.5rem; }
nav form { margin-left: auto; }
.order-card, .product-card { border: 1px solid #ccc; border-radius: 6px; padding: .75rem 1rem;
  margin: .75rem 0; list-style: none; }
.error { color: #a00; }
label { display: block; margin: .5rem 0; }
table { border-collapse: collapse; } td, th { padding: .25rem .75rem; text-align: left; }
"""


def esc(value: object) -> str:
    """``value`` as text safe inside HTML elements and quoted attributes."""
    return html.escape(str(value), quote=True)


def amount(value: float) -> str:
    return f"{value:.2f}"


def layout(title: str, body: str, *, email: str | None = None) -> str:
    """A whole page: navigation, then ``body`` (already HTML)."""
    if email is None:
        account = '<a href="/login">Sign in</a>'
    else:
        account = (
            f'<span class="account">{esc(email)}</span>'
            '<form method="post" action="/logout"><button type="submit">Sign out</button></form>'
        )
    return (
        "<!doctype html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{esc(title)} · Shop</title>'
        f"<style>{_STYLE}</style></head><body>"
        f'<nav><a href="/products">Products</a><a href="/cart">Cart</a>'
        f'<a href="/orders">Orders</a>{account}</nav>'
        f"<main><h1>{esc(title)}</h1>{body}</main></body></html>\n"
    )


def login_form(*, email: str = "", error: str | None = None) -> str:
    message = f'<p class="error" role="alert">{esc(error)}</p>' if error else ""
    return (
        f'{message}<form method="post" action="/login" class="login-form">'
        f'<label>Email <input type="email" name="email" value="{esc(email)}" '
        'autocomplete="username" required></label>'
        '<label>Password <input type="password" name="password" '
        'autocomplete="current-password" required></label>'
        '<button type="submit">Sign in</button></form>'
    )


def order_cards(orders: Iterable[dict[str, Any]]) -> str:
    cards = []
    for order in orders:
        lines = "".join(
            f"<li>{esc(item['quantity'])} x {esc(item['productName'])} at "
            f"{amount(item['unitPrice'])}</li>"
            for item in order["items"]
        )
        cards.append(
            f'<article class="order-card" data-order-id="{esc(order["id"])}">'
            f'<h2 class="order-number">{esc(order["number"])}</h2>'
            f'<p>Status: <span class="order-status">{esc(order["status"])}</span></p>'
            f'<p>Total: <span class="order-total">{amount(order["total"])}</span></p>'
            f'<p class="order-address">{esc(order["shippingAddress"])}</p>'
            f'<ul class="order-items">{lines}</ul></article>'
        )
    return "".join(cards) or '<p class="empty">No orders yet.</p>'


def cart_table(cart: dict[str, Any]) -> str:
    if not cart["items"]:
        return '<p class="empty">Your cart is empty.</p>'
    rows = "".join(
        f'<tr class="cart-item" data-item-id="{esc(item["id"])}">'
        f"<td>{esc(item['productName'])}</td><td>{esc(item['quantity'])}</td>"
        f"<td>{amount(item['unitPrice'])}</td></tr>"
        for item in cart["items"]
    )
    return (
        "<table><thead><tr><th>Product</th><th>Quantity</th><th>Unit price</th></tr></thead>"
        f'<tbody>{rows}</tbody></table><p>Total: <span class="cart-total">'
        f"{amount(cart['total'])}</span></p>"
    )


def product_list(products: list[dict[str, Any]], total: int, search: str | None) -> str:
    form = (
        '<form method="get" action="/products"><label>Search '
        f'<input type="search" name="search" value="{esc(search or "")}"></label>'
        '<button type="submit">Search</button></form>'
    )
    cards = "".join(
        f'<li class="product-card" data-product-id="{esc(product["id"])}">'
        f'<strong class="product-name">{esc(product["name"])}</strong> '
        f'<span class="product-sku">{esc(product["sku"])}</span> '
        f'<span class="product-price">{amount(product["price"])}</span> '
        f'<span class="product-stock">{esc(product["stock"])} in stock</span>'
        f"<p>{esc(product['description'])}</p></li>"
        for product in products
    )
    shown = f"<p>Showing {len(products)} of {total}.</p>"
    return f"{form}{shown}<ul>{cards}</ul>"
