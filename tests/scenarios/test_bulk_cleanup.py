"""With database URLs, cleanup deletes batches with one statement; constraints still hold."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

import tdm
import tdm_scenarios
from tdm._cleanup import BATCH
from tdm._store import open_store

from ..support import Inspector


async def test_batches_go_through_the_databases(manager: tdm.Manager, shop: Inspector) -> None:
    """Cleanup works even with an admin the API refuses: the databases did the deleting."""
    async with manager.session(keep=True) as s:
        users = await s.create_many("user", 6)
        categories = await s.create_many("category", 3)
    no_api = tdm.Manager(
        manager.settings.evolve(env={**shop.env(), "TDM_ADMIN_PASSWORD": "wrong-Passw0rd"}),
        registry=manager.catalog, ledger=manager.ledger,
    )  # fmt: skip
    report = await no_api.cleanup(run_id=manager.settings.run_id)
    assert report.complete, report.summary()
    assert (report.deleted["users"], report.deleted["categories"]) == (6, 3)
    assert all(shop.users(u.email) == [] for u in users)
    remaining = {c["id"] for c in shop.categories()}
    assert not remaining & {c.id for c in categories}


def _order_outside_tdm(shop: Inspector, product_id: int) -> None:
    """Someone else orders the product: its row cannot be deleted any more."""
    email = f"outsider-{uuid.uuid4().hex[:8]}@example.com"
    shop.auth.post(
        "/auth/register", json={"email": email, "password": "Outsider-1", "fullName": "O"}
    )
    token = shop.auth.post("/auth/login", json={"email": email, "password": "Outsider-1"})
    order = shop.api.post(
        "/api/orders",
        json={"items": [{"productId": product_id, "quantity": 1}], "shippingAddress": "1 Road"},
        headers={"Authorization": f"Bearer {token.json()['accessToken']}"},
    )
    assert order.status_code == 201


@pytest.mark.usefixtures("seeded")  # products then use baseline categories
async def test_constraint_violation_falls_back_per_entity(
    manager: tdm.Manager, shop: Inspector
) -> None:
    """A product someone ordered outside tdm cannot go; its batch falls back and reports it."""
    async with manager.session(keep=True) as s:
        kept, free = await s.create_many("product", 2)
    _order_outside_tdm(shop, kept.id)
    report = await manager.cleanup(run_id=manager.settings.run_id)
    assert report.deleted["products"] == 1
    (left,) = report.failures
    assert (left.kind, left.entity_id) == ("product", str(kept.id))
    assert "409" in left.reason
    assert shop.product(free.id) is None
    assert shop.product(kept.id) is not None
    left_tracked = await manager.tracked(run_id=manager.settings.run_id)
    assert [r.entity_id for r in left_tracked] == [str(kept.id)]


def _count_calls(monkeypatch: pytest.MonkeyPatch, cls: type, name: str, sizes: list[int]) -> None:
    """Record, per call of ``cls.name``, how many records it was given."""
    original = getattr(cls, name)

    async def counted(self: Any, client: Any, records: Any) -> Any:
        sizes.append(len(records) if isinstance(records, list) else 1)
        return await original(self, client, records)

    monkeypatch.setattr(cls, name, counted)


@pytest.mark.postgres
async def test_more_than_a_driver_batch_on_postgresql(
    postgres_shop: Inspector, pg_ledger: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """66,000 categories (more ids than one PostgreSQL statement may bind) in one cleanup:
    all gone from the shop's database and the ledger, in batches, none one by one."""
    count, run_id, tag = 66_000, f"run-{uuid.uuid4().hex[:8]}", f"bulk-{uuid.uuid4().hex[:8]}"
    backend_db = postgres_shop.thread.settings.backend_db_url
    with psycopg.connect(backend_db.replace("+psycopg", "")) as conn:
        ids = [str(row[0]) for row in conn.execute(
            "INSERT INTO categories (name, description) SELECT %s || '-' || g, '' "
            "FROM generate_series(1, %s) g RETURNING id", (tag, count),
        )]  # fmt: skip
    store = open_store(pg_ledger)
    store.migrate()
    now = datetime.now(UTC)
    store.add([
        tdm.TrackingRecord(
            tracking_id=uuid.uuid4().hex, registry="shop", kind="category", target="shop",
            state="created", entity_id=entity_id, label=None, lookup=None, refs=(),
            run_id=run_id, session_id="bulk", test_id=None, scenario=None, params=None,
            seed=1, created_at=now + timedelta(microseconds=n),
        )
        for n, entity_id in enumerate(ids)
    ])  # fmt: skip
    store.close()
    batches: list[int] = []
    singles: list[int] = []
    _count_calls(monkeypatch, tdm_scenarios._kinds.Categories, "delete_many", batches)
    _count_calls(monkeypatch, tdm_scenarios._kinds.Categories, "delete", singles)
    settings = tdm.Settings(ledger_path=pg_ledger, run_id=run_id, env=postgres_shop.env())
    manager = tdm.Manager(settings, registry=tdm_scenarios.registry)
    try:
        report = await manager.cleanup(run_id=run_id)
        assert await manager.ledger.count(run_id=run_id) == 0
    finally:
        manager.ledger.close()
    assert report.complete, report.summary()
    assert (report.deleted["categories"], report.matched, report.already_gone) == (count, count, 0)
    assert (singles, sum(batches), max(batches)) == ([], count, BATCH)
    with psycopg.connect(backend_db.replace("+psycopg", "")) as conn:
        left = conn.execute("SELECT count(*) FROM categories WHERE name LIKE %s", (f"{tag}-%",))
        assert left.fetchone() == (0,)


@pytest.mark.usefixtures("seeded")  # products then use baseline categories
async def test_one_row_at_fault_is_found_by_halving(
    manager: tdm.Manager, shop: Inspector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One product of 40 is ordered by someone else: the other 39 go in batches; only that
    one and at most two neighbours of its last halvings (3 -> 1 + 2 -> 1 + 1) are tried on
    their own, never the batch, and only it is reported."""
    async with manager.session(keep=True) as s:
        products = await s.create_many("product", 40)
    kept = products[17]
    _order_outside_tdm(shop, kept.id)
    batches: list[int] = []
    singles: list[int] = []
    _count_calls(monkeypatch, tdm_scenarios._kinds.Products, "delete_many", batches)
    _count_calls(monkeypatch, tdm_scenarios._kinds.Products, "delete", singles)
    report = await manager.cleanup(run_id=manager.settings.run_id)
    assert report.deleted["products"] == 39
    (left,) = report.failures
    assert (left.kind, left.entity_id) == ("product", str(kept.id))
    assert 1 <= len(singles) <= 3
    assert len(batches) <= 2 * 6  # two halves per level, at most log2(40) levels
    assert all(shop.product(p.id) is None for p in products if p is not kept)
    assert shop.product(kept.id) is not None
    left_tracked = await manager.tracked(run_id=manager.settings.run_id)
    assert [r.entity_id for r in left_tracked] == [str(kept.id)]
