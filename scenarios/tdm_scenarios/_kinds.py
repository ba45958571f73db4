"""The shop's entity kinds, declared through tdm's public API like any team's own would be."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
from sqlalchemy.ext.asyncio import AsyncEngine

import tdm

from ._baseline import BASELINE_CATEGORIES, BASELINE_USERS
from ._client import ShopClient
from ._entities import (
    CartItem,
    CartItemSpec,
    Category,
    CategorySpec,
    Order,
    OrderItem,
    OrderLine,
    OrderSpec,
    Product,
    ProductSpec,
    User,
    UserSpec,
)
from ._sql import delete_rows
from ._words import product_name

__all__ = ["pick_products", "register_kinds"]


async def _api_delete(client: ShopClient, service: str, path: str) -> bool:
    """Delete as the admin: ``True`` when deleted, ``False`` when it was already gone."""
    response = await client.as_admin(service, "DELETE", path, expect=(204, 404))
    return response.status_code == 204


async def _db_delete(
    db: AsyncEngine | None,
    table: str,
    records: list[tdm.TrackingRecord],
    children: tuple[tuple[str, str], ...] = (),
    *,
    restock: bool = False,
) -> dict[str, bool] | None:
    """Delete a batch in the database, or ``None`` when that database is not configured."""
    if db is None:
        return None
    ids = [str(r.entity_id) for r in records]
    return await delete_rows(db, table, ids, children=children, restock=restock)


class Users(tdm.Kind[ShopClient, UserSpec, User]):
    """Users, registered through ``POST /auth/register`` (admins through the admin API)."""

    name, plural, target, spec = "user", "users", "shop", UserSpec

    def build(self, gen: tdm.DataGen) -> UserSpec:
        first, last = gen.faker.first_name(), gen.faker.last_name()
        local = "".join(c for c in f"{first}.{last}".lower() if c.isalnum() or c == ".")
        return UserSpec(
            email=f"{local}.{gen.token}@example.com",
            password=f"Tdm-{gen.token}-pw1",
            full_name=f"{first} {last}",
        )

    def lookup(self, spec: UserSpec) -> Mapping[str, Any]:
        return {"email": spec.email.lower()}

    async def create(self, client: ShopClient, spec: UserSpec) -> User:
        payload = {"email": spec.email, "password": spec.password, "fullName": spec.full_name}
        if spec.is_admin:
            response = await client.as_admin(
                "auth", "POST", "/auth/users", json={**payload, "isAdmin": True}, expect=(201,)
            )
        else:
            response = await client.auth.request(
                "POST", "/auth/register", json=payload, expect=(201,)
            )
        body = response.json()
        client.remember(body["id"], body["email"], spec.password)
        return User(body["id"], body["email"], spec.password, body["fullName"], body["isAdmin"])

    def entity_id(self, entity: User) -> int:
        return entity.id

    def label(self, entity: User) -> str:
        return entity.email

    def secret(self, entity: User) -> Mapping[str, Any]:
        return {"email": entity.email, "password": entity.password}

    async def delete(self, client: ShopClient, record: tdm.TrackingRecord) -> bool:
        return await _api_delete(client, "auth", f"/auth/users/{record.entity_id}")

    async def delete_many(
        self, client: ShopClient, records: list[tdm.TrackingRecord]
    ) -> dict[str, bool] | None:
        return await _db_delete(client.auth_db, "users", records)

    async def find(self, client: ShopClient, lookup: Mapping[str, Any]) -> list[str]:
        found = client.pages("auth", "/auth/users", email=lookup["email"])
        return [str(user["id"]) async for user in found]


class Categories(tdm.Kind[ShopClient, CategorySpec, Category]):
    name, plural, target, spec = "category", "categories", "shop", CategorySpec

    def build(self, gen: tdm.DataGen) -> CategorySpec:
        word = gen.faker.word().title()
        return CategorySpec(name=f"{word} {gen.token}", description=gen.faker.sentence())

    def lookup(self, spec: CategorySpec) -> Mapping[str, Any]:
        return {"name": spec.name}

    async def create(self, client: ShopClient, spec: CategorySpec) -> Category:
        payload = {"name": spec.name, "description": spec.description}
        response = await client.as_admin(
            "backend", "POST", "/api/categories", json=payload, expect=(201,)
        )
        body = response.json()
        return Category(body["id"], body["name"], body["description"] or "")

    def entity_id(self, entity: Category) -> int:
        return entity.id

    def label(self, entity: Category) -> str:
        return entity.name

    async def delete(self, client: ShopClient, record: tdm.TrackingRecord) -> bool:
        return await _api_delete(client, "backend", f"/api/categories/{record.entity_id}")

    async def delete_many(
        self, client: ShopClient, records: list[tdm.TrackingRecord]
    ) -> dict[str, bool] | None:
        return await _db_delete(client.backend_db, "categories", records)

    async def find(self, client: ShopClient, lookup: Mapping[str, Any]) -> list[str]:
        found = client.pages("backend", "/api/categories")
        return [str(c["id"]) async for c in found if c["name"] == lookup["name"]]


def _product(body: dict[str, Any]) -> Product:
    return Product(
        body["id"], body["sku"], body["name"], body["description"] or "",
        float(body["price"]), body["stock"], body["categoryId"],
    )  # fmt: skip


class Products(tdm.Kind[ShopClient, ProductSpec, Product]):
    """Products; without a ``category_id`` one of the shop's categories is used (or made)."""

    name, plural, target, spec = "product", "products", "shop", ProductSpec

    def build(self, gen: tdm.DataGen) -> ProductSpec:
        return ProductSpec(
            name=product_name(gen),
            sku=f"SKU-{gen.token.upper()}",
            price=round(gen.random.uniform(2, 400), 2),
            stock=gen.random.randint(20, 200),
            description=gen.faker.sentence(nb_words=10),
        )

    async def prepare(self, session: tdm.Session, spec: ProductSpec) -> ProductSpec:
        """Without a category: one this session made, else a baseline one, else a new one.
        Never another run's: its cleanup would find its category still in use."""
        if spec.category_id is not None:
            return spec
        candidates = await _categories(session)
        if candidates:
            chosen = session.random("category", spec.sku).choice(candidates)
        else:
            chosen = (await session.create("category")).id
        return attrs.evolve(spec, category_id=chosen)

    def lookup(self, spec: ProductSpec) -> Mapping[str, Any]:
        return {"sku": spec.sku}

    def refs(self, spec: ProductSpec) -> list[tdm.Ref]:
        return [("category", str(spec.category_id))]

    async def create(self, client: ShopClient, spec: ProductSpec) -> Product:
        payload = {
            "name": spec.name, "sku": spec.sku, "price": spec.price, "stock": spec.stock,
            "description": spec.description, "categoryId": spec.category_id,
        }  # fmt: skip
        response = await client.as_admin(
            "backend", "POST", "/api/products", json=payload, expect=(201,)
        )
        return _product(response.json())

    def entity_id(self, entity: Product) -> int:
        return entity.id

    def label(self, entity: Product) -> str:
        return entity.sku

    async def delete(self, client: ShopClient, record: tdm.TrackingRecord) -> bool:
        return await _api_delete(client, "backend", f"/api/products/{record.entity_id}")

    async def delete_many(
        self, client: ShopClient, records: list[tdm.TrackingRecord]
    ) -> dict[str, bool] | None:
        children = (("cart_items", "product_id"),)
        return await _db_delete(client.backend_db, "products", records, children)

    async def find(self, client: ShopClient, lookup: Mapping[str, Any]) -> list[str]:
        response = await client.backend.request(
            "GET", "/api/products", params={"search": lookup["sku"], "limit": 100}
        )
        return [str(p["id"]) for p in response.json()["items"] if p["sku"] == lookup["sku"]]


