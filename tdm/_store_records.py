"""Writing records: intents, confirms, settling, failures, reopening and removal (each a
:class:`~tdm._writes.Write` of the hot path), claims and their release."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from ._records import TrackingRecord
from ._schema import CHUNK, tracked
from ._store_base import StoreBase
from ._writes import Write

__all__ = ["RecordWrites"]


class RecordWrites(StoreBase):
    """A record's life in the ledger, from its intent to its removal."""

    def add(self, records: Sequence[TrackingRecord]) -> None:
        """Write intents (several in one transaction), stamped with the ledger's time."""
        self.write([Write.add(records)])

    def confirm(
        self, record: TrackingRecord, entity_id: str, label: str | None, secret: str | None
    ) -> None:
        """The entity exists: note its id. If the record is gone (a cleanup elsewhere dropped
        the intent while the create was in flight), it is written again."""
        self.write([Write.confirm(record, entity_id, label, secret)])

    def settle(self, tracking_id: str, seconds: float) -> None:
        self.write([Write.settle(tracking_id, seconds)])

    def reopen(self, tracking_ids: Sequence[str]) -> None:
        self.write([Write.reopen(tracking_ids)])

    def remove(self, tracking_ids: Sequence[str]) -> None:
        self.write([Write.remove(tracking_ids)])

    def note_failure(self, tracking_id: str, error: str) -> None:
        self.write([Write.note_failure(tracking_id, error)])

    def claim(
        self, tracking_ids: Sequence[str], claimer: str, seconds: float,
        written_before: float | None = None, *, connection: Any = None,
    ) -> list[str]:  # fmt: skip
        """Claim records for one cleanup: those not claimed by another (or whose claim ran
        out). Only claimed records are deleted, so two cleanups never both count one. With
        ``written_before``, only records last written before then (a reaper's claim on their
        run): a holder that came back may have confirmed one since it was read. On
        ``connection`` (a SQLite connection of the caller's) or one of the pool's."""
        ids = list(dict.fromkeys(tracking_ids))
        got: list[str] = []
        with self._raw_write(connection, by_key=True) as cursor:
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start : start + CHUNK]
                sql = self._sql.claim(len(chunk), written_before=written_before is not None)
                params = [claimer, seconds, *chunk, claimer]
                cursor.execute(sql, params if written_before is None else [*params, written_before])
                got += [row[0] for row in cursor.fetchall()]
        return got

    def written_since(self, tracking_ids: Sequence[str], at: float) -> list[str]:
        """Those of ``tracking_ids`` last written at ``at`` or later."""
        ids = list(dict.fromkeys(tracking_ids))
        found: list[str] = []
        with self.engine.connect() as conn:
            for start in range(0, len(ids), CHUNK):
                found += (
                    conn.execute(
                        sa.select(tracked.c.tracking_id).where(
                            tracked.c.tracking_id.in_(ids[start : start + CHUNK]),
                            sa.func.coalesce(tracked.c.written_at, 0) >= at,
                        )
                    )
                    .scalars()
                    .all()
                )
        return found

    def release(self, tracking_ids: Sequence[str], claimer: str) -> None:
        ids = list(dict.fromkeys(tracking_ids))
        with self._write(by_key=True) as conn:
            for start in range(0, len(ids), CHUNK):
                conn.execute(
                    tracked.update()
                    .where(tracked.c.tracking_id.in_(ids[start : start + CHUNK]),
                           tracked.c.claimed_by == claimer)
                    .values(claimed_by=None, claim_until=None)
                )  # fmt: skip
