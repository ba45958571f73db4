"""``POST /api/users``, ``POST /api/products`` and ``POST /api/orders``: entities one by one.

The body holds the kind's fields in camelCase (each optional: tdm makes realistic values for the
rest) and, for users and products, ``count`` (1 to 100). ``trackingIds`` lists everything the
request created, supporting entities included (a product may need a category first).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import Response

import tdm

from ._context import Api, answer, guarded
from ._requests import read_object

__all__ = ["create_orders", "create_products", "create_users"]

MAX_COUNT = 100


def _count(body: dict[str, Any], subject: str) -> int:
    count = body.pop("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
        expected = f"an integer from 1 to {MAX_COUNT}"
        raise tdm.InvalidParameters(subject, [tdm.FieldProblem("count", expected, count)])
    return count


async def _create(
    session: tdm.Session, kind: str, fields: Mapping[str, Any], count: int
) -> list[Any]:
    """``count`` entities, concurrently. One failing does not cancel the others: a create cut
    off mid-request leaves an intent that only a lookup by natural key can settle, and that
    lookup would find whoever holds the key (say, the owner of a taken email)."""
    if count == 1:
        return [await session.create_from(kind, fields)]
    results: list[Any] = [None] * count
    errors: list[Exception] = []

    async def one(index: int) -> None:
        try:
            results[index] = await session.create_from(kind, fields)
        except Exception as exc:  # noqa: BLE001 -- the first one is raised once all are done
            errors.append(exc)

    async with anyio.create_task_group() as tg:
        for index in range(count):
            tg.start_soon(one, index)
    if errors:
        raise errors[0]
    return results


async def _create_entities(api: Api, request: Request, kind: str, key: str) -> Response:
    api.manager.registry.get_kind(kind)
    body = await read_object(request)
    count = _count(body, f"POST {request.url.path}")
    async with api.session(request) as s:
        entities = await guarded(s, lambda: _create(s, kind, body, count))
    return answer({key: tdm.to_json(entities), "trackingIds": s.tracking_ids}, s)


async def create_users(api: Api, request: Request) -> Response:
    """``{count?, email?, password?, fullName?, isAdmin?}`` -> 201 ``{users, trackingIds}``."""
    return await _create_entities(api, request, "user", "users")


async def create_products(api: Api, request: Request) -> Response:
    """``{count?, name?, sku?, price?, stock?, description?, categoryId?}`` -> 201
    ``{products, trackingIds}``."""
    return await _create_entities(api, request, "product", "products")


async def create_orders(api: Api, request: Request) -> Response:
    """``{userId, items?, status?, shippingAddress?}`` -> 201 ``{order, trackingId, trackingIds}``.

    ``userId`` is required (the design's contract); it must be a user tdm knows the password of
    (one it created, or the baseline's), since orders are placed as that user.
    """
    kind = api.manager.registry.get_kind("order")
    body = await read_object(request)
    if body.get("userId") is None:
        expected = "the id of a user tdm created (an integer)"
        problem = tdm.FieldProblem("userId", expected, None, missing="userId" not in body)
        raise tdm.InvalidParameters(f"POST {request.url.path}", [problem])
    async with api.session(request) as s:
        order = await guarded(s, lambda: s.create_from(kind, body))
    order_id = str(kind.entity_id(order))
    (tracking_id,) = [c.tracking_id for c in s.created if c.kind == kind.name and
                      c.entity_id == order_id]  # fmt: skip
    body = {"order": tdm.to_json(order), "trackingId": tracking_id, "trackingIds": s.tracking_ids}
    return answer(body, s)
