"""Removing tracked entities: reconcile pending records, then delete children before parents.

The rules, in order of importance:

1. A record leaves the ledger only once its entity is gone (deleted now, or already gone).
2. An entity is deleted only after every selected entity that depends on it is gone; when one
   of those cannot be removed, the entities it depends on are kept too, and say why.
3. Independent deletes run concurrently, bounded by a limiter.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import anyio
import attrs

from ._clients import Clients
from ._errors import CannotDelete
from ._kinds import Kind
from ._ledger import Ledger, TrackingRecord
from ._registry import Registry
from ._report import CleanupReport, Leftover

__all__ = ["purge"]

log = logging.getLogger("tdm.cleanup")


@attrs.define(eq=False)
class _Node:
    record: TrackingRecord
    kind: Kind[Any, Any, Any] | None
    entity_id: str
    duplicates: list[TrackingRecord] = attrs.field(factory=list)
    """Other records of the same entity (say, a product added to a cart twice)."""
    children: int = 0
    parents: list[_Node] = attrs.field(factory=list)
    blocked_by: str | None = None


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if isinstance(exc, CannotDelete) else f"{type(exc).__name__}: {text}"


class _Purge:
    def __init__(
        self, registry: Registry, clients: Clients, ledger: Ledger, concurrency: int
    ) -> None:
        self.registry, self.clients, self.ledger = registry, clients, ledger
        self.limiter = anyio.CapacityLimiter(concurrency)
        self.report = CleanupReport.empty(k.plural for k in registry.kinds.values())

    def _kind(self, record: TrackingRecord) -> Kind[Any, Any, Any] | None:
        return self.registry.kinds.get(record.kind)

    def _gone(self, record: TrackingRecord, *, already: bool) -> None:
        kind = self._kind(record)
        plural = kind.plural if kind else record.kind
        self.report.deleted[plural] = self.report.deleted.get(plural, 0) + 1
        self.report.already_gone += already

    async def _fail(self, record: TrackingRecord, reason: str, *, attempted: bool) -> None:
        self.report.failures.append(
            Leftover(record.tracking_id, record.kind, record.entity_id, reason)
        )
        if attempted:
            await self.ledger.note_failure(record.tracking_id, reason)

    async def _resolve(self, record: TrackingRecord, out: list[_Node]) -> None:
        """Turn a record into nodes: pending ones are looked up by their natural key first."""
        kind = self._kind(record)
        if kind is None:
            await self._fail(
                record, f"no entity kind {record.kind!r} is registered", attempted=False
            )
            return
        if record.state == "created" and record.entity_id is not None:
            out.append(_Node(record, kind, record.entity_id))
            return
        if record.lookup is None:
            await self._fail(
                record, "pending record without a natural key to find it by", attempted=True
            )
            return
        try:
            async with self.limiter:
                client = await self.clients.get(kind.target)
                found = await kind.find(client, record.lookup)
        except Exception as exc:  # noqa: BLE001 -- reported; the record stays for a later cleanup
            await self._fail(record, f"looking it up failed: {_describe(exc)}", attempted=True)
            return
        if found is None:
            await self._fail(record, f"kind {kind.name!r} cannot look entities up", attempted=True)
        elif not found:
            # The create never reached the system: nothing to delete, nothing to keep.
            await self.ledger.remove([record.tracking_id])
        else:
            await self.ledger.confirm(record, found[0], None)
            if len(found) > 1:
                log.warning(
                    "natural key %s of %s matched %d entities", record.lookup, kind.name, len(found)
                )
            out.extend(_Node(record, kind, entity_id) for entity_id in found)

    async def _delete_into(self, results: dict[_Node, bool], node: _Node) -> None:
        results[node] = await self._delete(node)

    async def _delete_batch(self, results: dict[_Node, bool], batch: list[_Node]) -> None:
        """One ``delete_many`` call for a batch; per-entity deletes if it is not available."""
        kind = batch[0].kind
        assert kind is not None
        try:
            async with self.limiter:
                client = await self.clients.get(kind.target)
                outcome = await kind.delete_many(client, [n.entity_id for n in batch])
        except Exception as exc:  # noqa: BLE001 -- each entity is retried on its own
            log.warning("batch delete of %d %s failed (%s); deleting one by one",
                        len(batch), kind.plural, _describe(exc))  # fmt: skip
            outcome = None
        if outcome is None:
            async with anyio.create_task_group() as tg:
                for node in batch:
                    tg.start_soon(self._delete_into, results, node)
            return
        await self.ledger.remove([r.tracking_id for n in batch for r in (n.record, *n.duplicates)])
        for node in batch:
            self._gone(node.record, already=not outcome.get(node.entity_id, False))
            results[node] = True

    async def _delete(self, node: _Node) -> bool:
        record, kind = node.record, node.kind
        assert kind is not None
        try:
            async with self.limiter:
                client = await self.clients.get(kind.target)
                existed = await kind.delete(client, node.entity_id)
        except Exception as exc:  # noqa: BLE001 -- reported; the record stays for a later cleanup
            await self._fail(record, _describe(exc), attempted=True)
            return False
        await self.ledger.remove([record.tracking_id, *(d.tracking_id for d in node.duplicates)])
        self._gone(record, already=not existed)
        return True

    async def run(self, records: Sequence[TrackingRecord]) -> CleanupReport:
        nodes: list[_Node] = []
        async with anyio.create_task_group() as tg:
            for record in records:
                tg.start_soon(self._resolve, record, nodes)
        by_entity: dict[tuple[str, str], _Node] = {}
        for node in nodes:
            first = by_entity.setdefault((node.record.kind, node.entity_id), node)
            if first is not node:
                first.duplicates.append(node.record)
        nodes = list(by_entity.values())
        for node in nodes:
            for ref in node.record.refs:
                parent = by_entity.get((ref[0], str(ref[1])))
                if parent is not None and parent is not node:
                    node.parents.append(parent)
                    parent.children += 1
        wave = [n for n in nodes if n.children == 0]
        while wave:
            results: dict[_Node, bool] = {}
            batches: dict[str, list[_Node]] = {}
            for node in wave:
                batches.setdefault(node.record.kind, []).append(node)
            async with anyio.create_task_group() as tg:
                for batch in batches.values():
                    if len(batch) > 1:
                        tg.start_soon(self._delete_batch, results, batch)
                    else:
                        tg.start_soon(self._delete_into, results, batch[0])
            following: list[_Node] = []
            for node in wave:
                await self._settle(node, results[node], following)
            wave = following
        return self.report

    async def _settle(self, node: _Node, removed: bool, following: list[_Node]) -> None:
        """Tell ``node``'s parents it is done; ready ones join ``following``, blocked ones fail."""
        for parent in node.parents:
            if not removed and parent.blocked_by is None:
                parent.blocked_by = (
                    f"kept because {node.record.kind} {node.entity_id}, "
                    "which depends on it, is still there"
                )
            parent.children -= 1
            if parent.children:
                continue
            if parent.blocked_by is None:
                following.append(parent)
            else:
                await self._fail(parent.record, parent.blocked_by, attempted=False)
                await self._settle(parent, False, following)


async def purge(
    records: Sequence[TrackingRecord],
    *,
    registry: Registry,
    clients: Clients,
    ledger: Ledger,
    concurrency: int,
) -> CleanupReport:
    """Remove the entities of ``records`` from their systems and their records from the ledger."""
    return await _Purge(registry, clients, ledger, concurrency).run(records)
