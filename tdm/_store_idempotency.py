"""Stored answers of creates by ``Idempotency-Key``: the first answer per key is kept and
replayed; a different body with the same key is a mismatch."""

from __future__ import annotations

import sqlalchemy as sa

from ._schema import idempotency
from ._store_base import StoreBase

__all__ = ["Idempotency"]


class Idempotency(StoreBase):
    """The ``tdm_idempotency`` table."""

    def idempotency_begin(
        self, key: str, fingerprint: str, stale_after: float
    ) -> tuple[str, int | None, str | None]:
        """``("new", ...)`` when this call owns the key now; ``("replay", status, body)``,
        ``("in_flight", ...)`` or ``("mismatch", ...)`` otherwise. A key in flight longer than
        ``stale_after`` (its owner died) is taken over."""
        with self._write() as conn:
            statement = (
                self._insert(idempotency)
                .values(key=key, fingerprint=fingerprint, state="in_flight", created_at=self._now())
                .on_conflict_do_nothing(index_elements=["key"])
            )
            # RETURNING, not the rowcount: psycopg reports -1 (truthy) for ON CONFLICT DO NOTHING.
            if conn.execute(statement.returning(idempotency.c.key)).first() is not None:
                return "new", None, None
            query = sa.select(idempotency).where(idempotency.c.key == key)
            row = conn.execute(query.with_for_update()).first()
            if row is None:  # it was dropped meanwhile: take it
                conn.execute(
                    self._insert(idempotency).values(
                        key=key, fingerprint=fingerprint, state="in_flight", created_at=self._now()
                    )
                )
                return "new", None, None
            found = row._mapping
            if found["fingerprint"] != fingerprint:
                return "mismatch", None, None
            if found["state"] == "done":
                return "replay", found["status"], found["body"]
            stale = conn.execute(sa.select(self._now())).scalar_one() - found["created_at"]
            if stale > stale_after:
                conn.execute(idempotency.update().where(idempotency.c.key == key)
                             .values(created_at=self._now()))  # fmt: skip
                return "new", None, None
            return "in_flight", None, None

    def idempotency_finish(self, key: str, status: int, body: str) -> None:
        with self._write() as conn:
            conn.execute(idempotency.update().where(idempotency.c.key == key)
                         .values(state="done", status=status, body=body))  # fmt: skip

    def idempotency_drop(self, key: str) -> None:
        with self._write() as conn:
            conn.execute(idempotency.delete().where(idempotency.c.key == key))

    def idempotency_expire(self, older_than: float) -> None:
        with self._write() as conn:
            conn.execute(idempotency.delete().where(
                idempotency.c.created_at < self._now() - older_than))  # fmt: skip
