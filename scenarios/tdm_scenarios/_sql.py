"""Direct database access to the shop, for what its API cannot do and for bulk cleanup."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import TextClause, bindparam, event, text
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


def open_engine(key: str, url: str, settings: tdm.Settings) -> AsyncEngine:
    """An engine for ``url`` (from setting ``key``), once the production guard allows its host;
    SQLite connections enforce foreign keys, as the shop's do."""
    tdm.guard_target(url, settings, setting=key)
    engine = create_async_engine(async_db_url(key, url))
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine.sync_engine, "connect")
        def _foreign_keys(connection: Any, _: Any) -> None:
            connection.execute("PRAGMA foreign_keys=ON")

    return engine


async def delete_rows(
    engine: AsyncEngine,
    table: str,
    ids: list[str],
    *,
    children: tuple[tuple[str, str], ...] = (),
    restock: bool = False,
) -> dict[str, bool]:
    """Delete rows of ``table`` by id in one transaction, ``children`` (table, column) first;
    with ``restock`` (orders), their items go first and the stock they took goes back to the
    products. Statements take at most :data:`IDS_PER_STATEMENT` ids each (drivers bound the
    parameters of one statement: PostgreSQL's protocol to 65,535).

    Returns, per id, whether this call deleted the row (``DELETE ... RETURNING``: two cleanups
    racing over the same rows never both count one). A foreign key violation rolls everything
    back.
    """
    numbers = [int(i) for i in ids]
    chunks = [
        numbers[at : at + IDS_PER_STATEMENT] for at in range(0, len(numbers), IDS_PER_STATEMENT)
    ]
    gone: set[str] = set()
    async with engine.begin() as conn:
        for chunk in chunks:
            if restock:
                # Only the rows this call deletes give their stock back (a racing cleanup that
                # deletes nothing restocks nothing).
                taken = await conn.execute(_TAKE_ITEMS, {"ids": chunk})
                back: dict[int, int] = {}
                for product_id, quantity in taken:
                    back[product_id] = back.get(product_id, 0) + quantity
                if back:
                    await conn.execute(
                        _RESTOCK, [{"product": p, "quantity": q} for p, q in back.items()]
                    )
            for child, column in children:
                await conn.execute(_delete(child, column), {"ids": chunk})
            deleted = await conn.execute(_delete(table, "id", "id"), {"ids": chunk})
            gone.update(str(row[0]) for row in deleted)
    return {i: i in gone for i in ids}


IDS_PER_STATEMENT = 10_000
"""Ids bound in one statement: far below every driver's limit (SQLite's 32,766)."""


@functools.cache
def _delete(table: str, column: str, returning: str | None = None) -> TextClause:
    """``DELETE FROM table WHERE column IN :ids``, built once per table and column."""
    sql = f"DELETE FROM {table} WHERE {column} IN :ids"  # noqa: S608 -- names from the kinds
    if returning:
        sql += f" RETURNING {returning}"
    return text(sql).bindparams(bindparam("ids", expanding=True))


_TAKE_ITEMS = _delete("order_items", "order_id", "product_id, quantity")
_RESTOCK = text("UPDATE products SET stock = stock + :quantity WHERE id = :product")
"""Orders take stock when they are placed; removing them gives it back, so a run's orders
leave no trace in shared products (the baseline's stock stays what the seed made it)."""
