"""Independent steps at once (``Session.gather``, ``create_many``): the concurrency the shop
sees, all or none when a step fails (checked in the shop), per-entity overrides."""

from __future__ import annotations

import asyncio
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest

import tdm
import tdm_scenarios

from ..faults import FaultProxy, serving
from ..support import Inspector
from .library import LibraryDB, create_library_app, make_registry


class HoldingProxy(FaultProxy):
    """Forwards everything; each request to ``gate`` (``"POST /api/orders"``) is held until
    ``width`` of them are in flight, or :attr:`release` is set (at most ``hold`` seconds: the
    clients of these tests wait longer than that, so a slow machine shows up as a lower peak,
    never as a create timed out and tried again). It keeps the peak: how many creates the
    shop had at once, counted, never timed."""

    hold = 30.0

    def __init__(self, upstream: str, gate: str, width: int) -> None:
        super().__init__(upstream, rate=0.0, stall=0.0, seed=0)
        self.gate, self.width = gate, width
        self.in_flight = self.peak = 0
        self.held, self.release = threading.Event(), threading.Event()

    async def _forward(self, client: httpx2.AsyncClient, method: str, target: str,
                       headers: list[tuple[str, str]], body: bytes) -> httpx2.Response:  # fmt: skip
        gated = f"{method} {target.split('?')[0]}" == self.gate
        if gated:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            self.held.set()
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.hold
            while self.in_flight < self.width and not self.release.is_set():
                if loop.time() > deadline:
                    break
                await asyncio.sleep(0.01)
        try:
            return await super()._forward(client, method, target, headers, body)
        finally:
            if gated:
                self.in_flight -= 1


def _manager(shop: Inspector, tmp_path: Path, registry: Any = None, **env: str) -> tdm.Manager:
    """A manager whose requests wait longer than :class:`HoldingProxy` holds them."""
    run_id = f"run-{uuid.uuid4().hex[:8]}"
    settings = tdm.Settings(ledger_path=tmp_path / "ledger.sqlite3", run_id=run_id,
                            env={**shop.env(), **env},
                            http_timeout=2 * HoldingProxy.hold)  # fmt: skip
    return tdm.Manager(settings, registry=registry or tdm_scenarios.registry)


async def test_orders_go_out_at_once(sqlite_shop: Inspector, tmp_path: Path) -> None:
    """user-with-orders(5) has all five orders at the shop at once; all gone after."""
    backend = sqlite_shop.env()["BACKEND_URL"]
    with serving(HoldingProxy(backend, "POST /api/orders", width=5)) as proxy:
        manager = _manager(sqlite_shop, tmp_path, BACKEND_URL=proxy.url)
        await tdm_scenarios.seed(manager)
        async with manager.session() as s:
            data = await s.run("user-with-orders", order_count=5, order_status="shipped")
            placed = sqlite_shop.orders(data.user.id)
            assert sorted(o["id"] for o in placed) == sorted(o.id for o in data.orders)
            assert {o["status"] for o in placed} == {"shipped"}
        manager.ledger.close()
    assert proxy.peak == 5
    assert sqlite_shop.orders(data.user.id) == []
    assert sqlite_shop.users(data.user.email) == []