async def _categories(session: tdm.Session) -> list[int]:
    """The categories a new product may go in: this session's own, else the baseline's that
    no other run holds (never another run's: its cleanup would find its category in use)."""
    candidates = session.own("category")
    if not candidates:
        client: ShopClient = await session.client("shop")
        listing = await client.backend.request("GET", "/api/categories", params={"limit": 100})
        baseline = [str(c["id"]) for c in listing.json()["items"]
                    if c["name"] in BASELINE_CATEGORIES]  # fmt: skip
        candidates = await session.usable("category", baseline)
    return sorted(int(i) for i in candidates)


async def pick_products(session: tdm.Session, count: int, *key: object) -> list[int]:
    """``count`` distinct products of this session's own, chosen reproducibly; those missing
    are made at once (their categories listed once for all). Orders and carts never use
    shared products: another run's could be removed under them (or be kept by them), and the
    baseline's stock would change."""
    candidates = sorted(int(i) for i in session.own("product"))
    chosen = session.random("products", *key).sample(candidates, min(count, len(candidates)))
    missing = count - len(chosen)
    if missing:
        categories = await _categories(session)
        pick = session.random("product categories", *key)
        each = [{"category_id": pick.choice(categories)} for _ in range(missing) if categories]
        made: list[Product] = await session.create_many("product", each or missing)
        chosen += [product.id for product in made]
    return chosen


