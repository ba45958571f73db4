"""The Starlette application: the routes of the design's section 5, the catalog, the ledger,
the OpenAPI document and, optionally, an MCP endpoint at ``/mcp`` in the same app; in front of
both, the access checks (``_access``: token, Host, Origin, media type, limits)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import anyio
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

import tdm
from tdm.boundary import reap_forever, unwrap

from ._access import Access, AccessMiddleware
from ._cleanup import cleanup
from ._context import Api
from ._entities import create_entities, endpoint_handler
from ._errors import EXCEPTION_HANDLERS
from ._health import health
from ._idempotency import idempotent
from ._mcp_mount import McpMount
from ._requests import RUN_ID_HEADER
from ._runs import end_run, list_runs, open_run, renew_run
from ._scenarios import list_scenarios, run_scenario, show_scenario
from ._seed import seed
from ._tracked import tracked

if TYPE_CHECKING:
    from mcp.server import MCPServer

__all__ = ["create_app"]

Handler = Callable[[Api, Request], Awaitable[Response]]


def _endpoint(api: Api, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """``handler`` bound to ``api``; a tdm error inside an exception group comes out alone.
    While it serves a request in a run (``X-TDM-Run-Id``), that run's lease is renewed."""

    async def endpoint(request: Request) -> Response:
        try:
            with api.working_in(request.headers.get(RUN_ID_HEADER)):
                return await handler(api, request)
        except BaseExceptionGroup as group:
            found = unwrap(group)
            if isinstance(found, tdm.TdmError):
                raise found from group
            raise
        finally:
            if api.on_first_answer is not None:
                api.on_first_answer()
                api.on_first_answer = None

    endpoint.__name__ = endpoint.__qualname__ = handler.__name__
    endpoint.__doc__ = handler.__doc__
    return endpoint


def _routes(api: Api, *, mcp: bool, token: bool) -> list[BaseRoute]:
    async def openapi(api: Api, request: Request) -> Response:
        from ._openapi import openapi_document  # on first use: tdm serve starts without it

        return JSONResponse(openapi_document(api.manager.catalog, mcp=mcp, token=token))

    table: list[tuple[str, str, Handler]] = [
        ("POST", "/api/seed", seed),
        ("POST", "/api/entities/{kind}", idempotent(create_entities)),
        *(("POST", e.path, idempotent(endpoint_handler(e))) for e in api.manager.catalog.endpoints),
        ("GET", "/api/scenarios", list_scenarios),
        ("GET", "/api/scenarios/{name}", show_scenario),
        ("POST", "/api/scenarios/{name}", idempotent(run_scenario)),
        ("DELETE", "/api/cleanup", cleanup),
        ("GET", "/api/health", health),
        ("GET", "/api/tracked", tracked),
        ("GET", "/api/runs", list_runs),
        ("POST", "/api/runs", open_run),
        ("PUT", "/api/runs/{run_id:path}/lease", renew_run),  # run ids may hold a /
        ("DELETE", "/api/runs/{run_id:path}", end_run),
        ("GET", "/api/openapi.json", openapi),
    ]
    by_path: dict[str, dict[str, Handler]] = {}
    for method, path, handler in table:
        by_path.setdefault(path, {})[method] = handler
    return [
        Route(path, _dispatch(api, handlers), methods=list(handlers))
        for path, handlers in by_path.items()
    ]


def _dispatch(api: Api, handlers: dict[str, Handler]) -> Callable[[Request], Awaitable[Response]]:
    """One endpoint for every method of a path, so that a 405 lists them all in ``Allow``
    (Starlette answers 405 from the first route whose path matches)."""
    bound = {method: _endpoint(api, handler) for method, handler in handlers.items()}
    if len(bound) == 1:
        return next(iter(bound.values()))
    if "GET" in bound:
        bound["HEAD"] = bound["GET"]

    async def endpoint(request: Request) -> Response:
        return await bound[request.method](request)

    return endpoint


def create_app(
    manager: tdm.Manager,
    *,
    mcp_server: MCPServer | Callable[[], MCPServer] | None = None,
    reaper: bool = False,
) -> Starlette:
    """The HTTP API on ``manager``; with ``mcp_server``, its MCP endpoint at ``/mcp`` too.

    ``mcp_server`` is a built server, or a function that builds one: the app then serves
    before it is built (importing the MCP SDK takes longer than the rest of the app's start),
    the lifespan calls it on a worker thread, and requests to ``/mcp`` wait until it is ready
    (503 if it failed). The app's lifespan opens the manager (``async with manager``: the
    targets' clients are shared by every request) and runs the MCP session manager. Only
    requests to ``/mcp`` reach the MCP app, so unknown routes and wrong methods elsewhere
    still answer JSON. The access settings (``TDM_API_TOKEN``, ``TDM_ALLOWED_HOSTS``,
    ``TDM_ALLOWED_ORIGINS``) are read here: a token too short raises
    :class:`~tdm.ConfigError`. With ``reaper``, the app sweeps dead runs every
    ``TDM_REAPER_INTERVAL`` while it serves (``tdm serve`` turns it on with ``TDM_REAPER``).
    The runs requests are working in stay held while they do (:meth:`Api.renew_in_flight`).
    """
    access = Access.from_settings(manager.settings)
    api = Api(manager)
    routes = _routes(api, mcp=mcp_server is not None, token=bool(access.tokens))
    mount = None
    if mcp_server is not None:
        mount = McpMount.later(mcp_server) if callable(mcp_server) else McpMount.now(mcp_server)
        routes.append(Route("/mcp", endpoint=mount, name="mcp"))
        api.on_first_answer = mount.want

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with manager, anyio.create_task_group() as tasks:
            if mount is not None:
                if mount.deferred:
                    tasks.start_soon(mount.run)
                else:
                    await tasks.start(mount.run)
            tasks.start_soon(api.renew_in_flight)
            if reaper:
                tasks.start_soon(reap_forever, manager)
            yield
            tasks.cancel_scope.cancel()

    app = Starlette(
        routes=routes,
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
        middleware=[Middleware(AccessMiddleware, access=access)],
    )
    app.state.api = api
    return app
