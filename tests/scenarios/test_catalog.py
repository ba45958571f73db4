"""Every scenario of the shop's catalog, run against the real shop; nothing remains after."""

from __future__ import annotations

import warnings
from typing import Any

import anyio
import pytest

import tdm
import tdm_scenarios
from tdm_scenarios import SeedResult

from ..support import Inspector

pytestmark = pytest.mark.usefixtures("seeded")


async def _run_and_vanish(
    manager: tdm.Manager, shop: Inspector, scenario: str, params: dict[str, Any]
) -> tuple[Any, list[tdm.TrackingRecord]]:
    async with manager.session() as s:
        result = await s.run(scenario, **params)
        records = await s.records()
        assert records, "the scenario created nothing"
        assert all(shop.exists(r) for r in records)
    assert not [r for r in records if shop.exists(r)], "entities survived the session"
    assert await manager.ledger.count(run_id=manager.settings.run_id) == 0
    return result, records


async def test_user_with_orders(manager: tdm.Manager, shop: Inspector) -> None:
    """Three delivered orders belong to a new user, visible in the shop; all gone after."""
    async with manager.session() as s:
        data = await s.run(tdm_scenarios.user_with_orders, order_count=3)
        orders = shop.orders(data.user.id)
        assert sorted(o["id"] for o in orders) == sorted(o.id for o in data.orders)
        # placed at once, returned oldest first: the last one is the one the shop lists on top
        assert [o.number for o in data.orders] == sorted(o["number"] for o in orders)
        assert {o["status"] for o in orders} == {"delivered"}
        assert shop.users(data.user.email)[0]["fullName"] == data.user.full_name
    assert shop.orders(data.user.id) == []
    assert shop.users(data.user.email) == []


@pytest.mark.parametrize(
    ("scenario", "params"),
    [
        ("user-with-orders", {"order_count": 2, "order_status": "shipped"}),
        ("cart-with-products", {"item_count": 3}),
        ("empty-cart", {}),
        ("admin-user", {}),
    ],
)
async def test_each_scenario_leaves_nothing(
    manager: tdm.Manager, shop: Inspector, scenario: str, params: dict[str, Any]
) -> None:
    """Each scenario's entities exist during the session and none after it."""
    result, records = await _run_and_vanish(manager, shop, scenario, params)
    kinds = {r.kind for r in records}
    if scenario == "cart-with-products":
        assert len(result.cart_items) == 3
        assert len({i.product_id for i in result.cart_items}) == 3
        # Its own products, never shared ones: the cart's products are the session's.
        own = {int(r.entity_id) for r in records if r.kind == "product" and r.entity_id}
        assert {i.product_id for i in result.cart_items} <= own
        assert kinds <= {"user", "cartItem", "product", "category"}
    if scenario == "admin-user":
        assert result.user.is_admin
    if scenario == "user-with-orders":
        assert {o.status for o in result.orders} == {"shipped"}
        own = {int(r.entity_id) for r in records if r.kind == "product" and r.entity_id}
        assert {i.product_id for o in result.orders for i in o.items} <= own


async def test_created_users_can_log_in(manager: tdm.Manager, shop: Inspector) -> None:
    """The returned password is the user's real password in the Auth Service."""
    async with manager.session() as s:
        data = await s.run("empty-cart")
        answer = shop.auth.post(
            "/auth/login", json={"email": data.user.email, "password": data.user.password}
        )
        assert answer.status_code == 200


async def test_exception_in_block(manager: tdm.Manager, shop: Inspector) -> None:
    """An exception inside the block still removes the session's data from the shop."""
    with pytest.raises(KeyError):
        async with manager.session() as s:
            data = await s.run("user-with-orders", order_count=2)
            raise KeyError("boom")
    assert shop.users(data.user.email) == []
    assert shop.orders(data.user.id) == []


async def test_cancellation(manager: tdm.Manager, shop: Inspector) -> None:
    """A block cancelled mid-create removes everything it had created; the create cut off in
    flight (the shop may still act on it) stays tracked until it is found or settles."""
    short = tdm.Manager(manager.settings.evolve(pending_grace=2.0), registry=manager.catalog,
                        ledger=manager.ledger)  # fmt: skip
    emails: list[str] = []
    with warnings.catch_warnings(record=True) as caught, anyio.move_on_after(0.4) as scope:
        warnings.simplefilter("always")
        async with short.session() as s:
            while True:
                user = await s.create("user")
                emails.append(user.email)
    assert scope.cancelled_caught
    assert emails, "nothing was created before the cancellation"
    assert all(shop.users(email) == [] for email in emails)
    in_flight = [r.lookup["email"] for r in await short.tracked() if r.lookup]
    assert len(in_flight) <= 1
    assert all(issubclass(w.category, tdm.LeakWarning) for w in caught)
    for _ in range(100):  # bounded: the record settles once its grace has passed
        if (await short.cleanup(run_id=short.settings.run_id)).complete:
            break
        await anyio.sleep(0.1)
    assert await short.ledger.count() == 0
    assert all(shop.users(email) == [] for email in in_flight)


