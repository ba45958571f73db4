"""With database URLs, cleanup deletes batches with one statement; constraints still hold."""

from __future__ import annotations

import pytest

import tdm

from ..support import Inspector


async def test_batches_go_through_the_databases(manager: tdm.Manager, shop: Inspector) -> None:
    """Cleanup works even with an admin the API refuses: the databases did the deleting."""
    async with manager.session(keep=True) as s:
        users = await s.create_many("user", 6)
        categories = await s.create_many("category", 3)
    no_api = tdm.Manager(
        manager.settings.evolve(env={**shop.env(), "TDM_ADMIN_PASSWORD": "wrong-Passw0rd"}),
        registry=manager.registry, ledger=manager.ledger,
    )  # fmt: skip
    report = await no_api.cleanup(run_id=manager.settings.run_id)
    assert report.complete, report.summary()
    assert (report.deleted["users"], report.deleted["categories"]) == (6, 3)
    assert all(shop.users(u.email) == [] for u in users)
    remaining = {c["id"] for c in shop.categories()}
    assert not remaining & {c.id for c in categories}


@pytest.mark.usefixtures("seeded")  # products then use baseline categories
async def test_constraint_violation_falls_back_per_entity(
    manager: tdm.Manager, shop: Inspector
) -> None:
    """A product someone ordered outside tdm cannot go; its batch falls back and reports it."""
    async with manager.session(keep=True) as s:
        kept, free = await s.create_many("product", 2)
    email = f"outsider-{manager.settings.run_id}@example.com"
    shop.auth.post(
        "/auth/register", json={"email": email, "password": "Outsider-1", "fullName": "O"}
    )
    token = shop.auth.post("/auth/login", json={"email": email, "password": "Outsider-1"})
    order = shop.api.post(
        "/api/orders",
        json={"items": [{"productId": kept.id, "quantity": 1}], "shippingAddress": "1 Road"},
        headers={"Authorization": f"Bearer {token.json()['accessToken']}"},
    )
    assert order.status_code == 201
    report = await manager.cleanup(run_id=manager.settings.run_id)
    assert report.deleted["products"] == 1
    (left,) = report.failures
    assert (left.kind, left.entity_id) == ("product", str(kept.id))
    assert "409" in left.reason
    assert shop.product(free.id) is None
    assert shop.product(kept.id) is not None
    left_tracked = await manager.tracked(run_id=manager.settings.run_id)
    assert [r.entity_id for r in left_tracked] == [str(kept.id)]
