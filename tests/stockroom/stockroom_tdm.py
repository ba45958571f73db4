"""The stockroom's tdm registry, written with nothing but tdm's public API.

It defines ``category``, ``product`` and ``order`` like the reference shop does, so the two
registries compose only because names are scoped by registry. Products are deleted under their
category (``delete`` reads the category from the record's refs); order lines go with their
order (``removed_with``); and every kind has a natural key, checked by ``tdm.check_kind``.
Installed through the ``tdm.registries`` entry point as ``stockroom`` (tests write a dist-info
for it), or used directly.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import attrs

import tdm

registry = tdm.Registry("stockroom")
registry.add_setting("STOCKROOM_URL", "the stockroom's API", default="http://127.0.0.1:8900")
registry.add_setting("STOCKROOM_TOKEN", "its API token", secret=True)


@registry.target("stockroom")
@asynccontextmanager
async def stockroom(settings: tdm.Settings) -> AsyncIterator[tdm.HttpService]:
    url = settings.get("STOCKROOM_URL", "http://127.0.0.1:8900")
    headers = {"authorization": f"Token {settings.get('STOCKROOM_TOKEN', 'stockroom-key')}"}
    async with tdm.HttpService.connect(
        "stockroom", url, settings, setting="STOCKROOM_URL", headers=headers
    ) as client:
        yield client


async def _up(client: tdm.HttpService) -> None:
    await client.request("GET", "/health", expect=(200,))


registry.add_check("stockroom", "stockroom", _up)


async def _first(client: tdm.HttpService, path: str, **params: Any) -> list[str]:
    found = await client.request("GET", path, params=params, expect=(200,))
    return [str(row["id"]) for row in found.json()["data"]]


@attrs.frozen
class CategorySpec:
    slug: str
    title: str


@attrs.frozen
class Category:
    id: int
    slug: str
    title: str


@registry.kind
class Categories(tdm.Kind[tdm.HttpService, CategorySpec, Category]):
    """Stockroom categories, by slug."""

    name, plural, target, spec = "category", "categories", "stockroom", CategorySpec

    def build(self, gen: tdm.DataGen) -> CategorySpec:
        return CategorySpec(slug=f"cat-{gen.token}", title=gen.faker.word().title())

    def lookup(self, spec: CategorySpec) -> Mapping[str, Any]:
        return {"slug": spec.slug}

    async def create(self, client: tdm.HttpService, spec: CategorySpec) -> Category:
        body = attrs.asdict(spec)
        made = (await client.request("POST", "/categories", json=body, expect=(201,))).json()
        return Category(made["id"], made["slug"], made["title"])

    def entity_id(self, entity: Category) -> int:
        return entity.id

    def label(self, entity: Category) -> str:
        return entity.slug

    async def delete(self, client: tdm.HttpService, record: tdm.TrackingRecord) -> bool:
        path = f"/categories/{record.entity_id}"
        return (await client.request("DELETE", path, expect=(204, 404))).status_code == 204

    async def find(self, client: tdm.HttpService, lookup: Mapping[str, Any]) -> list[str]:
        return await _first(client, "/categories", slug=lookup["slug"])


@attrs.frozen
class ProductSpec:
    code: str
    title: str
    price_cents: int
    category_id: int | None = None


@attrs.frozen
class Product:
    id: int
    code: str
    title: str
    price_cents: int
    category_id: int


@registry.kind
class Products(tdm.Kind[tdm.HttpService, ProductSpec, Product]):
    """Stockroom products; each lives under its category."""

    name, plural, target, spec = "product", "products", "stockroom", ProductSpec

    def build(self, gen: tdm.DataGen) -> ProductSpec:
        return ProductSpec(code=f"P-{gen.token}", title=gen.faker.word(),
                           price_cents=gen.random.randint(100, 9999))  # fmt: skip

    async def prepare(self, session: tdm.Session, spec: ProductSpec) -> ProductSpec:
        if spec.category_id is not None:
            return spec
        category: Category = await session.create("category")
        return attrs.evolve(spec, category_id=category.id)

    def lookup(self, spec: ProductSpec) -> Mapping[str, Any]:
        return {"code": spec.code}

    def refs(self, spec: ProductSpec) -> list[tdm.Ref]:
        return [("category", str(spec.category_id))]

    async def create(self, client: tdm.HttpService, spec: ProductSpec) -> Product:
        body = {"code": spec.code, "title": spec.title, "price_cents": spec.price_cents}
        path = f"/categories/{spec.category_id}/products"
        made = (await client.request("POST", path, json=body, expect=(201,))).json()
        return Product(made["id"], made["code"], made["title"], made["price_cents"],
                       made["category_id"])  # fmt: skip

    def entity_id(self, entity: Product) -> int:
        return entity.id

    def label(self, entity: Product) -> str:
        return entity.code

    async def delete(self, client: tdm.HttpService, record: tdm.TrackingRecord) -> bool:
        (category_id,) = [i for kind, i in record.refs if kind == "category"]
        path = f"/categories/{category_id}/products/{record.entity_id}"
        return (await client.request("DELETE", path, expect=(204, 404))).status_code == 204

    async def find(self, client: tdm.HttpService, lookup: Mapping[str, Any]) -> list[str]:
        return await _first(client, "/products", code=lookup["code"])


@attrs.frozen
class OrderSpec:
    reference: str
    product_ids: list[int] | None = None


@attrs.frozen
class Order:
    id: int
    reference: str
    product_ids: list[int]


@registry.kind
class Orders(tdm.Kind[tdm.HttpService, OrderSpec, Order]):
    """Stockroom orders, one line per product."""

    name, plural, target, spec = "order", "orders", "stockroom", OrderSpec

    def build(self, gen: tdm.DataGen) -> OrderSpec:
        return OrderSpec(reference=f"SR-{gen.token}")

    async def prepare(self, session: tdm.Session, spec: OrderSpec) -> OrderSpec:
        if spec.product_ids:
            return spec
        product: Product = await session.create("product")
        return attrs.evolve(spec, product_ids=[product.id])

    def lookup(self, spec: OrderSpec) -> Mapping[str, Any]:
        return {"reference": spec.reference}

    def refs(self, spec: OrderSpec) -> list[tdm.Ref]:
        return [("product", str(p)) for p in spec.product_ids or []]

    async def create(self, client: tdm.HttpService, spec: OrderSpec) -> Order:
        lines = [{"product_id": p, "qty": 1} for p in spec.product_ids or []]
        body = {"reference": spec.reference, "lines": lines}
        made = (await client.request("POST", "/orders", json=body, expect=(201,))).json()
        return Order(made["id"], made["reference"], [line["product_id"] for line in made["lines"]])

    def entity_id(self, entity: Order) -> int:
        return entity.id

    def label(self, entity: Order) -> str:
        return entity.reference

    async def delete(self, client: tdm.HttpService, record: tdm.TrackingRecord) -> bool:
        path = f"/orders/{record.entity_id}"
        return (await client.request("DELETE", path, expect=(204, 404))).status_code == 204

    async def find(self, client: tdm.HttpService, lookup: Mapping[str, Any]) -> list[str]:
        return await _first(client, "/orders", reference=lookup["reference"])


@attrs.frozen
class LineSpec:
    qty: int = 1
    order_id: int | None = None
    product_id: int | None = None


@attrs.frozen
class Line:
    id: int
    order_id: int
    product_id: int
    qty: int


@registry.kind
class Lines(tdm.Kind[tdm.HttpService, LineSpec, Line]):
    """Extra lines on an order; the stockroom removes them with their order."""

    name, plural, target, spec = "line", "lines", "stockroom", LineSpec
    removed_with = ("order",)

    def build(self, gen: tdm.DataGen) -> LineSpec:
        return LineSpec(qty=gen.random.randint(1, 5))

    async def prepare(self, session: tdm.Session, spec: LineSpec) -> LineSpec:
        order_id, product_id = spec.order_id, spec.product_id
        if product_id is None:
            product_id = (await session.create("product")).id
        if order_id is None:
            order_id = (await session.create("order")).id
        return attrs.evolve(spec, order_id=order_id, product_id=product_id)

    def lookup(self, spec: LineSpec) -> Mapping[str, Any]:
        return {"orderId": spec.order_id, "productId": spec.product_id}

    def refs(self, spec: LineSpec) -> list[tdm.Ref]:
        return [("order", str(spec.order_id)), ("product", str(spec.product_id))]

    async def create(self, client: tdm.HttpService, spec: LineSpec) -> Line:
        body = {"product_id": spec.product_id, "qty": spec.qty}
        path = f"/orders/{spec.order_id}/lines"
        made = (await client.request("POST", path, json=body, expect=(201,))).json()
        return Line(made["id"], made["order_id"], made["product_id"], made["qty"])

    def entity_id(self, entity: Line) -> int:
        return entity.id

    async def delete(self, client: tdm.HttpService, record: tdm.TrackingRecord) -> bool:
        raise tdm.CannotDelete("the stockroom removes order lines only with their order")

    async def find(self, client: tdm.HttpService, lookup: Mapping[str, Any]) -> list[str]:
        found = await client.request("GET", f"/orders/{lookup['orderId']}/lines", expect=(200,))
        return [
            str(r["id"]) for r in found.json()["data"] if r["product_id"] == lookup["productId"]
        ]


@attrs.frozen
class StockedOrder:
    category: Category
    order: Order
    extra_line: Line


@registry.scenario
async def stocked_order(
    s: tdm.Session,
    product_count: Annotated[int, tdm.Field(ge=1, le=5, description="Products on the order")] = 2,
) -> StockedOrder:
    """An order of products of one new category, with an extra line for the first product."""
    category: Category = await s.create("category")
    products: list[Product] = await s.create_many("product", product_count,
                                                  category_id=category.id)  # fmt: skip
    order: Order = await s.create("order", product_ids=[p.id for p in products])
    extra: Line = await s.create("line", order_id=order.id, product_id=products[0].id)
    return StockedOrder(category, order, extra)


@asynccontextmanager
async def stockroom_demo(settings: tdm.Settings, data_dir: Path) -> AsyncIterator[tdm.Demo]:
    """The stockroom in this process, on a free port, with its database in ``data_dir``: what
    ``tdm serve --demo`` and ``pytest --tdm-demo`` start (a team's own system is started the
    same way: serve it, yield the settings that reach it, stop it on exit)."""
    import socket

    import anyio
    import uvicorn

    try:
        from .stockroom_app import StockroomDB, create_stockroom_app
    except ImportError:  # installed as a top-level module (the entry point)
        from stockroom_app import StockroomDB, create_stockroom_app  # type: ignore[no-redef]

    await anyio.Path(data_dir).mkdir(parents=True, exist_ok=True)
    db = StockroomDB(str(data_dir / "stockroom.sqlite3"))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(create_stockroom_app(db), log_config=None))
    async with anyio.create_task_group() as tg:
        tg.start_soon(lambda: server.serve(sockets=[sock]))
        while not server.started:  # noqa: ASYNC110 -- uvicorn offers no event to wait on
            await anyio.sleep(0.01)
        try:
            yield tdm.Demo(env={"STOCKROOM_URL": url}, services=(("Stockroom", url),))
        finally:
            server.should_exit = True
    sock.close()
    db.conn.close()


registry.add_demo(stockroom_demo)
