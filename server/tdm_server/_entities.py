"""Creating entities: ``POST /api/entities/{kind}`` for any kind, and the routes registries add.

The body holds the kind's fields in camelCase (each optional: tdm makes realistic values for
the rest) and ``count`` (1 to 100). ``trackingIds`` lists everything the request created,
supporting entities included (a product may need a category first). A registry's own route
(the shop's ``POST /api/users``) answers in the shape it declares (``{users, trackingIds}``).
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import anyio
import attrs
from starlette.requests import Request
from starlette.responses import Response

import tdm
from tdm.boundary import Endpoint, Parameter, Parameters
from tdm.boundary import unwrap as _unwrap

from ._context import Api, answer
from ._requests import read_body

__all__ = ["MAX_COUNT", "create_entities", "endpoint_handler", "entity_parameters"]

MAX_COUNT = 100


def _counted(kind: tdm.Kind[Any, Any, Any]) -> bool:
    """Whether a request says ``count`` (a kind's own field of that name wins)."""
    return kind.parameters.get("count") is None


def entity_parameters(
    kind: tdm.Kind[Any, Any, Any], endpoint: Endpoint | None = None, *, max_count: int = MAX_COUNT
) -> Parameters:
    """What a create request takes: the kind's fields and ``count`` (1 to ``max_count``,
    unless the kind has a field of that name); an endpoint may require some fields."""
    params = kind.parameters
    required = endpoint.required if endpoint is not None else ()
    if required:
        params = Parameters(tuple(
            attrs.evolve(p, default=inspect.Parameter.empty, type=_not_none(p.type))
            if p.name in required else p
            for p in params
        ))  # fmt: skip
    if (endpoint is not None and endpoint.single) or not _counted(kind):
        return params
    count = Parameter("count", int, 1, tdm.Field(
        ge=1, le=max_count, description=f"How many to create with these values (1 to {max_count})",
    ))  # fmt: skip
    return params.with_(count)


def _not_none(tp: Any) -> Any:
    """``int | None`` -> ``int``: a required field needs a value."""
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    if typing.get_origin(tp) in (typing.Union, types.UnionType) and len(args) == 1:
        return args[0]
    return tp


async def _create(
    session: tdm.Session, kind: tdm.Kind[Any, Any, Any], fields: Mapping[str, Any], count: int
) -> list[Any]:
    """``count`` entities, concurrently. One failing does not cancel the others: a create cut
    off mid-request leaves an intent that only a lookup by natural key can settle."""
    if count == 1:
        return [await session.create_from(kind, fields, naming="python")]
    results: list[Any] = [None] * count
    errors: list[Exception] = []

    async def one(index: int) -> None:
        try:
            results[index] = await session.create_from(kind, fields, naming="python")
        except Exception as exc:  # noqa: BLE001 -- the first one is raised once all are done
            errors.append(exc)

    async with anyio.create_task_group() as tg:
        for index in range(count):
            tg.start_soon(one, index)
    if errors:
        raise _unwrap(errors[0])
    return results


async def _made(
    api: Api, request: Request, kind: tdm.Kind[Any, Any, Any], params: Parameters
) -> tuple[tdm.Session, list[Any]]:
    values = await read_body(request, params, f"{request.method} {request.url.path}")
    count = values.pop("count", 1) if _counted(kind) else 1
    fields = {k: v for k, v in values.items() if v is not None}
    async with api.session(request) as s:
        return s, await _create(s, kind, fields, count)


async def create_entities(api: Api, request: Request) -> Response:
    """``{count?, ...fields}`` -> 201 ``{entityType, entities, trackingIds}``; 404 unknown kind."""
    catalog = api.manager.catalog
    kind = catalog.kind(request.path_params["kind"])
    s, entities = await _made(api, request, kind, entity_parameters(kind))
    body = {"entityType": catalog.kind_name(kind), "entities": tdm.to_json(entities),
            "trackingIds": s.tracking_ids}  # fmt: skip
    return answer(body, s)


Handler = Callable[[Api, Request], Awaitable[Response]]


def endpoint_handler(endpoint: Endpoint) -> Handler:
    """The handler of a registry's own create route, answering in its declared shape."""

    async def handler(api: Api, request: Request) -> Response:
        kind = api.manager.catalog.kind_in(endpoint.registry, endpoint.kind)
        s, entities = await _made(api, request, kind, entity_parameters(kind, endpoint))
        if not endpoint.single:
            return answer({endpoint.key: tdm.to_json(entities), "trackingIds": s.tracking_ids}, s)
        (entity,) = entities
        entity_id = str(kind.entity_id(entity))
        (tracking_id,) = [c.tracking_id for c in s.created
                          if c.kind == kind.name and c.entity_id == entity_id]  # fmt: skip
        body = {endpoint.key: tdm.to_json(entity), "trackingId": tracking_id,
                "trackingIds": s.tracking_ids}  # fmt: skip
        return answer(body, s)

    handler.__name__ = f"create_{endpoint.key}"
    handler.__doc__ = f"``POST {endpoint.path}``: create {endpoint.kind} entities."
    return handler