async def test_partial_failure_is_undone_in_the_shop(
    sqlite_shop: Inspector, tmp_path: Path
) -> None:
    """Three orders at once of a product with stock 1: one is placed, the others refused; the
    scenario fails naming an order step, and the placed order, the product and the user are
    gone from the shop."""
    registry = tdm.Registry("test")
    made: list[Any] = []

    @registry.scenario
    async def oversold(s: tdm.Session) -> None:
        user, product = await s.gather(s.create("user"), s.create("product", stock=1))
        made.extend((user, product))
        line = {"items": [{"product_id": product.id, "quantity": 1}]}
        await s.create_many("order", [line, line, line], user_id=user.id)

    manager = _manager(sqlite_shop, tmp_path, [registry, tdm_scenarios.registry])
    await tdm_scenarios.seed(manager)
    async with manager.session() as s:
        with pytest.raises(tdm.ScenarioFailed) as info:
            await s.run("oversold")
        assert await s.records() == []
    manager.ledger.close()
    error = info.value
    assert error.step in {f"step {n} (create order)" for n in (3, 4, 5)}
    assert isinstance(error.cause, tdm.TargetError)
    assert error.cause.status == 409
    assert (error.report.deleted["orders"], error.report.deleted["products"],
            error.report.deleted["users"]) == (1, 1, 1)  # fmt: skip
    user, product = made
    assert sqlite_shop.orders(user.id) == []
    assert sqlite_shop.users(user.email) == []
    assert sqlite_shop.product(product.id) is None


async def test_a_create_in_flight_is_let_finish(sqlite_shop: Inspector, tmp_path: Path) -> None:
    """A step fails while its sibling's create is at the shop: that create is not cut off; it
    is answered and noted, then removed with the rest, and the failure is raised."""
    auth = sqlite_shop.env()["AUTH_SERVICE_URL"]
    with serving(HoldingProxy(auth, "POST /auth/register", width=2)) as proxy:
        manager = _manager(sqlite_shop, tmp_path, AUTH_SERVICE_URL=proxy.url)
        failed = anyio.Event()

        async def fails_meanwhile() -> None:
            assert await anyio.to_thread.run_sync(proxy.held.wait, 30)
            failed.set()
            raise RuntimeError("a sibling failed")

        async def release_later() -> None:
            await failed.wait()
            await anyio.sleep(0.2)  # the cancellation has reached the create by then
            proxy.release.set()

        async with manager.session() as s, anyio.create_task_group() as tg:
            tg.start_soon(release_later)
            with pytest.raises(tdm.CreateFailed) as info:
                await s.gather(s.create("user"), fails_meanwhile())
            assert isinstance(info.value.cause, RuntimeError)
            assert [c.kind for c in s.created] == ["user"]  # answered and noted by its create
            assert info.value.report.deleted["users"] == 1
            assert await s.records() == []
        manager.ledger.close()
    (user,) = s.created
    assert user.label is not None
    assert sqlite_shop.users(user.label) == []


async def test_per_entity_overrides(manager: tdm.Manager, library_db: LibraryDB) -> None:
    """One mapping per entity, over the overrides all share (its own values win)."""
    async with manager.session() as s:
        author = await s.create("author")
        books = await s.create_many(
            "book", [{"isbn": "isbn-dune", "title": "Dune"}, {"isbn": "isbn-emma"}],
            author_uuid=author.uuid, title="Untitled",
        )  # fmt: skip
        assert [b.title for b in books] == ["Dune", "Untitled"]
        rows = library_db.conn.execute("SELECT isbn, title, author_id FROM books").fetchall()
        assert sorted(rows) == [("isbn-dune", "Dune", author.uuid),
                                ("isbn-emma", "Untitled", author.uuid)]  # fmt: skip
    assert library_db.count("books") == 0


@pytest.mark.parametrize(
    ("count", "field", "expected"),
    [
        (0, "count", "an integer of at least 1, or a non-empty list"),
        ([], "count", "an integer of at least 1, or a non-empty list"),
        ("two", "count", "an integer of at least 1, or a non-empty list"),
        ([{"title": "A"}, 3], "count[1]", "a mapping of overrides for one entity"),
    ],
)
async def test_create_many_refuses_bad_counts(
    manager: tdm.Manager, library_db: LibraryDB, count: Any, field: str, expected: str
) -> None:
    async with manager.session() as s:
        with pytest.raises(tdm.InvalidParameters) as info:
            await s.create_many("author", count)
    (problem,) = info.value.problems
    assert problem.field == field
    assert problem.expected.startswith(expected)
    assert library_db.count("authors") == 0


