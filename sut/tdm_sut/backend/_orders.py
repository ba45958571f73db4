"""Orders: placed from items or from the cart, never deleted through the API."""

from __future__ import annotations

from collections import Counter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tdm_sut import _db
from tdm_sut._errors import Conflict, MethodNotAllowed, NotFound, ValidationFailed
from tdm_sut._http import (
    ID,
    Page,
    authenticate,
    authenticate_admin,
    created,
    listing,
    page_of,
    path_id,
    query_id,
    read_object,
)
from tdm_sut._validation import Field, ObjectList, OneOf, Text, problem
from tdm_sut.backend._cart import QUANTITY
from tdm_sut.backend._schema import (
    STATUSES,
    cart_items,
    cents,
    money,
    order_items,
    order_json,
    orders,
    products,
)
from tdm_sut.backend._state import engine_of

_LINE = (Field("productId", ID), Field("quantity", QUANTITY))
_NEW_ORDER = (
    Field("items", ObjectList(_LINE, min_items=1, max_items=100), required=False),
    Field("shippingAddress", Text(1, 500)),
)
_STATUS_CHANGE = (Field("status", OneOf(STATUSES)),)


async def load_orders(
    connection: AsyncConnection, condition: sa.ColumnElement[bool], page: Page | None
) -> tuple[list[dict[str, Any]], int]:
    """Orders matching ``condition``, newest first, with their items; and how many match."""
    query = (
        sa.select(orders).where(condition).order_by(orders.c.created_at.desc(), orders.c.id.desc())
    )
    if page is not None:
        query = query.limit(page.limit).offset(page.offset)
    rows = list(await connection.execute(query))
    total = await connection.scalar(sa.select(sa.func.count()).select_from(orders).where(condition))
    items: dict[int, list[sa.Row[Any]]] = {row.id: [] for row in rows}
    if rows:
        result = await connection.execute(
            sa.select(order_items, products.c.name.label("product_name"))
            .select_from(order_items.join(products))
            .where(order_items.c.order_id.in_(items))
            .order_by(order_items.c.id)
        )
        for item in result:
            items[item.order_id].append(item)
    return [order_json(row, items[row.id]) for row in rows], total or 0


async def _order(
    connection: AsyncConnection, condition: sa.ColumnElement[bool]
) -> dict[str, Any] | None:
    found, _ = await load_orders(connection, condition, None)
    return found[0] if found else None


async def _check_products_exist(connection: AsyncConnection, lines: list[dict[str, Any]]) -> None:
    """422 naming ``items[i].productId`` for each product that does not exist."""
    wanted = {line["productId"] for line in lines}
    result = await connection.execute(sa.select(products.c.id).where(products.c.id.in_(wanted)))
    existing = set(result.scalars())
    errors = [
        problem(f"items[{index}].productId", "the id of an existing product", line["productId"])
        for index, line in enumerate(lines)
        if line["productId"] not in existing
    ]
    if errors:
        raise ValidationFailed(errors)


async def _lines(
    connection: AsyncConnection, user_id: int, body: dict[str, Any]
) -> tuple[Counter[int], list[int]]:
    """Quantity by product to order, and the ids of the cart items that are ordered."""
    lines: Counter[int] = Counter()
    if "items" in body:
        await _check_products_exist(connection, body["items"])
        for line in body["items"]:
            lines[line["productId"]] += line["quantity"]
        return lines, []
    result = await connection.execute(
        sa.select(cart_items.c.id, cart_items.c.product_id, cart_items.c.quantity).where(
            cart_items.c.user_id == user_id
        )
    )
    rows = list(result)
    if not rows:
        error = problem("items", "items, or a cart with something in it", None, missing=True)
        raise ValidationFailed([error], "the cart is empty: send items or fill the cart first")
    for row in rows:
        lines[row.product_id] += row.quantity
    return lines, [row.id for row in rows]


