"""A network that drops answers: with a fault-injecting proxy in front of both of the shop's
services, sessions may fail, but no entity is ever in the shop without a ledger record, and a
final cleanup (faults off) leaves nothing behind."""

from __future__ import annotations

import random
import warnings
from pathlib import Path
from typing import Any

import anyio
import pytest

import tdm

from ..faults import fault_proxy
from ..support import Inspector
from .conftest import made_by_tdm, manager_for

SESSIONS, AT_ONCE = 40, 8


def _unaccounted(shop: Inspector, records: list[tdm.TrackingRecord]) -> list[tuple[str, Any]]:
    """Entities in the shop that no record names by id nor by natural key."""
    by_id = {(r.kind, r.entity_id) for r in records if r.entity_id is not None}
    keys = [(r.kind, dict(r.lookup or {})) for r in records]

    def tracked(kind: str, entity_id: int, key: dict[str, Any]) -> bool:
        return (kind, str(entity_id)) in by_id or (kind, key) in keys

    found = made_by_tdm(shop)
    missing = [
        ("user", u["email"])
        for u in found["users"]
        if not tracked("user", u["id"], {"email": u["email"]})
    ]
    missing += [
        ("product", p["sku"])
        for p in found["products"]
        if not tracked("product", p["id"], {"sku": p["sku"]})
    ]
    missing += [
        ("category", c["name"])
        for c in found["categories"]
        if not tracked("category", c["id"], {"name": c["name"]})
    ]
    missing += [
        ("order", o["id"])
        for o in found["orders"]
        if not tracked(
            "order", o["id"], {"userId": o["userId"], "shippingAddress": o["shippingAddress"]}
        )
    ]
    missing += [
        ("cartItem", i["id"])
        for i in found["cartItems"]
        if not tracked("cartItem", i["id"], {"userId": i["userId"], "productId": i["productId"]})
    ]
    return missing  # fmt: skip


@pytest.mark.filterwarnings("ignore::tdm.LeakWarning")
async def test_dropped_answers_lose_no_record(own_shop: Inspector, tmp_path: Path) -> None:
    """20% of requests fail: 502/503 before or after the shop acted, resets after it acted,
    stalls past tdm's timeout that land later. Nothing is lost."""
    shop_env = own_shop.env()
    with (
        fault_proxy(shop_env["AUTH_SERVICE_URL"], rate=0.2, stall=1.5, seed=7) as auth,
        fault_proxy(shop_env["BACKEND_URL"], rate=0.2, stall=1.5, seed=11) as backend,
    ):
        env = {**shop_env, "AUTH_SERVICE_URL": auth.url, "BACKEND_URL": backend.url}
        manager = manager_for(own_shop, tmp_path / "ledger.sqlite3", "run-faults",
                              http_timeout=1.0, http_retries=2, pending_grace=4.0,
                              cleanup_timeout=30.0)  # fmt: skip
        manager = tdm.Manager(manager.settings.evolve(env=env), registry=manager.catalog,
                              ledger=manager.ledger)  # fmt: skip
        outcomes: list[str] = []
        picker = random.Random(3)

        async def one(index: int) -> None:
            scenario, params = picker.choice([
                ("user-with-orders", {"order_count": 2}),
                ("cart-with-products", {"item_count": 2}),
                ("empty-cart", {}),
            ])  # fmt: skip
            try:
                async with manager.session(seed=index) as s:
                    await s.run(scenario, **params)
                outcomes.append("ok")
            except tdm.TdmError:
                outcomes.append("failed")

        limiter = anyio.CapacityLimiter(AT_ONCE)

        async def limited(index: int) -> None:
            async with limiter:
                await one(index)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", tdm.LeakWarning)
            async with manager, anyio.create_task_group() as tg:
                for index in range(SESSIONS):
                    tg.start_soon(limited, index)
        await anyio.to_thread.run_sync(auth.settle)
        await anyio.to_thread.run_sync(backend.settle)
        injected = auth.injected + backend.injected
        assert set(injected) == {"before", "after", "reset", "stall"}, injected
        assert "ok" in outcomes

        # At this point every entity in the shop has a record (by id, or by natural key).
        records = await manager.tracked()
        assert _unaccounted(own_shop, records) == []

        auth.rate = backend.rate = 0.0
        await anyio.sleep(manager.settings.grace.total_seconds())
        report = await manager.cleanup(all=True)
        assert report.complete, report.summary()
    assert made_by_tdm(own_shop) == {
        "users": [], "products": [], "categories": [], "orders": [], "cartItems": []
    }  # fmt: skip
    assert await manager.ledger.count() == 0
