"""Shops of their own for tests that count everything in them (nothing else may write there)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import tdm
import tdm_scenarios

from ..conftest import start_shop
from ..support import Inspector


@pytest.fixture
def own_shop(tmp_path: Path) -> Iterator[Inspector]:
    """A fresh, empty shop on SQLite, for this test alone."""
    with start_shop(tmp_path / "shop") as thread:
        inspector = Inspector(thread)
        yield inspector
        inspector.close()


def manager_for(shop: Inspector, ledger: Path, run_id: str, **changes: object) -> tdm.Manager:
    settings = tdm.Settings(ledger_path=ledger, run_id=run_id, env=shop.env()).evolve(**changes)
    return tdm.Manager(settings, registry=tdm_scenarios.registry)


def made_by_tdm(shop: Inspector) -> dict[str, list[dict[str, object]]]:
    """Everything in the shop but its own admin: users, products, categories, orders, carts."""
    users = [u for u in shop.users() if u["email"] != "admin@shop.test"]
    products = shop._all(shop.api, "/api/products")
    return {
        "users": users,
        "products": products,
        "categories": shop.categories(),
        "orders": shop.orders(),
        "cartItems": shop.cart_items(),
    }
