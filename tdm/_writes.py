"""The hot path's writes: a record's intent and confirm, a run's touch, as plain SQL made once
per dialect (:class:`HotSql`) and applied on a driver's cursor (:class:`Write`)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from . import _postgres, _sqlite
from ._records import TrackingRecord
from ._rows import INTENT_COLUMNS, row_of
from ._schema import CHUNK

__all__ = ["HotSql", "Write"]

_HOT_SQL = {
    "insert": (
        f"INSERT INTO tracked ({', '.join(INTENT_COLUMNS)}, written_at) "  # noqa: S608 -- names
        f"VALUES ({', '.join(':' + c for c in INTENT_COLUMNS)}, {{now}})"
    ),
    "confirm": (
        "UPDATE tracked SET state = 'created', entity_id = :entity_id, "
        "label = COALESCE(:label, label), secret = COALESCE(:secret, secret), "
        "written_at = {now} WHERE tracking_id = :tracking_id"
    ),
    "confirm_upsert": (
        f"INSERT INTO tracked ({', '.join(INTENT_COLUMNS)}, written_at) "  # noqa: S608 -- names
        f"VALUES ({', '.join(':' + c for c in INTENT_COLUMNS)}, {{now}}) "
        "ON CONFLICT (tracking_id) DO UPDATE SET state = 'created', "
        "entity_id = excluded.entity_id, label = COALESCE(excluded.label, tracked.label), "
        "secret = COALESCE(excluded.secret, tracked.secret), written_at = excluded.written_at"
    ),
    "ensure_run": (
        "INSERT INTO tdm_runs (run_id, created_at) VALUES (:run_id, {now}) "
        "ON CONFLICT (run_id) DO NOTHING"
    ),
    "renew": (
        "UPDATE tdm_leases SET lease_until = {now} + :seconds "
        "WHERE run_id = :run_id AND lease_until > {now}"
    ),
    "renew_holder": (
        "UPDATE tdm_leases SET lease_until = {now} + :seconds "
        "WHERE run_id = :run_id AND holder = :holder AND lease_until > {now}"
    ),
    "keep_unheld": (
        "UPDATE tdm_runs SET keep_until = {greatest}(COALESCE(keep_until, 0), {now} + :seconds) "
        "WHERE run_id = :run_id AND NOT EXISTS (SELECT 1 FROM tdm_leases "
        "WHERE tdm_leases.run_id = :run_id AND tdm_leases.lease_until > {now})"
    ),
    "hold": (
        "INSERT INTO tdm_leases (run_id, holder, lease_until) "
        "VALUES (:run_id, :holder, {now} + :seconds) "
        "ON CONFLICT (run_id, holder) DO UPDATE SET lease_until = excluded.lease_until"
    ),
    "unstick": "UPDATE tdm_runs SET stuck = false WHERE run_id = :run_id AND stuck",
    "end": "DELETE FROM tdm_leases WHERE run_id = :run_id AND holder = :holder",
    "keep": "UPDATE tdm_runs SET keep_until = {now} + :seconds WHERE run_id = :run_id",
    "settle": (
        "UPDATE tracked SET settle_until = "
        "COALESCE({greatest}(settle_until, {now} + :seconds), {now} + :seconds) "
        "WHERE tracking_id = :tracking_id"
    ),
    "note_failure": (
        "UPDATE tracked SET attempts = attempts + 1, last_error = :error, claimed_by = NULL, "
        "claim_until = NULL WHERE tracking_id = :tracking_id"
    ),
}
"""The hot path's statements (a record's intent, confirm, settling and failures; a session's, a
request's and a lease keeper's run writes), as plain SQL made once per dialect: SQLAlchemy
builds, keys and (for its upserts) compiles a statement again on every call, many times the
cost of the SQL."""

_BY_IDS = {
    "remove": "DELETE FROM tracked WHERE tracking_id IN ({ids})",
    "reopen": (
        "UPDATE tracked SET state = 'pending', entity_id = NULL, claimed_by = NULL, "
        "claim_until = NULL WHERE tracking_id IN ({ids})"
    ),
}
"""The hot path's statements on records by id (at most :data:`~tdm._schema.CHUNK` at once),
made once per dialect and number of ids."""


@attrs.frozen
class HotSql:
    """:data:`_HOT_SQL` in one dialect: its clock, its ``greatest`` and its parameter style."""

    insert: str
    confirm: str
    confirm_upsert: str
    ensure_run: str
    renew: str
    renew_holder: str
    keep_unheld: str
    hold: str
    unstick: str
    end: str
    keep: str
    settle: str
    note_failure: str
    mark: str
    """The dialect's positional parameter."""
    now: str
    """Now, in epoch seconds, by the database's clock."""
    upsert_confirm: bool
    """A confirm is one statement (PostgreSQL: one round trip, not two), not an update and,
    if the record is gone, an insert."""

    def by_ids(self, name: str, count: int) -> str:
        """:data:`_BY_IDS`' statement ``name`` for ``count`` ids."""
        return _by_ids(name, self.mark, count)

    def claim(self, count: int, *, written_before: bool) -> str:
        """Claim ``count`` records for a cleanup, those no other claims (or whose claim ran
        out), and say which: parameters claimer, seconds, the ids, claimer again (and, with
        ``written_before``, the time they must have been written before)."""
        return _claim(self.mark, self.now, count, written_before)

    @classmethod
    def of(cls, postgres: bool) -> HotSql:
        now, greatest = (_postgres.NOW, "GREATEST") if postgres else (_sqlite.NOW, "MAX")
        made = {}
        for name, text in _HOT_SQL.items():
            sql = text.format(now=now, greatest=greatest)
            made[name] = re.sub(r":(\w+)", r"%(\1)s", sql) if postgres else sql
        return cls(**made, mark="%s" if postgres else "?", now=now, upsert_confirm=postgres)


