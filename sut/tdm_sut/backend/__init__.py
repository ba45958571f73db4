"""The Backend: catalogue, carts and orders over JSON, and a few server-rendered pages.

It trusts tokens signed by the Auth Service (shared secret) and calls the Auth Service only
when a user signs in on the ``/login`` page.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tdm_sut import _db
from tdm_sut._errors import EXCEPTION_HANDLERS
from tdm_sut._settings import ShopSettings
from tdm_sut.backend import _cart, _catalog, _orders, _pages
from tdm_sut.backend._schema import metadata
from tdm_sut.backend._state import BackendState

__all__ = ["create_app", "metadata"]


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


ROUTES = [
    Route("/api/health", health, methods=["GET"]),
    Route("/api/categories", _catalog.list_categories, methods=["GET"]),
    Route("/api/categories", _catalog.create_category, methods=["POST"]),
    Route("/api/categories/{id:int}", _catalog.delete_category, methods=["DELETE"]),
    Route("/api/products", _catalog.list_products, methods=["GET"]),
    Route("/api/products", _catalog.create_product, methods=["POST"]),
    Route("/api/products/{id:int}", _catalog.get_product, methods=["GET"]),
    Route("/api/products/{id:int}", _catalog.update_product, methods=["PATCH"]),
    Route("/api/products/{id:int}", _catalog.delete_product, methods=["DELETE"]),
    Route("/api/cart", _cart.get_cart, methods=["GET"]),
    Route("/api/cart", _cart.add_to_cart, methods=["POST"]),
    Route("/api/cart/{id:int}", _cart.remove_from_cart, methods=["DELETE"]),
    Route("/api/orders", _orders.list_my_orders, methods=["GET"]),
    Route("/api/orders", _orders.create_order, methods=["POST"]),
    Route("/api/orders/{id:int}", _orders.get_order, methods=["GET"]),
    Route("/api/orders/{id:int}", _orders.update_order, methods=["PATCH"]),
    Route("/api/orders/{id:int}", _orders.delete_order, methods=["DELETE"]),
    Route("/api/admin/orders", _orders.list_all_orders, methods=["GET"]),
    Route("/api/admin/cart-items", _cart.list_all_cart_items, methods=["GET"]),
    Route("/", _pages.home, methods=["GET"]),
    Route("/login", _pages.login_page, methods=["GET"]),
    Route("/login", _pages.login, methods=["POST"]),
    Route("/logout", _pages.logout, methods=["POST"]),
    Route("/orders", _pages.orders_page, methods=["GET"]),
    Route("/cart", _pages.cart_page, methods=["GET"]),
    Route("/products", _pages.products_page, methods=["GET"]),
]


def create_app(settings: ShopSettings, auth_client: httpx2.AsyncClient | None = None) -> Starlette:
    """The Backend; its lifespan opens the database and creates the schema.

    ``auth_client`` reaches the Auth Service at ``settings.auth_base_url`` for the login
    page; without one, the lifespan opens (and closes) its own.
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            engine = _db.create_engine(settings.backend_db_url)
            stack.push_async_callback(engine.dispose)
            await _db.create_schema(engine, metadata)
            client = auth_client
            if client is None:
                client = httpx2.AsyncClient(timeout=10, trust_env=False)
                stack.push_async_callback(client.aclose)
            app.state.backend = BackendState(settings=settings, engine=engine, auth_client=client)
            yield

    app = Starlette(routes=ROUTES, exception_handlers=EXCEPTION_HANDLERS, lifespan=lifespan)
    app.state.settings = settings
    return app
