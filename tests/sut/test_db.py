"""The database layer: real foreign keys and unique constraints, on SQLite too."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tdm_sut import _db, auth
from tdm_sut.backend._schema import categories, metadata, products


async def test_sqlite_connections_enforce_foreign_keys_and_use_wal(tmp_path):
    """Every SQLite connection has foreign keys on and the database is in WAL mode."""
    engine = _db.create_engine(f"sqlite:///{tmp_path}/nested/shop.db")
    try:
        await _db.create_schema(engine, metadata)
        async with engine.connect() as connection:
            assert await connection.scalar(sa.text("PRAGMA foreign_keys")) == 1
            assert await connection.scalar(sa.text("PRAGMA journal_mode")) == "wal"
        values = {
            "sku": "A",
            "name": "A",
            "price": 1,
            "stock": 1,
            "category_id": 99,
            "created_at": _db.utc_now(),
        }
        with pytest.raises(sa.exc.IntegrityError):
            async with engine.begin() as connection:
                await connection.execute(products.insert().values(values))
        async with engine.begin() as connection:
            await connection.execute(categories.insert().values(name="Books"))
        with pytest.raises(sa.exc.IntegrityError):
            async with engine.begin() as connection:
                await connection.execute(categories.insert().values(name="Books"))
    finally:
        await engine.dispose()
    assert (tmp_path / "nested" / "shop.db").exists()


async def test_in_memory_sqlite_keeps_one_database(make_settings):
    """sqlite:// (in memory) works: the schema and the admin live on one shared connection."""
    settings = make_settings(auth_db_url="sqlite://")
    app = auth.create_app(settings)
    async with app.router.lifespan_context(app), app.state.engine.connect() as connection:
        emails = list(await connection.scalars(sa.select(auth.users.c.email)))
    assert emails == [settings.admin_email]


def test_iso_times_are_utc_with_z():
    """Times render as ISO 8601 UTC with a Z, naive ones taken as UTC."""
    moment = _db.utc_now()
    assert _db.iso(moment).endswith("Z")
    assert _db.iso(moment.replace(tzinfo=None)) == _db.iso(moment)