@functools.lru_cache(maxsize=64)
def _by_ids(name: str, mark: str, count: int) -> str:
    return _BY_IDS[name].format(ids=", ".join([mark] * count))


@functools.lru_cache(maxsize=64)
def _claim(mark: str, now: str, count: int, written_before: bool) -> str:
    sql = (
        f"UPDATE tracked SET claimed_by = {mark}, claim_until = {now} + {mark} "  # noqa: S608
        f"WHERE tracking_id IN ({', '.join([mark] * count)}) "
        f"AND (claimed_by IS NULL OR claimed_by = {mark} OR claim_until < {now})"
    )
    if written_before:
        sql += f" AND COALESCE(written_at, 0) < {mark}"
    return sql + " RETURNING tracking_id"


@attrs.frozen
class Write:
    """One write of the hot path (a record's intent, confirm, settling, failure, reopening or
    removal; a run's touch), applied on a cursor in a transaction by
    :meth:`~tdm._store.Store.write`."""

    apply: Callable[[Any, HotSql], None]
    rows: int = 1
    """Records it writes (at most)."""
    single: bool = False
    """One statement: written alone, it commits by itself (on PostgreSQL one round trip
    instead of three). On SQLite a confirm is an update and, in the rare case its record is
    gone, an insert: each safe to make again if the second finds the file locked."""

    @classmethod
    def add(cls, records: Sequence[TrackingRecord]) -> Write:
        rows = [row_of(r) for r in records]
        if len(rows) == 1:
            return cls(lambda cursor, sql: cursor.execute(sql.insert, rows[0]), single=True)
        return cls(lambda cursor, sql: cursor.executemany(sql.insert, rows), rows=len(rows))

    @classmethod
    def confirm(
        cls, record: TrackingRecord, entity_id: str, label: str | None, secret: str | None
    ) -> Write:
        label = label or record.label
        update = {"tracking_id": record.tracking_id, "entity_id": entity_id, "label": label,
                  "secret": secret}  # fmt: skip

        def again() -> dict[str, Any]:
            """The whole record, confirmed: for a record that must be written again."""
            confirmed = attrs.evolve(record, state="created", entity_id=entity_id, label=label)
            return row_of(confirmed, secret)

        def apply(cursor: Any, sql: HotSql) -> None:
            # The entity was written now: a reaper that claimed the run before leaves it alone.
            if sql.upsert_confirm:  # the same in one statement: the update, or the record again
                cursor.execute(sql.confirm_upsert, again())
                return
            cursor.execute(sql.confirm, update)
            if cursor.rowcount == 0:  # the record is gone (a cleanup elsewhere dropped it)
                cursor.execute(sql.insert, again())

        return cls(apply, single=True)

    @classmethod
    def settle(cls, tracking_id: str, seconds: float) -> Write:
        """A create's outcome was unknown: its entity may still appear for ``seconds``."""
        values = {"tracking_id": tracking_id, "seconds": seconds}
        return cls(lambda cursor, sql: cursor.execute(sql.settle, values), single=True)

    @classmethod
    def note_failure(cls, tracking_id: str, error: str) -> Write:
        """A delete failed: one attempt more, its reason, the claim released."""
        values = {"tracking_id": tracking_id, "error": error}
        return cls(lambda cursor, sql: cursor.execute(sql.note_failure, values), single=True)

    @classmethod
    def reopen(cls, tracking_ids: Sequence[str]) -> Write:
        """Back to pending (found again by natural key), unclaimed."""
        return cls._by_ids("reopen", tracking_ids)

    @classmethod
    def remove(cls, tracking_ids: Sequence[str]) -> Write:
        """The records' entities are gone: forget them."""
        return cls._by_ids("remove", tracking_ids)

    @classmethod
    def _by_ids(cls, name: str, tracking_ids: Sequence[str]) -> Write:
        ids = list(dict.fromkeys(tracking_ids))

        def apply(cursor: Any, sql: HotSql) -> None:
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start : start + CHUNK]
                cursor.execute(sql.by_ids(name, len(chunk)), chunk)

        return cls(apply, rows=len(ids), single=len(ids) <= CHUNK)

    @classmethod
    def end(cls, run_id: str, holder: str, keep_for: float | None) -> Write:
        """See :meth:`~tdm._store.Store.end`."""
        run = {"run_id": run_id}

        def apply(cursor: Any, sql: HotSql) -> None:
            cursor.execute(sql.ensure_run, run)
            cursor.execute(sql.end, run | {"holder": holder})
            if keep_for is not None:
                cursor.execute(sql.keep, run | {"seconds": keep_for})

        return cls(apply)

    @classmethod
    def touch(
        cls,
        run_id: str,
        keep_for: float | None,
        renew_for: float | None,
        holder: str | None,
        *,
        hold: bool = False,
    ) -> Write:
        """See :meth:`~tdm._store.Store.touch`; with ``hold``, ``holder`` then holds the run
        for ``renew_for`` from now (its lease taken, not only renewed), in the same
        transaction, as :meth:`~tdm._store.Store.hold` would."""
        run = {"run_id": run_id}
        assert not hold or (holder is not None and renew_for is not None), "a hold's holder, time"

        def apply(cursor: Any, sql: HotSql) -> None:
            cursor.execute(sql.ensure_run, run)
            if renew_for is not None and not hold:  # (a hold sets the holder's lease anyway)
                if holder is None:
                    cursor.execute(sql.renew, run | {"seconds": renew_for})
                else:
                    cursor.execute(sql.renew_holder,
                                   run | {"holder": holder, "seconds": renew_for})  # fmt: skip
            if keep_for is not None:
                cursor.execute(sql.keep_unheld, run | {"seconds": keep_for})
            if hold:
                cursor.execute(sql.hold, run | {"holder": holder, "seconds": renew_for})
                cursor.execute(sql.unstick, run)

        return cls(apply)
