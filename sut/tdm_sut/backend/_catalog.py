"""Categories and products."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tdm_sut import _db
from tdm_sut._errors import Conflict, NotFound, ValidationFailed
from tdm_sut._http import (
    ID,
    Page,
    authenticate_admin,
    created,
    listing,
    no_content,
    page_of,
    path_id,
    query_id,
    query_text,
    read_object,
)
from tdm_sut._validation import Field, Integer, Money, Text, problem
from tdm_sut.backend._schema import (
    categories,
    category_json,
    money,
    order_items,
    product_json,
    products,
)
from tdm_sut.backend._state import engine_of

_NEW_CATEGORY = (
    Field("name", Text(1, 100)),
    Field("description", Text(0, 2000), required=False, nullable=True),
)
_PRODUCT = (
    Field("name", Text(1, 200)),
    Field("description", Text(0, 2000), required=False, nullable=True),
    Field("price", Money()),
    Field("stock", Integer(0, 1_000_000)),
    Field("categoryId", ID),
    Field("sku", Text(1, 64)),
)
_EXISTING_CATEGORY = "the id of an existing category"


async def list_categories(request: Request) -> Response:
    page = page_of(request)
    async with engine_of(request).connect() as connection:
        total = await connection.scalar(sa.select(sa.func.count()).select_from(categories))
        result = await connection.execute(
            sa.select(categories).order_by(categories.c.id).limit(page.limit).offset(page.offset)
        )
        items = [category_json(row) for row in result]
    return listing(items, total or 0, page)


async def create_category(request: Request) -> Response:
    authenticate_admin(request)
    body = await read_object(request, _NEW_CATEGORY)
    name = body["name"]
    taken = Conflict(f"a category named {name!r} already exists")
    values = {"name": name, "description": body.get("description") or ""}
    try:
        async with engine_of(request).begin() as connection:
            if await connection.scalar(sa.select(categories.c.id).where(categories.c.name == name)):
                raise taken
            result = await connection.execute(
                categories.insert().values(values).returning(categories)
            )
            return created(category_json(result.one()))
    except sa.exc.IntegrityError:
        raise taken from None


async def delete_category(request: Request) -> Response:
    authenticate_admin(request)
    category_id = path_id(request, "category")
    in_use = Conflict(f"category {category_id} still has products; delete or move them first")
    try:
        async with engine_of(request).begin() as connection:
            found = await connection.scalar(
                sa.select(categories.c.id).where(categories.c.id == category_id)
            )
            if found is None:
                raise NotFound(f"there is no category {category_id}")
            uses = await connection.scalar(
                sa.select(sa.func.count()).where(products.c.category_id == category_id)
            )
            if uses:
                raise in_use
            await connection.execute(categories.delete().where(categories.c.id == category_id))
    except sa.exc.IntegrityError:
        raise in_use from None
    return no_content()


async def find_products(
    connection: AsyncConnection, page: Page, *, search: str | None, category_id: int | None
) -> tuple[list[dict[str, Any]], int]:
    """One page of products matching the filters, and how many match in all."""
    condition: sa.ColumnElement[bool] = sa.true()
    if search is not None:
        condition = sa.or_(
            products.c.name.icontains(search, autoescape=True),
            products.c.sku.icontains(search, autoescape=True),
        )
    if category_id is not None:
        condition = sa.and_(condition, products.c.category_id == category_id)
    total = await connection.scalar(
        sa.select(sa.func.count()).select_from(products).where(condition)
    )
    result = await connection.execute(
        sa.select(products)
        .where(condition)
        .order_by(products.c.id)
        .limit(page.limit)
        .offset(page.offset)
    )
    return [product_json(row) for row in result], total or 0


async def list_products(request: Request) -> Response:
    page = page_of(request)
    search = query_text(request, "search")
    category_id = query_id(request, "categoryId")
    async with engine_of(request).connect() as connection:
        items, total = await find_products(connection, page, search=search, category_id=category_id)
    return listing(items, total, page)


async def _product(connection: AsyncConnection, product_id: int) -> sa.Row[Any]:
    result = await connection.execute(sa.select(products).where(products.c.id == product_id))
    row = result.first()
    if row is None:
        raise NotFound(f"there is no product {product_id}")
    return row


async def get_product(request: Request) -> Response:
    product_id = path_id(request, "product")
    async with engine_of(request).connect() as connection:
        return JSONResponse(product_json(await _product(connection, product_id)))


def _product_values(body: dict[str, Any]) -> dict[str, Any]:
    columns = {"name": "name", "sku": "sku", "stock": "stock", "categoryId": "category_id"}
    values = {column: body[name] for name, column in columns.items() if name in body}
    if "description" in body:
        values["description"] = body["description"] or ""
    if "price" in body:
        values["price"] = money(body["price"])
    return values


async def _check_product(
    connection: AsyncConnection, body: dict[str, Any], *, product_id: int | None = None
) -> None:
    """422 for an unknown category, then 409 for a sku another product has."""
    if "categoryId" in body:
        category_id = body["categoryId"]
        found = await connection.scalar(
            sa.select(categories.c.id).where(categories.c.id == category_id)
        )
        if found is None:
            raise ValidationFailed([problem("categoryId", _EXISTING_CATEGORY, category_id)])
    if "sku" in body:
        same_sku = products.c.sku == body["sku"]
        if product_id is not None:
            same_sku = sa.and_(same_sku, products.c.id != product_id)
        if await connection.scalar(sa.select(products.c.id).where(same_sku)) is not None:
            raise Conflict(f"a product with sku {body['sku']!r} already exists")


def _race(body: dict[str, Any]) -> Conflict:
    return Conflict(
        f"sku {body.get('sku')!r} was taken or category {body.get('categoryId')} "
        "was deleted by a concurrent request"
    )


async def create_product(request: Request) -> Response:
    authenticate_admin(request)
    body = await read_object(request, _PRODUCT)
    values = {**_product_values(body), "created_at": _db.utc_now()}
    try:
        async with engine_of(request).begin() as connection:
            await _check_product(connection, body)
            result = await connection.execute(products.insert().values(values).returning(products))
            return created(product_json(result.one()))
    except sa.exc.IntegrityError:
        raise _race(body) from None


async def update_product(request: Request) -> Response:
    authenticate_admin(request)
    product_id = path_id(request, "product")
    body = await read_object(request, _PRODUCT, partial=True)
    values = _product_values(body)
    try:
        async with engine_of(request).begin() as connection:
            await _product(connection, product_id)
            await _check_product(connection, body, product_id=product_id)
            if values:
                await connection.execute(
                    products.update().where(products.c.id == product_id).values(values)
                )
            return JSONResponse(product_json(await _product(connection, product_id)))
    except sa.exc.IntegrityError:
        raise _race(body) from None


async def delete_product(request: Request) -> Response:
    authenticate_admin(request)
    product_id = path_id(request, "product")
    ordered = Conflict(f"product {product_id} is part of orders and cannot be deleted")
    try:
        async with engine_of(request).begin() as connection:
            await _product(connection, product_id)
            uses = await connection.scalar(
                sa.select(sa.func.count()).where(order_items.c.product_id == product_id)
            )
            if uses:
                raise ordered
            await connection.execute(products.delete().where(products.c.id == product_id))
    except sa.exc.IntegrityError:
        raise ordered from None
    return no_content()