async def test_scenario_failing_halfway(manager: tdm.Manager, shop: Inspector) -> None:
    """A scenario that fails at an order removes its user and earlier orders, naming the step."""
    registry = tdm.Registry("test")
    made: list[Any] = []

    @registry.scenario
    async def overdrawn(s: tdm.Session) -> None:
        user = await s.create("user")
        made.append(user)
        product = await s.create("product", stock=1)
        await s.create("order", user_id=user.id, items=[{"product_id": product.id, "quantity": 1}])
        await s.create("order", user_id=user.id, items=[{"product_id": product.id, "quantity": 1}])

    failing = tdm.Manager(
        manager.settings, registry=[registry, tdm_scenarios.registry], ledger=manager.ledger
    )
    async with failing.session() as s:
        with pytest.raises(tdm.ScenarioFailed) as info:
            await s.run("overdrawn")
        assert await s.records() == []
    error = info.value
    assert error.step == "step 4 (create order)"
    assert isinstance(error.cause, tdm.TargetError)
    assert error.cause.status == 409
    assert error.report.deleted["users"] == 1
    assert error.report.deleted["orders"] == 1
    assert error.report.deleted["products"] == 1
    (user,) = made
    assert shop.users(user.email) == []
    assert shop.orders(user.id) == []


async def test_concurrent_sessions(manager: tdm.Manager, shop: Inspector) -> None:
    """Two sessions at once; the first leaving does not touch the second's data."""
    first_left = anyio.Event()
    survived: list[bool] = []

    async def first() -> None:
        async with manager.session() as s:
            await s.run("cart-with-products", item_count=2)
        first_left.set()

    async def second() -> None:
        async with manager.session() as s:
            data = await s.run("user-with-orders", order_count=2)
            await first_left.wait()
            survived.append(len(shop.orders(data.user.id)) == 2)
            survived.append(len(shop.users(data.user.email)) == 1)

    async with anyio.create_task_group() as tg:
        tg.start_soon(second)
        tg.start_soon(first)
    assert survived == [True, True]


async def test_without_database_orders_stay_tracked(manager: tdm.Manager, shop: Inspector) -> None:
    """API-only: orders cannot be deleted; they and their user stay tracked and are reported."""
    api_only = tdm.Manager(
        manager.settings.evolve(env=shop.env(database=False)),
        registry=manager.catalog,
        ledger=manager.ledger,
    )
    with pytest.warns(tdm.LeakWarning, match="set BACKEND_DB_URL"):
        async with api_only.session() as s:
            data = await s.run("user-with-orders", order_count=1)
    assert s.report is not None
    reasons = {f.kind: f.reason for f in s.report.failures}
    assert "cannot delete orders" in reasons["order"]
    assert "kept because order" in reasons["user"]
    assert len(shop.orders(data.user.id)) == 1
    assert len(shop.users(data.user.email)) == 1

    report = await manager.cleanup(run_id=manager.settings.run_id)
    assert report.complete
    assert shop.orders(data.user.id) == []
    assert shop.users(data.user.email) == []


async def test_seed_is_idempotent(manager: tdm.Manager, shop: Inspector) -> None:
    """Seeding again creates nothing; the documented accounts log in; force restores stock."""
    assert await tdm_scenarios.seed(manager) == SeedResult(
        seeded=False, users=2, products=14, categories=4
    )
    for account in tdm_scenarios.BASELINE_USERS.values():
        login = {"email": account.email, "password": account.password}
        assert shop.auth.post("/auth/login", json=login).status_code == 200
    names = {c["name"] for c in shop.categories()}
    assert {"Electronics", "Books", "Clothing", "Home & Kitchen"} <= names
    base = next(p for p in shop._all(shop.api, "/api/products", search="BASE-001"))
    shop.api.patch(f"/api/products/{base['id']}", json={"stock": 3}, headers=shop.headers)
    forced = await tdm_scenarios.seed(manager, force=True)
    assert forced.seeded
    assert shop.product(base["id"])["stock"] == 500  # type: ignore[index]


async def test_force_resets_the_baseline_in_place(manager: tdm.Manager, shop: Inspector) -> None:
    """force puts the documented accounts back (password, name, admin flag) keeping their ids,
    deletes nothing, and leaves no ledger row without its entity."""
    await tdm_scenarios.seed(manager)
    account = tdm_scenarios.BASELINE_USERS["user"]
    (before,) = shop.users(account.email)
    drift = {"password": "Drifted-Passw0rd", "fullName": "Someone Else", "isAdmin": True}
    shop.auth.patch(f"/auth/users/{before['id']}", json=drift, headers=shop.headers)
    await tdm_scenarios.seed(manager, force=True)
    (after,) = shop.users(account.email)
    assert (after["id"], after["fullName"], after["isAdmin"]) == (before["id"], "Test User", False)
    login = {"email": account.email, "password": account.password}
    assert shop.auth.post("/auth/login", json=login).status_code == 200
    for record in await manager.tracked(run_id="baseline"):
        assert shop.exists(record), record


async def test_bad_parameters(manager: tdm.Manager) -> None:
    """Out-of-range and unknown values are refused before anything is created."""
    async with manager.session() as s:
        with pytest.raises(tdm.InvalidParameters) as info:
            await s.run_from("user-with-orders", {"orderCount": 11, "orderStatus": "lost"})
    assert [p.message_in("json") for p in info.value.problems] == [
        "orderCount: expected an integer from 1 to 10, got 11",
        "orderStatus: expected one of 'pending', 'confirmed', 'shipped', 'delivered', got 'lost'",
    ]
    assert await manager.ledger.count(run_id=manager.settings.run_id) == 0


async def test_one_entity_behind_two_records_counts_once(
    manager: tdm.Manager, shop: Inspector
) -> None:
    """Adding a product to a cart twice raises its quantity: one cart item, deleted once."""
    async with manager.session() as s:
        user = await s.create("user")
        first = await s.create("cartItem", user_id=user.id)
        second = await s.create("cartItem", user_id=user.id, product_id=first.product_id)
        assert first.id == second.id
        assert len(shop.cart_items(user.id)) == 1
    assert s.report is not None
    assert s.report.deleted["cartItems"] == 1
    assert shop.cart_items(user.id) == []
    assert await manager.ledger.count(run_id=manager.settings.run_id) == 0
