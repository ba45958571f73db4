"""Direct database access to the shop, for what its API cannot do and for bulk cleanup."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BindParameter, bindparam, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

import tdm

__all__ = ["delete_rows", "open_engine"]


def async_db_url(key: str, url: str) -> str:
    """A SQLAlchemy URL with an async driver: aiosqlite for SQLite, psycopg for PostgreSQL."""
    parsed = make_url(url)
    driver = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+psycopg"}.get(
        parsed.get_backend_name()
    )
    if driver is None:
        raise tdm.ConfigError(key, url, "a sqlite:// or postgresql:// URL")
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def open_engine(key: str, url: str) -> AsyncEngine:
    """An engine for ``url``; SQLite connections enforce foreign keys, as the shop's do."""
    engine = create_async_engine(async_db_url(key, url))
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine.sync_engine, "connect")
        def _foreign_keys(connection: Any, _: Any) -> None:
            connection.execute("PRAGMA foreign_keys=ON")

    return engine


async def delete_rows(
    engine: AsyncEngine, table: str, ids: list[str], *, children: tuple[tuple[str, str], ...] = ()
) -> dict[str, bool]:
    """Delete rows of ``table`` by id in one transaction, ``children`` (table, column) first.

    Returns, per id, whether the row was there. A foreign key violation rolls everything back.
    """
    numbers = [int(i) for i in ids]
    expanding: BindParameter[list[int]] = bindparam("ids", expanding=True)
    async with engine.begin() as conn:
        found = await conn.execute(
            text(f"SELECT id FROM {table} WHERE id IN :ids").bindparams(expanding),  # noqa: S608
            {"ids": numbers},
        )
        present = {str(row[0]) for row in found}
        for child, column in children:
            await conn.execute(
                text(f"DELETE FROM {child} WHERE {column} IN :ids").bindparams(expanding),  # noqa: S608
                {"ids": numbers},
            )
        await conn.execute(
            text(f"DELETE FROM {table} WHERE id IN :ids").bindparams(expanding),  # noqa: S608
            {"ids": numbers},
        )
    return {i: i in present for i in ids}
