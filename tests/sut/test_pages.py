"""The server-rendered pages, over HTTP and in process."""

from __future__ import annotations

from html.parser import HTMLParser

import httpx2

from tdm_sut import _tokens, auth, backend

SECRET = "tests-secret-0123456789"


class _Elements(HTMLParser):
    """Collects every start tag with its attributes, and the page text."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def with_class(self, name: str) -> list[dict[str, str | None]]:
        return [a for _, a in self.tags if name in (a.get("class") or "").split()]


def _page_client(shop, token=None):
    client = httpx2.Client(base_url=shop.thread.backend_url, trust_env=False)
    if token is not None:
        client.cookies.set("access_token", token)
    return client


def test_login_page_has_the_form(shop):
    """GET /login shows a POST form with email and password fields and a submit button."""
    answer = shop.api.get("/login")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    page = _Elements(answer.text)
    names = {a.get("name") for tag, a in page.tags if tag == "input"}
    assert {"email", "password"} <= names
    assert any(tag == "button" and a.get("type") == "submit" for tag, a in page.tags)
    assert any(
        tag == "form" and a.get("method") == "post" and a.get("action") == "/login"
        for tag, a in page.tags
    )


def test_login_sets_the_cookie_and_redirects_to_orders(shop, user):
    """POST /login with good credentials sets access_token and redirects 303 to /orders."""
    with _page_client(shop) as client:
        answer = client.post("/login", data={"email": user.email, "password": user.password})
    assert (answer.status_code, answer.headers["location"]) == (303, "/orders")
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "Path=/" in cookie
    token = answer.cookies["access_token"]
    assert _tokens.verify(token, SECRET).user_id == user.id


def test_login_with_a_wrong_password_shows_the_form_again(shop, user):
    """A wrong password answers 401 with the form and an error, and sets no cookie."""
    with _page_client(shop) as client:
        answer = client.post("/login", data={"email": user.email, "password": "Wrong-Passw0rd"})
    assert answer.status_code == 401
    assert "access_token" not in answer.cookies
    page = _Elements(answer.text)
    assert page.with_class("error")
    assert user.email in {a.get("value") for tag, a in page.tags if tag == "input"}


def test_login_without_fields_shows_the_form_again(shop):
    """An empty form answers 422 with the form and an error."""
    answer = shop.api.post("/login", data={"email": "", "password": ""})
    assert answer.status_code == 422
    assert _Elements(answer.text).with_class("error")


def test_pages_that_need_a_user_redirect_to_login(shop):
    """/orders and /cart redirect to /login without a cookie or with a bad one."""
    expired = _tokens.issue(user_id=1, email="a@b.cd", is_admin=False, secret=SECRET, ttl=1, now=0)
    for token in (None, "garbage", expired):
        with _page_client(shop, token) as client:
            for path in ("/orders", "/cart"):
                answer = client.get(path)
                assert (answer.status_code, answer.headers["location"]) == (303, "/login")


def test_orders_page_shows_one_card_per_order(shop, user, other_user):
    """/orders shows exactly one .order-card per order of the user, with number, status, total."""
    product = shop.new_product(price=3.5, stock=20)
    orders = [shop.new_order(user, (product["id"], n)) for n in (1, 2, 3)]
    shop.new_order(other_user, (product["id"], 1))
    shop.api.patch(
        f"/api/orders/{orders[0]['id']}", json={"status": "shipped"}, headers=shop.admin.headers
    )
    with _page_client(shop, user.token) as client:
        answer = client.get("/orders")
    assert answer.status_code == 200
    page = _Elements(answer.text)
    cards = page.with_class("order-card")
    assert sorted(int(card["data-order-id"] or 0) for card in cards) == sorted(
        o["id"] for o in orders
    )
    text = "".join(page.text)
    for order, total in zip(orders, ("3.50", "7.00", "10.50"), strict=True):
        assert order["number"] in text
        assert total in text
    assert "shipped" in text
    assert "pending" in text


def test_orders_page_with_no_orders(shop, user):
    """A user without orders sees no .order-card."""
    with _page_client(shop, user.token) as client:
        answer = client.get("/orders")
    assert answer.status_code == 200
    assert _Elements(answer.text).with_class("order-card") == []


def test_login_then_orders_in_one_session(shop, user):
    """The cookie from POST /login opens /orders."""
    product = shop.new_product()
    shop.new_order(user, (product["id"], 1))
    with _page_client(shop) as client:
        answer = client.post(
            "/login", data={"email": user.email, "password": user.password}, follow_redirects=True
        )
    assert answer.url.path == "/orders"
    assert len(_Elements(answer.text).with_class("order-card")) == 1


def test_cart_page_lists_the_cart(shop, user):
    """/cart shows one row per cart item and the cart's value."""
    product = shop.new_product(price=2.25)
    body = {"productId": product["id"], "quantity": 2}
    assert shop.api.post("/api/cart", json=body, headers=user.headers).status_code == 201
    with _page_client(shop, user.token) as client:
        answer = client.get("/cart")
    page = _Elements(answer.text)
    assert len(page.with_class("cart-item")) == 1
    assert product["name"] in answer.text
    assert "4.50" in answer.text


