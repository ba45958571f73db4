"""Server-rendered pages: sign-in through the Auth Service, orders, cart and catalogue."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qs

import httpx2
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from tdm_sut import _tokens
from tdm_sut._errors import UnsupportedMediaType
from tdm_sut._http import Page, read_body
from tdm_sut.backend import _html
from tdm_sut.backend._cart import load_cart
from tdm_sut.backend._catalog import find_products
from tdm_sut.backend._orders import load_orders
from tdm_sut.backend._schema import orders
from tdm_sut.backend._state import state_of

logger = logging.getLogger("tdm_sut.pages")

COOKIE = "access_token"
_FORM = "application/x-www-form-urlencoded"
_PRODUCTS_SHOWN = Page(limit=100, offset=0)


def _signed_in(request: Request) -> _tokens.Claims | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    try:
        return _tokens.verify(token, state_of(request).settings.secret)
    except _tokens.TokenError:
        return None


def _to_login() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


def _page(title: str, body: str, *, claims: _tokens.Claims | None, status: int = 200) -> Response:
    email = None if claims is None else claims.email
    return HTMLResponse(_html.layout(title, body, email=email), status_code=status)


async def home(request: Request) -> Response:
    return RedirectResponse("/products", status_code=303)


async def login_page(request: Request) -> Response:
    return _page("Sign in", _html.login_form(), claims=_signed_in(request))


def _login_failed(email: str, error: str, status: int) -> Response:
    return _page("Sign in", _html.login_form(email=email, error=error), claims=None, status=status)


async def _form(request: Request) -> dict[str, str]:
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != _FORM:
        raise UnsupportedMediaType(f"send the form as {_FORM}, not {media_type or 'none'}")
    body = (await read_body(request)).decode("utf-8", errors="replace")
    try:
        fields = parse_qs(body, keep_blank_values=True, max_num_fields=20)
    except ValueError:
        return {}
    return {name: values[-1] for name, values in fields.items()}


async def login(request: Request) -> Response:
    form = await _form(request)
    email, password = form.get("email", "").strip(), form.get("password", "")
    if not email or not password:
        return _login_failed(email, "Enter your email and your password.", 422)
    state = state_of(request)
    try:
        answer = await state.auth_client.post(
            f"{state.settings.auth_base_url}/auth/login",
            json={"email": email, "password": password},
        )
    except httpx2.HTTPError as exc:
        logger.warning("the Auth Service is unreachable: %r", exc)
        return _login_failed(email, "Signing in is unavailable; try again later.", 503)
    if answer.status_code in (401, 422):
        return _login_failed(email, "Wrong email or password.", answer.status_code)
    token = _access_token(answer)
    if token is None:
        logger.warning("the Auth Service answered %s to a login", answer.status_code)
        return _login_failed(email, "Signing in is unavailable; try again later.", 502)
    response = RedirectResponse("/orders", status_code=303)
    response.set_cookie(COOKIE, token[0], max_age=token[1], path="/", httponly=True, samesite="lax")
    return response


def _access_token(answer: httpx2.Response) -> tuple[str, int] | None:
    if answer.status_code != 200:
        return None
    try:
        body: Any = answer.json()
        token, expires_in = body["accessToken"], body["expiresIn"]
    except (ValueError, TypeError, KeyError):
        return None
    if not isinstance(token, str) or not isinstance(expires_in, int):
        return None
    return token, expires_in


async def logout(request: Request) -> Response:
    return _to_login()


async def orders_page(request: Request) -> Response:
    claims = _signed_in(request)
    if claims is None:
        return _to_login()
    async with state_of(request).engine.connect() as connection:
        found, _ = await load_orders(connection, orders.c.user_id == claims.user_id, None)
    return _page("Your orders", _html.order_cards(found), claims=claims)


async def cart_page(request: Request) -> Response:
    claims = _signed_in(request)
    if claims is None:
        return _to_login()
    async with state_of(request).engine.connect() as connection:
        cart = await load_cart(connection, claims.user_id)
    return _page("Your cart", _html.cart_table(cart), claims=claims)


async def products_page(request: Request) -> Response:
    raw = request.query_params.get("search", "")
    search = raw.replace("\x00", "").strip()[:200] or None
    async with state_of(request).engine.connect() as connection:
        found, total = await find_products(
            connection, _PRODUCTS_SHOWN, search=search, category_id=None
        )
    body = _html.product_list(found, total, search)
    return _page("Products", body, claims=_signed_in(request))
