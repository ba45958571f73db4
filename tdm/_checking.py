"""Check a kind against its live system, so a wrong natural key is caught in a team's tests.

tdm can only reconcile a create it did not see finish (a crash, a dropped answer) if the
kind's natural key finds the entity; and it only forgets a record once the entity is gone.
:func:`check_kind` walks that whole path once against the real system::

    async def test_our_books_kind(manager):
        await tdm.check_kind(manager, "book")
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

import attrs

from ._catalog import KindRef
from ._clients import Clients
from ._errors import TdmError
from ._selection import Selection

if TYPE_CHECKING:
    from ._kinds import Kind
    from ._ledger import TrackingRecord
    from ._manager import Manager

__all__ = ["KindCheckFailed", "check_kind"]


class KindCheckFailed(TdmError, AssertionError):
    """A kind does not behave as tdm needs it to against its live system (``step`` says where)."""

    code = "kind_check_failed"

    def __init__(self, kind: str, step: str, problem: str) -> None:
        self.kind, self.step = kind, step
        super().__init__(f"kind {kind!r}, {step}: {problem}")


@attrs.frozen
class KindCheck:
    """What :func:`check_kind` saw: the entity it made and how it was found and removed."""

    kind: str
    entity_id: str
    lookup: dict[str, Any]


async def check_kind(manager: Manager, kind: KindRef, /, **overrides: Any) -> KindCheck:
    """Create one entity of ``kind`` (``overrides`` applied), then check, in order: its natural
    key (``lookup``) finds exactly that entity; cleanup deletes it; its natural key then finds
    nothing; a second delete answers "already gone" rather than failing.

    Raises :class:`KindCheckFailed` naming the step that went wrong. ``manager`` is a
    :class:`~tdm.Manager` on the system (with its registry selected).
    """
    async with manager.session(keep=True, run_id="kind-check") as s:
        found_kind = s.kind(kind)
        entity = await s.create(found_kind, **overrides)
        (record,) = await s.records(s.tracking_ids[-1:])
    selection = Selection(tracking_ids=(record.tracking_id,))
    async with AsyncExitStack() as stack:
        stack.push_async_callback(manager.cleanup, selection)
        clients = manager.shared_clients
        if clients is None:
            clients = await stack.enter_async_context(Clients(manager.catalog, manager.settings))
        client = await clients.get(found_kind.registry, found_kind.target)
        await _walk(manager, found_kind, client, record, str(found_kind.entity_id(entity)))
    return KindCheck(found_kind.name, str(found_kind.entity_id(entity)), dict(record.lookup or {}))


async def _walk(
    manager: Manager, kind: Kind[Any, Any, Any], client: Any, record: TrackingRecord,
    entity_id: str,
) -> None:  # fmt: skip
    name = kind.name
    if record.lookup is None:
        raise KindCheckFailed(name, "lookup", "it has no natural key: after a crash or a "
                              "dropped answer tdm could not find what it created")  # fmt: skip
    lookup = dict(record.lookup)
    found = await kind.find(client, lookup)
    if found is None:
        raise KindCheckFailed(name, "find", "find() says it cannot look entities up")
    if [str(f) for f in found] != [entity_id]:
        raise KindCheckFailed(name, "find", f"{lookup} found {found}, expected exactly "
                              f"[{entity_id!r}]")  # fmt: skip
    report = await manager.cleanup(Selection(tracking_ids=(record.tracking_id,)))
    if not report.complete or report.total_deleted != 1 or report.already_gone:
        raise KindCheckFailed(name, "delete", report.summary())
    after = await kind.find(client, lookup)
    if after:
        raise KindCheckFailed(name, "find after delete", f"{lookup} still finds {after}: a "
                              "deleted entity must not be found")  # fmt: skip
    if await kind.delete(client, record) is not False:
        raise KindCheckFailed(name, "delete again", "deleting a deleted entity must answer "
                              "False (already gone)")  # fmt: skip