async def _user(session: tdm.Session, user_id: int | None) -> int:
    """The user to act as: the one given (its credentials found), or a new one."""
    if user_id is None:
        user: User = await session.create("user")
        return user.id
    client: ShopClient = await session.client("shop")
    if not client.knows(user_id):
        await _credentials(session, client, user_id)
    return user_id


async def _credentials(session: tdm.Session, client: ShopClient, user_id: int) -> None:
    """Learn how to act as ``user_id``: from the ledger (another process or replica made it),
    else a baseline account's documented password. Otherwise acting as it fails, saying so."""
    kept = await session.secret("user", user_id)
    if kept is not None:
        client.remember(user_id, kept["email"], kept["password"])
        return
    found = await client.as_admin("auth", "GET", "/auth/users", params={"limit": 100},
                                  expect=(200,))  # fmt: skip
    emails = {u["id"]: u["email"] for u in found.json()["items"]}
    baseline = {a.email: a for a in BASELINE_USERS.values()}
    account = baseline.get(emails.get(user_id, ""))
    if account is not None:
        client.remember(user_id, account.email, account.password)


class Orders(tdm.Kind[ShopClient, OrderSpec, Order]):
    """Orders, placed as their user through ``POST /api/orders`` and moved to their status by
    the admin. The shop's API cannot delete orders: that needs ``BACKEND_DB_URL``."""

    name, plural, target, spec = "order", "orders", "shop", OrderSpec

    def build(self, gen: tdm.DataGen) -> OrderSpec:
        f = gen.faker
        address = (
            f"{f.name()} (ref {gen.token})\n{f.street_address()}\n"
            f"{f.city()}, {f.state_abbr()} {f.zipcode()}"
        )
        return OrderSpec(shipping_address=address)

    async def prepare(self, session: tdm.Session, spec: OrderSpec) -> OrderSpec:
        """Use (or create) the user; without items, order one to three in-stock products."""
        user_id = await _user(session, spec.user_id)
        items = spec.items
        if items is None:
            lines = session.random("order lines", spec.shipping_address).randint(1, 3)
            picked = await pick_products(session, lines, spec.shipping_address)
            items = [OrderLine(product_id) for product_id in picked]
        return attrs.evolve(spec, user_id=user_id, items=items)

    def lookup(self, spec: OrderSpec) -> Mapping[str, Any]:
        return {"userId": spec.user_id, "shippingAddress": spec.shipping_address}

    def refs(self, spec: OrderSpec) -> list[tdm.Ref]:
        refs: list[tdm.Ref] = [("user", str(spec.user_id))]
        refs += [("product", str(line.product_id)) for line in spec.items or []]
        return refs

    async def create(self, client: ShopClient, spec: OrderSpec) -> Order:
        assert spec.user_id is not None
        payload: dict[str, Any] = {"shippingAddress": spec.shipping_address}
        if spec.items is not None:
            payload["items"] = [
                {"productId": line.product_id, "quantity": line.quantity} for line in spec.items
            ]
        response = await client.as_user(
            spec.user_id, "POST", "/api/orders", json=payload, expect=(201,)
        )
        body = response.json()
        if spec.status != body["status"]:
            response = await client.as_admin(
                "backend", "PATCH", f"/api/orders/{body['id']}", json={"status": spec.status},
                expect=(200,),
            )  # fmt: skip
            body = response.json()
        return Order(
            id=body["id"], number=body["number"], user_id=body["userId"], status=body["status"],
            shipping_address=body["shippingAddress"], total=float(body["total"]),
            items=[
                OrderItem(i["id"], i["productId"], i["productName"], i["quantity"],
                          float(i["unitPrice"]))
                for i in body["items"]
            ],
        )  # fmt: skip

    def entity_id(self, entity: Order) -> int:
        return entity.id

    def label(self, entity: Order) -> str:
        return entity.number

    async def delete(self, client: ShopClient, record: tdm.TrackingRecord) -> bool:
        if client.backend_db is None:
            raise tdm.CannotDelete(
                "the shop's API cannot delete orders; set BACKEND_DB_URL so tdm can delete "
                "them in the Backend's database"
            )
        outcome = await self.delete_many(client, [record]) or {}
        return outcome.get(str(record.entity_id), False)

    async def delete_many(
        self, client: ShopClient, records: list[tdm.TrackingRecord]
    ) -> dict[str, bool] | None:
        # Restocking deletes the orders' items, giving back the stock they took.
        return await _db_delete(client.backend_db, "orders", records, restock=True)

    async def find(self, client: ShopClient, lookup: Mapping[str, Any]) -> list[str]:
        orders = client.pages("backend", "/api/admin/orders", userId=lookup["userId"])
        return [
            str(o["id"]) async for o in orders if o["shippingAddress"] == lookup["shippingAddress"]
        ]


