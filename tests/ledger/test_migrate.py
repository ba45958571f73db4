"""Schema 4 -> 5 on both stores: each run's one lease becomes its holder's lease, records get
``written_at`` and runs ``claimed_at``; 5 -> 6: records' indexes in page order. ``tdm ledger
migrate`` does it (a SQLite file is also upgraded by itself; a shared PostgreSQL ledger refuses
to run until it is migrated)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

import tdm
from tdm._store import SCHEMA_VERSION, Filter, open_store


def _indexes_of_5(conn: Connection) -> None:
    """``tracked``'s indexes as schema 5 had them: creation time and run, each alone."""
    run = conn.exec_driver_sql
    run("DROP INDEX tracked_created_id")
    run("DROP INDEX tracked_run_created")
    run("CREATE INDEX tracked_created ON tracked (created_at)")
    run("CREATE INDEX tracked_run ON tracked (run_id)")


def _make_schema_4(location: str) -> None:
    """A ledger as schema 4 left it: one lease column and holder per run, no leases table,
    records without ``written_at``; a held run, a claimed run, a record in each."""
    store = open_store(location)
    store.migrate()
    with store.engine.connect() as conn, conn.begin():
        _indexes_of_5(conn)
        run = conn.exec_driver_sql
        run("DROP TABLE tdm_leases")
        run("ALTER TABLE tdm_runs DROP COLUMN claimed_at")
        run("ALTER TABLE tdm_runs ADD COLUMN lease_until FLOAT")
        run("ALTER TABLE tdm_runs ADD COLUMN holder TEXT")
        run("ALTER TABLE tracked DROP COLUMN written_at")
        run("UPDATE tdm_meta SET value = '4' WHERE key = 'schema'")
        if not store.postgres:
            run("PRAGMA user_version=4")
        run("INSERT INTO tdm_runs (run_id, created_at, lease_until, holder, reap_attempts, stuck)"
            " VALUES ('run-held', 100, 4102444800, 'ci-job-7', 0, false)")  # fmt: skip
        run("INSERT INTO tdm_runs (run_id, created_at, claimed_by, claim_until, reap_attempts,"
            " stuck) VALUES ('run-claimed', 100, 'sweeper-a', 4102444800, 0, false)")  # fmt: skip
        insert = sa.text(
            "INSERT INTO tracked (tracking_id, kind, target, state, entity_id, run_id,"
            " session_id, created_at) VALUES (:tracking_id, 'thing', 'things', 'created',"
            " :entity_id, :run_id, 's1', 1000)"
        )
        for tracking_id, run_id in (("t-held", "run-held"), ("t-claimed", "run-claimed")):
            values = {"tracking_id": tracking_id, "entity_id": f"e-{tracking_id}"}
            conn.execute(insert, values | {"run_id": run_id})
    store.close()


def _migrate(location: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TDM_LEDGER": location}
    command = [sys.executable, "-m", "tdm_server", "ledger", "migrate"]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


def _upgrade_by_command(ledger_url: str, found: int) -> None:
    """A shared ledger of schema ``found`` refuses to run; ``tdm ledger migrate`` upgrades it."""
    if "://" in ledger_url:  # shared: nobody upgrades it by accident
        with pytest.raises(tdm.ConfigError, match="tdm ledger migrate"):
            tdm.Ledger(ledger_url)
    done = _migrate(ledger_url)
    assert done.returncode == 0, done.stderr
    assert f"schema {found} -> schema {SCHEMA_VERSION}" in done.stdout


def test_tdm_ledger_migrate_moves_leases_to_their_holders(ledger_url: str) -> None:
    _make_schema_4(ledger_url)
    _upgrade_by_command(ledger_url, 4)
    assert "nothing to do" in _migrate(ledger_url).stdout
    store = open_store(ledger_url)
    try:
        held = store.run("run-held")
        assert held is not None
        assert [(lease.holder, lease.lease_until) for lease in held.leases] == [
            ("ci-job-7", 4102444800.0)
        ]
        assert held.alive(store.now())
        claimed = store.run("run-claimed")
        assert claimed is not None
        assert (claimed.claimed_by, claimed.leases) == ("sweeper-a", ())
        assert claimed.claimed_at is not None
        with store.engine.connect() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("tdm_runs")}
            written = conn.exec_driver_sql("SELECT written_at FROM tracked").scalars().all()
            assert store.version(conn) == SCHEMA_VERSION
        assert not columns & {"lease_until", "holder"}
        assert written == [1000.0, 1000.0]  # their creation time, the best there is
    finally:
        store.close()


def test_a_sqlite_ledger_upgrades_itself(tmp_path: object) -> None:
    location = str(tmp_path) + "/ledger.sqlite3"
    _make_schema_4(location)
    ledger = tdm.Ledger(location)
    try:
        held = ledger.store.run("run-held")
        assert held is not None
        assert held.holder == "ci-job-7"
    finally:
        ledger.close()


def _record(tracking_id: str, at: datetime) -> tdm.TrackingRecord:
    return tdm.TrackingRecord(
        tracking_id=tracking_id, kind="thing", target="things", state="created",
        entity_id=f"e-{tracking_id}", label=None, lookup=None, refs=(), run_id="run-5",
        session_id="s1", test_id=None, scenario=None, params=None, seed=None, created_at=at,
    )  # fmt: skip


def test_tdm_ledger_migrate_indexes_records_in_page_order(ledger_url: str) -> None:
    """5 -> 6: the records' indexes by creation time and by run become composite ones in the
    order pages read them; the records stay, and pages read them newest first."""
    store = open_store(ledger_url)
    store.migrate()
    at = datetime(2026, 1, 1, tzinfo=UTC)
    store.add([_record(f"t{n}", at + timedelta(seconds=n // 2)) for n in range(5)])
    with store.engine.connect() as conn, conn.begin():
        _indexes_of_5(conn)
        conn.exec_driver_sql("UPDATE tdm_meta SET value = '5' WHERE key = 'schema'")
        if not store.postgres:
            conn.exec_driver_sql("PRAGMA user_version=5")
    store.close()
    _upgrade_by_command(ledger_url, 5)
    store = open_store(ledger_url)
    try:
        with store.engine.connect() as conn:
            indexes = {
                i["name"]: i["column_names"] for i in sa.inspect(conn).get_indexes("tracked")
            }
            assert store.version(conn) == SCHEMA_VERSION
        assert indexes["tracked_created_id"] == ["created_at", "tracking_id"]
        assert indexes["tracked_run_created"] == ["run_id", "created_at", "tracking_id"]
        assert not {"tracked_created", "tracked_run"} & set(indexes)
        read: list[str] = []
        before = None
        while True:  # two at a time: ties of one instant span pages
            page, before = store.page(Filter(run_id="run-5"), before=before, limit=2)
            read += [r.tracking_id for r in page]
            if before is None:
                break
        assert read == ["t4", "t3", "t2", "t1", "t0"]
    finally:
        store.close()
