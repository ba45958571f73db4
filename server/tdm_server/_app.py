"""The Starlette application: the routes of the design's section 5, the catalog, the ledger,
the OpenAPI document and, optionally, an MCP endpoint at ``/mcp`` in the same app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

import tdm

from ._cleanup import cleanup
from ._context import Api
from ._entities import create_orders, create_products, create_users
from ._errors import EXCEPTION_HANDLERS, ApiError, primary
from ._health import health
from ._openapi import openapi_document
from ._scenarios import list_scenarios, run_scenario, show_scenario
from ._seed import seed
from ._tracked import tracked

if TYPE_CHECKING:
    from mcp.server import MCPServer
    from mcp.server.transport_security import TransportSecuritySettings

__all__ = ["create_app"]

Handler = Callable[[Api, Request], Awaitable[Response]]

_LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def _endpoint(api: Api, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """``handler`` bound to ``api``; a tdm error inside an exception group comes out alone."""

    async def endpoint(request: Request) -> Response:
        try:
            return await handler(api, request)
        except BaseExceptionGroup as group:
            found = primary(group)
            if isinstance(found, tdm.TdmError | ApiError):
                raise found from group
            raise

    endpoint.__name__ = endpoint.__qualname__ = handler.__name__
    endpoint.__doc__ = handler.__doc__
    return endpoint


def _routes(api: Api, *, mcp: bool) -> list[BaseRoute]:
    async def openapi(api: Api, request: Request) -> Response:
        return JSONResponse(openapi_document(api.manager.registry, mcp=mcp))

    table: list[tuple[str, str, Handler]] = [
        ("POST", "/api/seed", seed),
        ("POST", "/api/users", create_users),
        ("POST", "/api/products", create_products),
        ("POST", "/api/orders", create_orders),
        ("GET", "/api/scenarios", list_scenarios),
        ("GET", "/api/scenarios/{name}", show_scenario),
        ("POST", "/api/scenarios/{name}", run_scenario),
        ("DELETE", "/api/cleanup", cleanup),
        ("GET", "/api/health", health),
        ("GET", "/api/tracked", tracked),
        ("GET", "/api/openapi.json", openapi),
    ]
    return [Route(path, _endpoint(api, h), methods=[method]) for method, path, h in table]


def _mcp_security(manager: tdm.Manager) -> TransportSecuritySettings:
    """Host and Origin checks that admit loopback and ``TDM_MCP_ALLOWED_HOSTS`` (comma-separated
    ``host:port`` or ``host:*``) against DNS rebinding."""
    from mcp.server.transport_security import TransportSecuritySettings

    extra = [h.strip() for h in manager.settings.get("TDM_MCP_ALLOWED_HOSTS", "").split(",")]
    hosts = [*_LOCAL_HOSTS, *(f"{h}:*" for h in _LOCAL_HOSTS), *filter(None, extra)]
    origins = [f"{scheme}://{h}" for h in hosts for scheme in ("http", "https")]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
    )


def create_app(manager: tdm.Manager, *, mcp_server: MCPServer | None = None) -> Starlette:
    """The HTTP API on ``manager``; with ``mcp_server``, its MCP endpoint at ``/mcp`` too.

    The app's lifespan opens the manager (``async with manager``: the targets' clients are
    shared by every request) and runs the MCP session manager. Only requests to ``/mcp``
    reach the MCP app, so unknown routes and wrong methods elsewhere still answer JSON.
    """
    api = Api(manager)
    routes = _routes(api, mcp=mcp_server is not None)
    if mcp_server is not None:
        # The MCP app must exist before its session manager does (see mcp-sdk notes).
        mcp_app = mcp_server.streamable_http_app(
            streamable_http_path="/mcp",
            transport_security=_mcp_security(manager),
        )
        routes.append(Route("/mcp", endpoint=mcp_app, name="mcp"))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            await stack.enter_async_context(manager)
            if mcp_server is not None:
                await stack.enter_async_context(mcp_server.session_manager.run())
            yield

    app = Starlette(routes=routes, exception_handlers=EXCEPTION_HANDLERS, lifespan=lifespan)
    app.state.api = api
    return app