class CartItems(tdm.Kind[ShopClient, CartItemSpec, CartItem]):
    """Cart items, added as their user through ``POST /api/cart``."""

    name, plural, target, spec = "cartItem", "cartItems", "shop", CartItemSpec

    def build(self, gen: tdm.DataGen) -> CartItemSpec:
        return CartItemSpec(quantity=1)

    async def prepare(self, session: tdm.Session, spec: CartItemSpec) -> CartItemSpec:
        """Use (or create) the user; without a product, pick an in-stock one."""
        user_id = await _user(session, spec.user_id)
        product_id = spec.product_id
        if product_id is None:
            (product_id,) = await pick_products(session, 1, "cart", user_id)
        return attrs.evolve(spec, user_id=user_id, product_id=product_id)

    def lookup(self, spec: CartItemSpec) -> Mapping[str, Any]:
        return {"userId": spec.user_id, "productId": spec.product_id}

    def refs(self, spec: CartItemSpec) -> list[tdm.Ref]:
        return [("user", str(spec.user_id)), ("product", str(spec.product_id))]

    async def create(self, client: ShopClient, spec: CartItemSpec) -> CartItem:
        assert spec.user_id is not None
        payload = {"productId": spec.product_id, "quantity": spec.quantity}
        response = await client.as_user(spec.user_id, "POST", "/api/cart", json=payload)
        body = response.json()
        return CartItem(
            body["id"], body["userId"], body["productId"], body["productName"],
            body["quantity"], float(body["unitPrice"]),
        )  # fmt: skip

    def entity_id(self, entity: CartItem) -> int:
        return entity.id

    def label(self, entity: CartItem) -> str:
        return f"{entity.quantity} × {entity.product_name}"  # noqa: RUF001 -- the sign meant

    async def delete(self, client: ShopClient, record: tdm.TrackingRecord) -> bool:
        return await _api_delete(client, "backend", f"/api/cart/{record.entity_id}")

    async def find(self, client: ShopClient, lookup: Mapping[str, Any]) -> list[str]:
        items = client.pages("backend", "/api/admin/cart-items", userId=lookup["userId"])
        return [str(i["id"]) async for i in items if i["productId"] == lookup["productId"]]


def register_kinds(registry: tdm.Registry) -> None:
    for kind in (Users, Categories, Products, Orders, CartItems):
        registry.kind(kind)