async def _take_stock(connection: AsyncConnection, product_id: int, quantity: int) -> int:
    """Decrement the stock of one product; its unit price in cents."""
    result = await connection.execute(
        products.update()
        .where(products.c.id == product_id, products.c.stock >= quantity)
        .values(stock=products.c.stock - quantity)
        .returning(products.c.price)
    )
    row = result.first()
    if row is not None:
        return cents(row.price)
    result = await connection.execute(
        sa.select(products.c.name, products.c.stock).where(products.c.id == product_id)
    )
    product = result.first()
    if product is None:
        raise Conflict(f"product {product_id} was deleted by a concurrent request")
    raise Conflict(
        f"only {product.stock} of product {product_id} ({product.name!r}) in stock, "
        f"{quantity} ordered"
    )


async def create_order(request: Request) -> Response:
    claims = authenticate(request)
    body = await read_object(request, _NEW_ORDER)
    try:
        async with engine_of(request).begin() as connection:
            lines, ordered_cart_items = await _lines(connection, claims.user_id, body)
            prices = {
                product_id: await _take_stock(connection, product_id, quantity)
                for product_id, quantity in sorted(lines.items())
            }
            total = sum(prices[product_id] * quantity for product_id, quantity in lines.items())
            order_id = await connection.scalar(
                orders.insert()
                .values(
                    user_id=claims.user_id,
                    status="pending",
                    shipping_address=body["shippingAddress"],
                    total=money(total),
                    created_at=_db.utc_now(),
                )
                .returning(orders.c.id)
            )
            await connection.execute(
                order_items.insert(),
                [
                    {
                        "order_id": order_id,
                        "product_id": product_id,
                        "quantity": quantity,
                        "unit_price": money(prices[product_id]),
                    }
                    for product_id, quantity in lines.items()
                ],
            )
            if ordered_cart_items:
                await connection.execute(
                    cart_items.delete().where(cart_items.c.id.in_(ordered_cart_items))
                )
            order = await _order(connection, orders.c.id == order_id)
            assert order is not None
            return created(order)
    except sa.exc.IntegrityError:
        raise Conflict("a product of this order was deleted by a concurrent request") from None


async def list_my_orders(request: Request) -> Response:
    claims = authenticate(request)
    page = page_of(request)
    async with engine_of(request).connect() as connection:
        items, total = await load_orders(connection, orders.c.user_id == claims.user_id, page)
    return listing(items, total, page)


async def get_order(request: Request) -> Response:
    claims = authenticate(request)
    order_id = path_id(request, "order")
    condition = orders.c.id == order_id
    if not claims.is_admin:
        condition = sa.and_(condition, orders.c.user_id == claims.user_id)
    async with engine_of(request).connect() as connection:
        order = await _order(connection, condition)
    if order is None:
        raise NotFound(f"there is no order {order_id} of yours")
    return JSONResponse(order)


async def update_order(request: Request) -> Response:
    authenticate_admin(request)
    order_id = path_id(request, "order")
    body = await read_object(request, _STATUS_CHANGE)
    async with engine_of(request).begin() as connection:
        result = await connection.execute(
            orders.update().where(orders.c.id == order_id).values(status=body["status"])
        )
        order = await _order(connection, orders.c.id == order_id)
    if result.rowcount == 0 or order is None:
        raise NotFound(f"there is no order {order_id}")
    return JSONResponse(order)


async def delete_order(request: Request) -> Response:
    raise MethodNotAllowed(
        "the API cannot delete orders; that takes the database",
        headers={"Allow": "GET, HEAD, PATCH"},
    )


async def list_all_orders(request: Request) -> Response:
    authenticate_admin(request)
    page = page_of(request)
    user_id = query_id(request, "userId")
    condition = sa.true() if user_id is None else orders.c.user_id == user_id
    async with engine_of(request).connect() as connection:
        items, total = await load_orders(connection, condition, page)
    return listing(items, total, page)