def test_products_page_escapes_user_data(shop):
    """/products lists products and escapes their names."""
    marker = shop.unique("xss")
    evil = f'<script>alert("{marker}")</script>'
    shop.new_product(name=evil, description="<b>bold</b> & co")
    answer = shop.api.get("/products", params={"search": marker})
    assert answer.status_code == 200
    assert "<script>" not in answer.text
    assert "<b>bold" not in answer.text
    assert f"&lt;script&gt;alert(&quot;{marker}&quot;)&lt;/script&gt;" in answer.text
    assert len(_Elements(answer.text).with_class("product-card")) == 1


def test_logout_clears_the_cookie(shop, user):
    """POST /logout clears access_token and redirects to /login."""
    with _page_client(shop, user.token) as client:
        answer = client.post("/logout")
    assert (answer.status_code, answer.headers["location"]) == (303, "/login")
    assert 'access_token=""' in answer.headers["set-cookie"]


async def test_login_page_uses_the_injected_auth_client(make_settings):
    """In process, the Backend signs in through the Auth Service client it was given."""
    settings = make_settings(auth_url="http://auth.internal")
    auth_app = auth.create_app(settings)
    async with (
        auth_app.router.lifespan_context(auth_app),
        httpx2.AsyncClient(transport=httpx2.ASGITransport(app=auth_app)) as auth_client,
    ):
        backend_app = backend.create_app(settings, auth_client=auth_client)
        async with (
            backend_app.router.lifespan_context(backend_app),
            httpx2.AsyncClient(
                transport=httpx2.ASGITransport(app=backend_app), base_url="http://shop"
            ) as client,
        ):
            form = {"email": settings.admin_email, "password": settings.admin_password}
            answer = await client.post("/login", data=form)
    assert (answer.status_code, answer.headers["location"]) == (303, "/orders")
    assert _tokens.verify(answer.cookies["access_token"], settings.secret).is_admin


async def test_login_page_when_the_auth_service_is_down(make_settings):
    """When the Auth Service cannot be reached, the login page answers 503, not 500."""

    def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("connection refused", request=request)

    settings = make_settings()
    refusing = httpx2.AsyncClient(transport=httpx2.MockTransport(refuse))
    backend_app = backend.create_app(settings, auth_client=refusing)
    async with (
        refusing,
        backend_app.router.lifespan_context(backend_app),
        httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=backend_app), base_url="http://shop"
        ) as client,
    ):
        answer = await client.post("/login", data={"email": "a@b.cd", "password": "x"})
    assert answer.status_code == 503
    assert _Elements(answer.text).with_class("error")
