"""Never borrow: runs sharing one shop use only their own data, the baseline, or what existed
before tdm, so each cleanup removes all of its own run and nothing of another's. Checked in
the shop itself, in every order of creating and cleaning, and with real concurrent processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import anyio
import pytest

import tdm
import tdm_scenarios

from ..support import Inspector
from .conftest import made_by_tdm, manager_for

ROUNDS_SCRIPT = Path(__file__).with_name("rounds.py")


def _baseline_stock(shop: Inspector) -> dict[str, int]:
    return {p["sku"]: p["stock"] for p in made_by_tdm(shop)["products"]
            if str(p["sku"]).startswith("BASE-")}  # fmt: skip


@pytest.mark.parametrize("a_cleans_first", [True, False], ids=["A-then-B", "B-then-A"])
@pytest.mark.parametrize("seeded", [False, True], ids=["empty-shop", "seeded-shop"])
async def test_two_runs_interleaved(
    own_shop: Inspector, tmp_path: Path, a_cleans_first: bool, seeded: bool
) -> None:
    """A creates products and a cart; B, after A, orders and fills carts; whichever cleans
    first, each cleanup is complete and removes exactly its own run's entities."""
    ledger = tmp_path / "ledger.sqlite3"
    a, b = (manager_for(own_shop, ledger, run) for run in ("run-a", "run-b"))
    if seeded:
        await tdm_scenarios.seed(a)
    stock = _baseline_stock(own_shop)
    async with a.session(keep=True) as sa:
        a_products = await sa.create_many("product", 3, stock=50)
        a_cart = await sa.run("cart-with-products", item_count=2)
    async with b.session(keep=True) as sb:
        b_orders = await sb.run("user-with-orders", order_count=3)
        b_cart = await sb.run("cart-with-products", item_count=3)
        b_own = set(sb.own("product"))
    used_by_b = {i.product_id for o in b_orders.orders for i in o.items}
    used_by_b |= {i.product_id for i in b_cart.cart_items}
    assert used_by_b <= {int(p) for p in b_own}
    assert not used_by_b & {p.id for p in a_products}

    first, second = (a, b) if a_cleans_first else (b, a)
    first_report = await first.cleanup(run_id=first.settings.run_id)
    assert (first_report.complete, first_report.already_gone) == (True, 0), first_report.summary()
    survivors = made_by_tdm(own_shop)
    if first is a:
        assert {o["id"] for o in survivors["orders"]} == {o.id for o in b_orders.orders}
        assert {c["id"] for c in survivors["cartItems"]} == {i.id for i in b_cart.cart_items}
    else:
        assert survivors["orders"] == []
        assert {c["id"] for c in survivors["cartItems"]} == {i.id for i in a_cart.cart_items}
        assert {p.id for p in a_products} <= {p["id"] for p in survivors["products"]}
    second_report = await second.cleanup(run_id=second.settings.run_id)
    assert (second_report.complete, second_report.already_gone) == (True, 0)
    left = made_by_tdm(own_shop)
    assert (left["orders"], left["cartItems"]) == ([], [])
    assert [u["email"] for u in left["users"]] == (
        [u.email for u in tdm_scenarios.BASELINE_USERS.values()] if seeded else []
    )
    assert {p["sku"] for p in left["products"]} == set(stock)
    assert _baseline_stock(own_shop) == stock


async def test_baseline_products_ordered_get_their_stock_back(
    own_shop: Inspector, tmp_path: Path
) -> None:
    """An order of a baseline product takes its stock; removing the order gives it back."""
    manager = manager_for(own_shop, tmp_path / "ledger.sqlite3", "run-base")
    await tdm_scenarios.seed(manager)
    (base,) = [p for p in made_by_tdm(own_shop)["products"] if p["sku"] == "BASE-007"]
    async with manager.session() as s:
        await s.create("order", items=[{"product_id": base["id"], "quantity": 4}])
        assert own_shop.product(base["id"])["stock"] == 496  # type: ignore[index]
    assert s.report is not None
    assert s.report.complete
    assert own_shop.product(base["id"])["stock"] == 500  # type: ignore[index]


async def test_a_kind_can_ask_what_it_may_use(own_shop: Inspector, tmp_path: Path) -> None:
    """``session.usable`` keeps this run's, the baseline's and untracked entities and drops
    those another run tracks."""
    ledger = tmp_path / "ledger.sqlite3"
    a, b = (manager_for(own_shop, ledger, run) for run in ("run-a", "run-b"))
    await tdm_scenarios.seed(a)
    async with a.session(keep=True) as sa:
        theirs = await sa.create("product")
    untracked = own_shop.api.post(
        "/api/products", headers=own_shop.headers,
        json={"name": "Made by hand", "sku": "HAND-1", "price": 1.5, "stock": 3,
              "categoryId": theirs.category_id},
    ).json()  # fmt: skip
    baseline = [p["id"] for p in made_by_tdm(own_shop)["products"] if p["sku"] == "BASE-001"]
    async with b.session() as sb:
        mine = await sb.create("product")
        ids = [theirs.id, untracked["id"], *baseline, mine.id]
        assert await sb.usable("product", ids) == [str(i) for i in ids[1:]]
    own_shop.api.delete(f"/api/products/{untracked['id']}", headers=own_shop.headers)
    assert (await a.cleanup(run_id="run-a")).complete


@pytest.mark.parametrize("seeded", [False, True], ids=["empty-shop", "seeded-shop"])
def test_eight_processes_share_a_shop(own_shop: Inspector, tmp_path: Path, seeded: bool) -> None:
    """8 processes, several rounds each, on one shop and one ledger: every cleanup complete,
    nothing found already gone (no run removed another's), nothing left, baseline stock kept."""
    ledger = tmp_path / "ledger.sqlite3"
    if seeded:
        anyio.run(tdm_scenarios.seed, manager_for(own_shop, ledger, "seeding"))
    stock = _baseline_stock(own_shop)
    env = {**os.environ, **own_shop.env(), "TDM_LEDGER": str(ledger)}
    processes = [
        subprocess.Popen(
            [sys.executable, str(ROUNDS_SCRIPT), f"run-p{n}", "3"], env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for n in range(8)
    ]  # fmt: skip
    reports = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        reports += [json.loads(line) for line in out.splitlines()]
    assert len(reports) == 8 * 4
    for report in reports:
        assert report["complete"], report
        assert report["alreadyGone"] == 0, report
    left = made_by_tdm(own_shop)
    assert (left["orders"], left["cartItems"]) == ([], [])
    assert len(left["users"]) == (2 if seeded else 0)
    assert {p["sku"] for p in left["products"]} == set(stock)
    assert _baseline_stock(own_shop) == stock
    left_in_ledger = anyio.run(lambda: tdm.Ledger(ledger).select(exclude_runs=["baseline"]))
    assert left_in_ledger == []
