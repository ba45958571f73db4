"""The schema's versions and the upgrades between them, on both stores (see
:data:`~tdm._schema.SCHEMA_VERSION`)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ._errors import ConfigError
from ._postgres import lock_id
from ._schema import OLD_INDEXES, SCHEMA_VERSION, leases, meta, metadata, runs, tracked
from ._store_base import StoreBase

__all__ = ["Migrations"]


class Migrations(StoreBase):
    """Creating and upgrading the schema."""

    def version(self, conn: Connection) -> int:
        names = sa.inspect(conn).get_table_names()
        if "tdm_meta" in names:
            found = conn.execute(sa.select(meta.c.value).where(meta.c.key == "schema"))
            value = found.scalar_one_or_none()
            return int(value) if value is not None else 0
        if "tracked" in names and not self.postgres:
            return int(conn.exec_driver_sql("PRAGMA user_version").scalar_one() or 1)
        return 0

    def migrate(self, *, upgrade: bool = True) -> int:
        """Create or upgrade the schema; the version it was at. Refuses to upgrade a ledger
        that is newer than this code, and (``upgrade=False``) any upgrade at all."""
        with self._write() as conn:
            if self.postgres:  # one migrator at a time across machines
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(lock_id("tdm:migrate"))))
            found = self.version(conn)
            if found > SCHEMA_VERSION:
                expected = f"a ledger of schema {SCHEMA_VERSION} or older (it is {found})"
                raise ConfigError("TDM_LEDGER", self.location, f"{expected}: upgrade tdm")
            if found == SCHEMA_VERSION:
                return found
            if found and not upgrade:
                expected = f"a ledger of schema {SCHEMA_VERSION} (it is {found})"
                raise ConfigError("TDM_LEDGER", self.location,
                                  f"{expected}: run `tdm ledger migrate`")  # fmt: skip
            if found and found < 4 and not self.postgres:
                self._upgrade_sqlite(conn)
            if found == 4:
                self._upgrade_4(conn)
            if found and found < 6:
                self._upgrade_5(conn)
            metadata.create_all(conn)
            for index in tracked.indexes:
                index.create(conn, checkfirst=True)
            row = {"key": "schema", "value": str(SCHEMA_VERSION)}
            statement = self._insert(meta).values(row)
            conn.execute(statement.on_conflict_do_update(index_elements=["key"],
                                                         set_={"value": row["value"]}))  # fmt: skip
            if not self.postgres:
                conn.exec_driver_sql(f"PRAGMA user_version={SCHEMA_VERSION}")
            if found and found < 4:  # runs that existed before leases did: keep them a while
                self._adopt_runs(conn)
            return found

    def _add_columns(self, conn: Connection, table: sa.Table, names: Sequence[str]) -> None:
        have = {c["name"] for c in sa.inspect(conn).get_columns(table.name)}
        for column in names:
            if column not in have:
                kind = table.c[column].type.compile(dialect=conn.dialect)
                default = " NOT NULL DEFAULT ''" if column == "registry" else ""
                conn.exec_driver_sql(
                    f"ALTER TABLE {table.name} ADD COLUMN {column} {kind}{default}"
                )

    def _upgrade_sqlite(self, conn: Connection) -> None:
        """The ``tracked`` table of schemas 1-3 gains what it lacks (existing rows kept; their
        ``written_at`` is their creation time, the best there is)."""
        names = ("registry", "settle_until", "claimed_by", "claim_until", "secret", "written_at")
        self._add_columns(conn, tracked, names)
        conn.execute(tracked.update().where(tracked.c.written_at.is_(None))
                     .values(written_at=tracked.c.created_at))  # fmt: skip

    def _upgrade_4(self, conn: Connection) -> None:
        """4 -> 5: each run's one lease becomes its holder's row in ``tdm_leases``; records
        get ``written_at`` (their creation time) and runs ``claimed_at`` (a claim in progress
        counts from now, so it covers every record there is)."""
        self._add_columns(conn, tracked, ["written_at"])
        conn.execute(tracked.update().where(tracked.c.written_at.is_(None))
                     .values(written_at=tracked.c.created_at))  # fmt: skip
        self._add_columns(conn, runs, ["claimed_at"])
        conn.execute(runs.update().where(runs.c.claimed_by.is_not(None))
                     .values(claimed_at=self._now()))  # fmt: skip
        leases.create(conn, checkfirst=True)
        have = {c["name"] for c in sa.inspect(conn).get_columns("tdm_runs")}
        if {"lease_until", "holder"} <= have:  # (a ledger marked 4 may have them no more)
            conn.exec_driver_sql(
                "INSERT INTO tdm_leases (run_id, holder, lease_until) "
                "SELECT run_id, COALESCE(holder, 'unknown'), lease_until FROM tdm_runs "
                "WHERE lease_until IS NOT NULL"
            )
        for column in sorted(have & {"lease_until", "holder"}):
            conn.exec_driver_sql(f"ALTER TABLE tdm_runs DROP COLUMN {column}")

    def _upgrade_5(self, conn: Connection) -> None:
        """5 -> 6: the indexes on ``created_at`` and on ``run_id`` make way for composite ones
        in the order pages read records (created below, with every index of the schema): a
        page then reads its rows off an index, however many records the ledger holds."""
        for name in OLD_INDEXES:
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")

    def _adopt_runs(self, conn: Connection, keep_for: float = 86400.0) -> None:
        ids = conn.execute(sa.select(tracked.c.run_id).distinct()).scalars().all()
        for run_id in ids:
            statement = self._insert(runs).values(run_id=run_id, created_at=self._now(),
                                                  keep_until=self._now() + keep_for)  # fmt: skip
            conn.execute(statement.on_conflict_do_nothing(index_elements=["run_id"]))