async def test_a_bad_entity_is_named(manager: tdm.Manager, library_db: LibraryDB) -> None:
    """A bad override of one entity names the entity and the field; nothing is created."""
    async with manager.session() as s:
        with pytest.raises(tdm.InvalidParameters) as info:
            await s.create_many("author", [{"name": "Ann"}, {"colour": "red"}])
    assert "entity 1 of create_many" in str(info.value)
    assert [p.field for p in info.value.problems] == ["colour"]
    assert library_db.count("authors") == 0


async def test_gather_is_all_or_none(manager: tdm.Manager, library_db: LibraryDB) -> None:
    """Results in the order given; when a step fails, what the others made is removed from
    the system and the session goes on."""
    async with manager.session() as s:
        first, second = await s.gather(s.create("author"), s.create("author"))
        assert library_db.exists("authors", first.uuid)
        assert library_db.exists("authors", second.uuid)

        async def fails_once_both_exist() -> None:
            for _ in range(1000):  # until both authors exist (bounded)
                if len(s.created) == 4:
                    break
                await anyio.sleep(0.01)
            raise RuntimeError("boom")

        with pytest.raises(tdm.CreateFailed) as info:
            await s.gather(s.create_many("author", 2), fails_once_both_exist())
        assert isinstance(info.value.cause, RuntimeError)
        assert info.value.report.deleted["authors"] == 2
        assert library_db.count("authors") == 2  # the first two stay, the session goes on
        assert len(await s.records()) == 2
    assert library_db.count("authors") == 0


async def test_gather_refuses_what_it_cannot_await(manager: tdm.Manager) -> None:
    async with manager.session() as s:
        with pytest.raises(tdm.InvalidParameters) as info:
            await s.gather(s.create("author"), "author")  # type: ignore[call-overload]
        assert await s.records() == []
    assert [p.path for p in info.value.problems] == [(1,)]


async def test_creates_not_yet_sent_leave_no_intent(
    settings: tdm.Settings, registry: tdm.Registry, library_db: LibraryDB
) -> None:
    """Six books, two at a time, the first refused: those still waiting for their turn are
    never sent and leave no intent behind; nothing stays tracked, nothing in the library."""
    manager = tdm.Manager(settings.evolve(concurrency=2), registry=registry)
    async with manager.session() as s:
        author = await s.create("author")
        each = [{"author_uuid": "no-such-author"}] + [{}] * 5
        with pytest.raises((tdm.TargetError, tdm.CreateFailed)) as info:
            await s.create_many("book", each, author_uuid=author.uuid)
        if isinstance(info.value, tdm.CreateFailed):
            assert info.value.report.complete, info.value.report.summary()
        assert [r.kind for r in await s.records()] == ["author"]
        assert library_db.count("books") == 0
    assert await manager.ledger.count() == 0
    manager.ledger.close()


async def test_an_intent_is_dated_when_its_request_goes_out(
    settings: tdm.Settings, library_db: LibraryDB
) -> None:
    """With one slot, the second create waits for the first. Its intent is written, and dated,
    when its turn comes: a cleanup's grace for a create that may still land counts from when
    its request went out, not from when it began to wait."""
    app = create_library_app(library_db)
    gate = anyio.Event()

    async def held(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            await gate.wait()
        await app(scope, receive, send)

    manager = tdm.Manager(settings.evolve(concurrency=1), registry=make_registry(held))
    async with manager.session() as s:
        async with anyio.create_task_group() as tg:
            tg.start_soon(s.create_many, "author", 2)
            for _ in range(1000):  # until the first intent is written (bounded)
                if await manager.ledger.count() == 1:
                    break
                await anyio.sleep(0.01)
            released = datetime.now(UTC)
            gate.set()
        first, second = sorted(await s.records(), key=lambda r: r.created_at)
        assert first.created_at < released <= second.created_at
    assert library_db.count("authors") == 0
    manager.ledger.close()
