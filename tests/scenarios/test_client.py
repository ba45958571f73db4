"""The shop target: admin token renewal, acting as users, configuration errors."""

from __future__ import annotations

import pytest

import tdm
from tdm_scenarios import _client, _sql

from ..support import Inspector


async def test_expired_admin_token_is_renewed(manager: tdm.Manager, shop: Inspector) -> None:
    """A token the shop refuses (401) is replaced by a fresh login, and the call succeeds."""
    async with manager.session() as s:
        await s.create("category")
        key = (shop.thread.auth_url, "admin@shop.test")
        assert key in _client._TOKENS
        _client._TOKENS[key] = ("not-a-valid-token", _client._TOKENS[key][1])
        category = await s.create("category")
        assert _client._TOKENS[key][0] != "not-a-valid-token"
    assert all(c["id"] != category.id for c in shop.categories())


async def test_wrong_admin_password_is_a_clear_error(manager: tdm.Manager, shop: Inspector) -> None:
    """Bad admin credentials surface as the Auth Service's 401; nothing is left tracked."""
    env = {**shop.env(), "TDM_ADMIN_EMAIL": "nobody@shop.test"}
    wrong = tdm.Manager(manager.settings.evolve(env=env), registry=manager.catalog,
                        ledger=manager.ledger)  # fmt: skip
    async with wrong.session() as s:
        with pytest.raises(tdm.TargetError, match=r"auth service: POST /auth/login answered 401"):
            await s.create("category")
    assert s.report is not None
    assert s.report.complete
    assert await manager.tracked(run_id=manager.settings.run_id) == []


async def test_acting_as_an_unknown_user(manager: tdm.Manager) -> None:
    """An order for a user whose password tdm does not know names the field."""
    async with manager.session() as s:
        with pytest.raises(tdm.InvalidParameters, match="user_id: expected a user tdm created"):
            await s.create("order", user_id=999_999, items=[{"product_id": 1, "quantity": 1}])


def test_database_url_must_be_sql() -> None:
    """Only SQLite and PostgreSQL URLs are accepted for direct database access."""
    assert _sql.async_db_url("X", "sqlite:///x.db") == "sqlite+aiosqlite:///x.db"
    assert _sql.async_db_url("X", "postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    with pytest.raises(tdm.ConfigError, match="BACKEND_DB_URL has value 'mysql://h/db'"):
        _sql.async_db_url("BACKEND_DB_URL", "mysql://h/db")


async def test_health_reports_each_dependency(manager: tdm.Manager, shop: Inspector) -> None:
    """Up when the shop answers; the database check needs a database URL."""
    assert _up(await manager.health()) == {"authService": True, "backend": True, "database": True}
    api_only = tdm.Manager(manager.settings.evolve(env=shop.env(database=False)),
                           registry=manager.catalog, ledger=manager.ledger)  # fmt: skip
    assert _up(await api_only.health()) == {"authService": True, "backend": True, "database": False}


async def test_health_when_the_shop_is_down(manager: tdm.Manager) -> None:
    """Nothing listening: every HTTP dependency is down, quickly."""
    env = {"AUTH_SERVICE_URL": "http://127.0.0.1:9", "BACKEND_URL": "http://127.0.0.1:9"}
    down = tdm.Manager(manager.settings.evolve(env=env, http_retries=1),
                       registry=manager.catalog, ledger=manager.ledger)  # fmt: skip
    assert _up(await down.health(per_check=2)) == {
        "authService": False, "backend": False, "database": False,
    }  # fmt: skip


def _up(report: tdm.HealthReport) -> dict[str, bool]:
    """The shop's checks (tdm's own ledger check is always there and up here)."""
    found = {check.name: check.up for check in report.checks}
    assert found.pop("ledger") is True
    return found
