"""The ledger's tables, one schema for SQLite and PostgreSQL.

``tracked`` (one row per tracked entity, with when the ledger wrote it), ``tdm_runs`` (runs:
keep times, reaper claims), ``tdm_leases`` (one lease per run and holder: a run is alive while
any of its holders' leases is, or while it is kept), ``tdm_idempotency`` (stored answers of
creates by ``Idempotency-Key``) and ``tdm_meta`` (the schema version). Upgrades from older
schemas are in :mod:`tdm._migrations`.
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = [
    "CHUNK",
    "SCHEMA_VERSION",
    "idempotency",
    "leases",
    "meta",
    "metadata",
    "runs",
    "tracked",
]

SCHEMA_VERSION = 6
"""The schema this code speaks. 1-3: the SQLite file's ``tracked`` table as it grew;
4: runs, claims, idempotency keys and secrets, on SQLite and PostgreSQL alike; 5: a lease per
run and holder (``tdm_leases``, from 4's one lease column per run), records' ``written_at`` and
runs' ``claimed_at`` (a reaper cleans only what was written before its claim); 6: records'
indexes in the order pages read them, newest first (``(created_at, tracking_id)`` and
``(run_id, created_at, tracking_id)``, in place of ``created_at`` and ``run_id`` alone)."""

metadata = sa.MetaData()

tracked = sa.Table(
    "tracked",
    metadata,
    sa.Column("tracking_id", sa.String(64), primary_key=True),
    sa.Column("registry", sa.Text, nullable=False, server_default=""),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("target", sa.Text, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("entity_id", sa.Text),
    sa.Column("label", sa.Text),
    sa.Column("lookup", sa.Text),
    sa.Column("refs", sa.Text, nullable=False, server_default="[]"),
    sa.Column("run_id", sa.Text, nullable=False),
    sa.Column("session_id", sa.Text, nullable=False),
    sa.Column("test_id", sa.Text),
    sa.Column("scenario", sa.Text),
    sa.Column("params", sa.Text),
    sa.Column("seed", sa.BigInteger),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    sa.Column("settle_until", sa.Float),
    sa.Column("claimed_by", sa.Text),
    sa.Column("claim_until", sa.Float),
    sa.Column("secret", sa.Text),
    sa.Column("written_at", sa.Float),
    sa.Index("tracked_run_created", "run_id", "created_at", "tracking_id"),
    sa.Index("tracked_session", "session_id"),
    sa.Index("tracked_created_id", "created_at", "tracking_id"),
    sa.Index("tracked_entity", "kind", "entity_id"),
)

OLD_INDEXES = ("tracked_run", "tracked_created")
"""``tracked``'s indexes before schema 6, which its composite indexes replace."""

runs = sa.Table(
    "tdm_runs",
    metadata,
    sa.Column("run_id", sa.Text, primary_key=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("keep_until", sa.Float),
    sa.Column("claimed_by", sa.Text),
    sa.Column("claim_until", sa.Float),
    sa.Column("claimed_at", sa.Float),
    sa.Column("reap_attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_reap_at", sa.Float),
    sa.Column("stuck", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("last_error", sa.Text),
)

leases = sa.Table(
    "tdm_leases",
    metadata,
    sa.Column("run_id", sa.Text, primary_key=True),
    sa.Column("holder", sa.Text, primary_key=True),
    sa.Column("lease_until", sa.Float, nullable=False),
    sa.Index("tdm_leases_until", "lease_until"),
)

idempotency = sa.Table(
    "tdm_idempotency",
    metadata,
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("status", sa.Integer),
    sa.Column("body", sa.Text),
    sa.Column("created_at", sa.Float, nullable=False),
)

meta = sa.Table(
    "tdm_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

CHUNK = 500
"""Ids per statement, well under every driver's limit on bound parameters."""
