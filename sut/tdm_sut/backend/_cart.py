"""The signed-in user's cart, and the admin view over every cart."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tdm_sut._errors import Conflict, NotFound, ValidationFailed
from tdm_sut._http import (
    ID,
    authenticate,
    authenticate_admin,
    created,
    listing,
    no_content,
    page_of,
    path_id,
    query_id,
    read_object,
)
from tdm_sut._validation import Field, Integer, problem
from tdm_sut.backend._schema import (
    cart_item_json,
    cart_items,
    cart_items_query,
    cents,
    money,
    products,
)
from tdm_sut.backend._state import engine_of

QUANTITY = Integer(1, 10_000)
_NEW_ITEM = (Field("productId", ID), Field("quantity", QUANTITY))


async def load_cart(connection: AsyncConnection, user_id: int) -> dict[str, Any]:
    """``{items, total}`` for a user's cart; ``total`` is its value."""
    result = await connection.execute(
        cart_items_query().where(cart_items.c.user_id == user_id).order_by(cart_items.c.id)
    )
    rows = list(result)
    total = sum(row.quantity * cents(row.unit_price) for row in rows)
    return {"items": [cart_item_json(row) for row in rows], "total": money(total)}


async def get_cart(request: Request) -> Response:
    claims = authenticate(request)
    async with engine_of(request).connect() as connection:
        return JSONResponse(await load_cart(connection, claims.user_id))


async def _cart_item(connection: AsyncConnection, item_id: int) -> dict[str, Any]:
    result = await connection.execute(cart_items_query().where(cart_items.c.id == item_id))
    return cart_item_json(result.one())


async def add_to_cart(request: Request) -> Response:
    claims = authenticate(request)
    body = await read_object(request, _NEW_ITEM)
    product_id, quantity = body["productId"], body["quantity"]
    try:
        async with engine_of(request).begin() as connection:
            result = await connection.execute(
                sa.select(products.c.name, products.c.stock).where(products.c.id == product_id)
            )
            product = result.first()
            if product is None:
                expected = "the id of an existing product"
                raise ValidationFailed([problem("productId", expected, product_id)])
            mine = sa.and_(
                cart_items.c.user_id == claims.user_id, cart_items.c.product_id == product_id
            )
            result = await connection.execute(
                sa.select(cart_items.c.id, cart_items.c.quantity).where(mine)
            )
            existing = result.first()
            wanted = quantity + (existing.quantity if existing else 0)
            if wanted > product.stock:
                raise Conflict(
                    f"only {product.stock} of product {product_id} ({product.name!r}) in stock; "
                    f"the cart would hold {wanted}"
                )
            if existing is None:
                values = {"user_id": claims.user_id, "product_id": product_id, "quantity": wanted}
                item_id = await connection.scalar(
                    cart_items.insert().values(values).returning(cart_items.c.id)
                )
            else:
                item_id = existing.id
                await connection.execute(
                    cart_items.update().where(cart_items.c.id == item_id).values(quantity=wanted)
                )
            assert isinstance(item_id, int)
            return created(await _cart_item(connection, item_id))
    except sa.exc.IntegrityError:
        raise Conflict(
            f"product {product_id} was deleted or added to the cart by a concurrent request"
        ) from None


async def remove_from_cart(request: Request) -> Response:
    claims = authenticate(request)
    item_id = path_id(request, "cart item")
    condition = cart_items.c.id == item_id
    if not claims.is_admin:
        condition = sa.and_(condition, cart_items.c.user_id == claims.user_id)
    async with engine_of(request).begin() as connection:
        result = await connection.execute(cart_items.delete().where(condition))
    if result.rowcount == 0:
        raise NotFound(f"there is no cart item {item_id} in your cart")
    return no_content()


async def list_all_cart_items(request: Request) -> Response:
    authenticate_admin(request)
    page = page_of(request)
    user_id = query_id(request, "userId")
    condition = sa.true() if user_id is None else cart_items.c.user_id == user_id
    async with engine_of(request).connect() as connection:
        total = await connection.scalar(
            sa.select(sa.func.count()).select_from(cart_items).where(condition)
        )
        result = await connection.execute(
            cart_items_query()
            .where(condition)
            .order_by(cart_items.c.id)
            .limit(page.limit)
            .offset(page.offset)
        )
        items = [cart_item_json(row) for row in result]
    return listing(items, total or 0, page)
