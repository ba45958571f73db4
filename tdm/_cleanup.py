"""Removing tracked entities: reconcile pending records, then delete children before parents.

The rules, in order of importance:

1. A record leaves the ledger only once its entity is gone (deleted now, already gone, or
   removed with its parent by the system's own cascade), or once a create that was never
   seen has had longer than any retry could take to land (:attr:`Settings.pending_grace`).
2. An entity is deleted only after every selected entity that depends on it is gone; when one
   of those cannot be removed, the entities it depends on are kept too, and say why. A kind
   declared ``removed_with`` its parent is not deleted on its own when the parent is
   selected: it goes with the parent.
3. Independent deletes run concurrently, bounded by a limiter.

Records come in pages (newest first, so children before the parents they were made from):
a cleanup holds one page at a time, and what stays of one page (a failure, a create that may
still land) keeps the entities it depends on in later pages too. Deletes of one kind go in
batches of at most :data:`BATCH` (well under every driver's bound parameters); a batch that
fails is split in halves until the rows at fault are found, each then tried on its own.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import attrs

from ._catalog import Catalog
from ._clients import Clients
from ._errors import TdmError
from ._kinds import Kind
from ._ledger import Ledger, TrackingRecord
from ._redact import redact
from ._report import CleanupReport, Leftover
from ._slots import Slots

__all__ = ["BATCH", "purge"]

log = logging.getLogger("tdm.cleanup")

BATCH = 1000
"""Entities per ``delete_many`` call: a few statements with this many ids each stay far
below PostgreSQL's 65,535 bound parameters and SQLite's 32,766."""

_Key = tuple[str, str, str]
"""An entity: (registry, kind, id)."""


@attrs.define(eq=False)
class _Node:
    record: TrackingRecord
    kind: Kind[Any, Any, Any]
    duplicates: list[TrackingRecord] = attrs.field(factory=list)
    """Other records of the same entity (say, a product added to a cart twice)."""
    children: int = 0
    parents: list[_Node] = attrs.field(factory=list)
    carried: list[_Node] = attrs.field(factory=list)
    """Selected entities the system removes along with this one (its cascade)."""
    carrier: _Node | None = None
    blocked_by: str | None = None

    @property
    def entity_id(self) -> str:
        assert self.record.entity_id is not None
        return self.record.entity_id

    @property
    def records(self) -> list[TrackingRecord]:
        return [self.record, *self.duplicates]


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return redact(text if isinstance(exc, TdmError) else f"{type(exc).__name__}: {text}")


class _Purge:
    def __init__(
        self, catalog: Catalog, clients: Clients, ledger: Ledger, concurrency: int,
        grace: timedelta, claim_for: float, written_before: float | None,
    ) -> None:  # fmt: skip
        self.catalog, self.clients, self.ledger = catalog, clients, ledger
        self.claim_for, self.written_before = claim_for, written_before
        self.limiter = Slots(concurrency)
        self.grace = grace
        self.report = CleanupReport.empty(catalog.empty_counts())
        self.settled: set[int] = set()
        self.failed: set[str] = set()
        self.removed: set[str] = set()
        """Tracking ids removed from the ledger in the page at hand (no claim to release)."""
        self.gone: list[str] = []
        """Tracking ids of the page at hand whose entities are gone: removed from the ledger
        together once the page is done (one write, not one per wave of deletes)."""
        """Tracking ids that failed in the page at hand."""
        self.kept: dict[_Key, str] = {}
        """Entities later pages must keep, and why: something that depends on them stays."""
        self.waiting: list[tuple[TrackingRecord, Kind[Any, Any, Any]]] = []
        """Pending records whose entity may still land: what they depend on must wait too."""

    def _kind(self, record: TrackingRecord) -> Kind[Any, Any, Any] | None:
        try:
            if record.registry:
                return self.catalog.kind_in(record.registry, record.kind)
            return self.catalog.kind(record.kind)
        except TdmError:
            return None

    def _gone(self, node: _Node, *, already: bool) -> None:
        self.report.count(self.catalog.plural(node.kind), already=already)

    async def _fail(self, record: TrackingRecord, reason: str, *, attempted: bool) -> None:
        reason = redact(reason)  # it goes into the report and the ledger
        self.failed.add(record.tracking_id)
        self.report.failures.append(
            Leftover(record.tracking_id, record.kind, record.entity_id, reason)
        )
        if attempted:
            await self.ledger.note_failure(record.tracking_id, reason)

    async def _client(self, kind: Kind[Any, Any, Any]) -> Any:
        return await self.clients.get(kind.registry, kind.target)

    async def _resolve(self, record: TrackingRecord, out: list[_Node]) -> None:
        """Turn a record into nodes: pending ones are looked up by their natural key first."""
        kind = self._kind(record)
        if kind is None:
            where = f" of registry {record.registry!r}" if record.registry else ""
            await self._fail(
                record, f"no entity kind {record.kind!r}{where} is selected here", attempted=False
            )
            return
        if record.state == "created" and record.entity_id is not None:
            out.append(_Node(record, kind))
            if not record.settling(datetime.now(UTC)) or record.lookup is None:
                return
            # A create of it whose answer was lost may have landed twice: look for more.
            try:
                async with self.limiter:
                    found = await kind.find(await self._client(kind), record.lookup)
            except Exception:
                log.info("looking up %s failed", record.lookup, exc_info=True)
                return
            out.extend(_Node(attrs.evolve(record, entity_id=other), kind)
                       for other in found or () if other != record.entity_id)  # fmt: skip
            return
        if record.lookup is None:
            await self._fail(
                record, "pending record without a natural key to find it by", attempted=True
            )
            return
        try:
            async with self.limiter:
                found = await kind.find(await self._client(kind), record.lookup)
        except Exception as exc:  # noqa: BLE001 -- reported; the record stays for a later cleanup
            await self._fail(record, f"looking it up failed: {_describe(exc)}", attempted=True)
            return
        if found is None:
            await self._fail(record, f"kind {kind.name!r} cannot look entities up", attempted=True)
        elif not found:
            if await self._unseen(record):
                self.waiting.append((record, kind))
        else:
            confirmed = await self.ledger.confirm(record, found[0], None)
            if len(found) > 1:
                log.warning(
                    "natural key %s of %s matched %d entities", record.lookup, kind.name, len(found)
                )
            out.extend(
                _Node(attrs.evolve(confirmed, entity_id=entity_id), kind) for entity_id in found
            )

    def _settles_at(self, record: TrackingRecord) -> datetime:
        """When a create of ``record``'s entity can no longer land."""
        at = record.created_at + self.grace
        return max(at, record.settle_until) if record.settle_until is not None else at

    async def _done(self, records: list[TrackingRecord]) -> None:
        """These records' entities are gone: forget them (once the page is done), unless a
        create of theirs whose answer was lost may still land; those go back to pending,
        looked up again later."""
        now = datetime.now(UTC)
        settling = [r for r in records if r.settling(now)]
        self.gone += [r.tracking_id for r in records if not r.settling(now)]
        if not settling:
            return
        await self.ledger.reopen(r.tracking_id for r in settling)
        listed = {u.tracking_id for u in self.report.unverified}
        settling = [r for r in settling if r.tracking_id not in listed]
        self.report.unverified.extend(
            Leftover(r.tracking_id, r.kind, None, "deleted, but a create of it whose answer "
                     f"was lost may still land until {self._settles_at(r):%H:%M:%S} UTC: "
                     "kept, looked up again by the next cleanup", kept=True)
            for r in {r.tracking_id: r for r in settling}.values()
        )  # fmt: skip

    async def _unseen(self, record: TrackingRecord) -> bool:
        """A create whose entity the natural key does not find: kept (``True``) while it may
        still land, forgotten once it cannot."""
        now = datetime.now(UTC)
        age = now - record.created_at
        if now < self._settles_at(record):
            reason = (
                f"its create was not seen to finish and {record.lookup} finds nothing yet; "
                "kept, and looked up again by the next cleanup"
            )
            self.report.unverified.append(
                Leftover(record.tracking_id, record.kind, None, reason, kept=True)
            )
            return True
        await self.ledger.remove([record.tracking_id])
        reason = f"{record.lookup} found nothing for {age.total_seconds():.0f} s: never created"
        self.report.unverified.append(
            Leftover(record.tracking_id, record.kind, None, reason, kept=False)
        )
        return False

    async def _delete_into(self, results: dict[_Node, bool], node: _Node) -> None:
        results[node] = await self._delete(node)

    async def _delete_kind(self, results: dict[_Node, bool], nodes: list[_Node]) -> None:
        """The nodes of one kind: one, or :data:`BATCH` at a time."""
        if len(nodes) == 1:
            await self._delete_into(results, nodes[0])
        elif len(nodes) <= BATCH:
            await self._delete_batch(results, nodes)  # one batch: no task of its own
        else:
            await self._delete_batches(results, nodes)

    async def _delete_batches(self, results: dict[_Node, bool], nodes: list[_Node]) -> None:
        """The nodes of one kind, :data:`BATCH` at a time."""
        async with anyio.create_task_group() as tg:
            for start in range(0, len(nodes), BATCH):
                tg.start_soon(self._delete_batch, results, nodes[start : start + BATCH])

    async def _delete_batch(self, results: dict[_Node, bool], batch: list[_Node]) -> None:
        """One ``delete_many`` call for a batch; per-entity deletes if it is not available.
        A batch that fails is split in halves: one row at fault costs a few statements more,
        never one per entity of its batch."""
        if len(batch) == 1:
            await self._delete_into(results, batch[0])
            return
        kind = batch[0].kind
        try:
            async with self.limiter:
                outcome = await kind.delete_many(
                    await self._client(kind), [n.record for n in batch]
                )
        except Exception as exc:  # noqa: BLE001 -- each half is tried on its own
            log.warning("batch delete of %d %s failed (%s); splitting it",
                        len(batch), kind.plural, _describe(exc))  # fmt: skip
            half = len(batch) // 2
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._delete_batch, results, batch[:half])
                tg.start_soon(self._delete_batch, results, batch[half:])
            return
        if outcome is None:
            async with anyio.create_task_group() as tg:
                for node in batch:
                    tg.start_soon(self._delete_into, results, node)
            return
        await self._done([r for n in batch for r in n.records])
        for node in batch:
            self._gone(node, already=not outcome.get(node.entity_id, False))
            results[node] = True

    async def _delete(self, node: _Node) -> bool:
        try:
            async with self.limiter:
                existed = await node.kind.delete(await self._client(node.kind), node.record)
        except Exception as exc:  # noqa: BLE001 -- reported; the record stays for a later cleanup
            await self._fail(node.record, _describe(exc), attempted=True)
            return False
        await self._done(node.records)
        self._gone(node, already=not existed)
        return True

    def _parents(self, record: TrackingRecord, near: str) -> list[_Key]:
        """The entities ``record`` refers to, as keys."""
        keys: list[_Key] = []
        for ref_kind, ref_id in record.refs:
            try:
                parent_kind = self.catalog.kind(ref_kind, near=near)
            except TdmError:
                continue
            keys.append((parent_kind.registry, parent_kind.name, str(ref_id)))
        return keys

    def _graph(self, nodes: list[_Node]) -> list[_Node]:
        """One node per entity, linked to the selected entities it depends on."""
        by_entity: dict[_Key, _Node] = {}
        for node in nodes:
            key = (node.kind.registry, node.kind.name, node.entity_id)
            first = by_entity.setdefault(key, node)
            if first is not node:
                first.duplicates.append(node.record)
        unique = list(by_entity.values())
        for key, reason in self.kept.items():
            # Something of an earlier page that depends on it stays: so does it.
            kept = by_entity.get(key)
            if kept is not None:
                kept.children += 1
                kept.blocked_by = kept.blocked_by or reason
        for node in unique:
            for ref_kind, ref_id in node.record.refs:
                try:
                    parent_kind = self.catalog.kind(ref_kind, near=node.kind.registry)
                except TdmError:
                    continue
                parent = by_entity.get((parent_kind.registry, parent_kind.name, str(ref_id)))
                if parent is None or parent is node:
                    continue
                if node.carrier is None and parent_kind.name in node.kind.removed_with:
                    node.carrier = parent
                    parent.carried.append(node)
                else:
                    node.parents.append(parent)
                    parent.children += 1
        for record, kind in self.waiting:
            # A create that may still land depends on these: deleting them now would fail (or
            # strand it), so they wait for the next cleanup with it.
            for key in self._parents(record, kind.registry):
                parent = by_entity.get(key)
                if parent is not None:
                    parent.children += 1
                    parent.blocked_by = parent.blocked_by or (
                        f"kept because a create of a {record.kind} that depends on it may still "
                        "land"
                    )
        for node in unique:
            # What depends on a carried entity must also be gone before its carrier goes.
            for parent in list(node.parents):
                carrier = parent.carrier
                while carrier is not None and carrier is not node:
                    node.parents.append(carrier)
                    carrier.children += 1
                    carrier = carrier.carrier
        return unique

    async def run(self, records: Sequence[TrackingRecord]) -> CleanupReport:
        """One page: claim the records (each is removed by one cleanup only), remove,
        release; what stays keeps what it depends on in later pages."""
        self.settled.clear()
        self.failed.clear()
        self.removed.clear()
        self.gone.clear()
        self.waiting.clear()
        await self._claimed(records)
        for record in records:
            if record.tracking_id in self.failed:
                reason = f"kept because {record.kind} {record.entity_id}, which depends on it, "
                self._keep(record, reason + "is still there")
        for record, _ in self.waiting:
            self._keep(record, f"kept because a create of a {record.kind} that depends on it "
                       "may still land")  # fmt: skip
        return self.report

    def _keep(self, record: TrackingRecord, reason: str) -> None:
        kind = self._kind(record)
        if kind is not None:
            for key in self._parents(record, kind.registry):
                self.kept.setdefault(key, reason)

    async def _claimed(self, records: Sequence[TrackingRecord]) -> CleanupReport:
        claimer = uuid.uuid4().hex
        ids = [r.tracking_id for r in records]
        claimed = await self.ledger.claim(ids, claimer, self.claim_for,
                                          written_before=self.written_before)  # fmt: skip
        rewritten: set[str] = set()
        if self.written_before is not None and len(claimed) < len(set(ids)):
            # written again since the page was read: its run came back; no longer selected
            rewritten = await self.ledger.written_since(
                [i for i in ids if i not in claimed], self.written_before
            )
            self.report.matched -= len(rewritten)
        try:
            for record in records:
                if record.tracking_id not in claimed and record.tracking_id not in rewritten:
                    self.report.failures.append(Leftover(
                        record.tracking_id, record.kind, record.entity_id,
                        "another cleanup is removing it right now",
                    ))  # fmt: skip
            return await self._run([r for r in records if r.tracking_id in claimed])
        finally:
            with anyio.CancelScope(shield=True):
                try:
                    await self._forget_gone()
                finally:
                    await self.ledger.release(sorted(claimed - self.removed), claimer)

    async def _forget_gone(self) -> None:
        """Remove the records whose entities are gone from the ledger (shielded, so a
        cancelled or timed-out cleanup still forgets what it removed)."""
        gone, self.gone = list(dict.fromkeys(self.gone)), []
        if gone:
            await self.ledger.remove(gone)
            self.removed.update(gone)

    async def _run(self, records: Sequence[TrackingRecord]) -> CleanupReport:
        resolved: list[_Node] = []
        unresolved: list[TrackingRecord] = []
        now = datetime.now(UTC)
        for record in records:
            kind = self._kind(record)
            if (
                kind is not None
                and record.state == "created"
                and record.entity_id is not None
                and not record.settling(now)
            ):
                resolved.append(_Node(record, kind))  # nothing to look up: no task
            else:
                unresolved.append(record)
        if unresolved:
            async with anyio.create_task_group() as tg:
                for record in unresolved:
                    tg.start_soon(self._resolve, record, resolved)
        nodes = self._graph(resolved)
        wave = [n for n in nodes if n.children == 0 and n.carrier is None]
        while wave:
            self.settled.update(id(n) for n in wave)
            results: dict[_Node, bool] = {}
            batches: dict[tuple[str, str], list[_Node]] = {}
            for node in wave:
                batches.setdefault((node.kind.registry, node.kind.name), []).append(node)
            if len(batches) == 1:  # one kind (a chain of parents): no tasks
                await self._delete_kind(results, next(iter(batches.values())))
            else:
                async with anyio.create_task_group() as tg:
                    for batch in batches.values():
                        tg.start_soon(self._delete_kind, results, batch)
            following: list[_Node] = []
            for node in wave:
                await self._settle(node, results[node], following)
            wave = following
        for node in nodes:
            # Never ready: something that depends on it stays (or may still land).
            if id(node) not in self.settled and not self._reported(node):
                reason = node.blocked_by or "kept because an entity that depends on it stays"
                await self._fail(node.record, reason, attempted=False)
        return self.report

    def _reported(self, node: _Node) -> bool:
        return node.record.tracking_id in self.failed

    async def _settle(self, node: _Node, removed: bool, following: list[_Node]) -> None:
        """Account for what went with ``node``, and tell its parents it is done; ready ones
        join ``following``, blocked ones fail."""
        for carried in node.carried:
            self.settled.add(id(carried))
            if removed:
                await self._done(carried.records)
                self._gone(carried, already=False)
            else:
                reason = (
                    f"removed only with its {node.kind.name} {node.entity_id}, which is still there"
                )
                await self._fail(carried.record, reason, attempted=False)
            await self._settle(carried, removed, following)
        for parent in node.parents:
            if not removed and parent.blocked_by is None:
                parent.blocked_by = (
                    f"kept because {node.record.kind} {node.entity_id}, "
                    "which depends on it, is still there"
                )
            parent.children -= 1
            if parent.children:
                continue
            if parent.carrier is not None:
                continue  # it goes with its carrier, which settles it
            if parent.blocked_by is None:
                following.append(parent)
            else:
                await self._fail(parent.record, parent.blocked_by, attempted=False)
                await self._settle(parent, False, following)


async def purge(
    records: Sequence[TrackingRecord] | AsyncIterable[Sequence[TrackingRecord]],
    *,
    catalog: Catalog,
    clients: Clients,
    ledger: Ledger,
    concurrency: int,
    grace: timedelta,
    claim_for: float = 300.0,
    written_before: float | None = None,
) -> CleanupReport:
    """Remove the entities of ``records`` (or of each page of them, newest first) from their
    systems and their records from the ledger; ``matched`` counts them.

    The records are claimed for ``claim_for`` seconds first: a record another cleanup holds
    is left to it (and reported). With ``written_before`` (the ledger's clock), a record
    written again since (confirmed by a holder that came back) is left alone, unreported."""
    purging = _Purge(catalog, clients, ledger, concurrency, grace, claim_for, written_before)
    if isinstance(records, Sequence):
        purging.report.matched = len(records)
        return await purging.run(records)
    async for page in records:
        purging.report.matched += len(page)
        await purging.run(page)
    return purging.report
