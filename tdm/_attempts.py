"""Creating one entity when the network may drop answers: resolve, never guess.

The intent is in the ledger before the first attempt. Then:

- the system refused the request, or it never left: nothing exists; the intent is dropped
  (unless an earlier attempt's outcome was unknown: a refusal now, say a 409 for a taken
  email, most likely means that attempt landed);
- the outcome is unknown (a timeout after sending, a reset, a 5xx): the kind's natural key is
  looked up *before* anything is sent again. Found: the record is confirmed with that id (the
  call still fails; the entity is tracked and will be removed). Not found: the create is tried
  again, up to ``TDM_HTTP_RETRIES`` times;
- whenever an attempt's outcome was unknown, the record stays marked as settling for the grace
  period: a stalled request may still land after every lookup came back empty, so cleanups
  keep looking the natural key up until then.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, TypeVar

import anyio

from ._errors import InvalidParameters, TargetError

if TYPE_CHECKING:
    from ._kinds import Kind
    from ._ledger import Ledger, TrackingRecord
    from ._settings import Settings

__all__ = ["Dropped", "attempt_create"]

T = TypeVar("T")

log = logging.getLogger("tdm")


class Dropped(Exception):
    """Internal: the create provably made nothing, so its intent was dropped; ``cause`` is the
    error to raise."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        self.cause = cause


def _provably_nothing(exc: Exception) -> bool:
    if isinstance(exc, InvalidParameters):
        return True
    return isinstance(exc, TargetError) and not exc.acted_on


async def attempt_create(
    kind: Kind[Any, Any, Any],
    client: Any,
    spec: Any,
    record: TrackingRecord,
    *,
    ledger: Ledger,
    settings: Settings,
    backoff: float = 0.05,
) -> Any:
    """``kind.create(client, spec)``, resolving unknown outcomes by natural key.

    Returns the entity; raises :class:`Dropped` when nothing was created (the caller drops
    the intent) or the failure itself when something may exist (the record stays).
    """
    unknown = False
    attempt = 0
    while True:
        attempt += 1
        try:
            return await _atomic(kind.create(client, spec), settings, kind.name)
        except (TargetError, InvalidParameters) as exc:
            if _provably_nothing(exc) and not unknown:
                raise Dropped(exc) from exc
            found = await _resolve(kind, client, record, ledger, settings, first=not unknown)
            unknown = True
            if found:
                log.info("%s: the create whose answer was lost did happen (%s)", kind.name, found)
                raise
            if found is None or _provably_nothing(exc) or attempt > settings.http_retries:
                raise  # the record stays pending; cleanups look it up until it settles
            delay = backoff * 2 ** (attempt - 1) * (1 + random.random())
            log.info("%s: nothing was created by attempt %d; retrying", kind.name, attempt)
            await anyio.sleep(delay)


async def _atomic(create: Awaitable[T], settings: Settings, what: str) -> T:
    """One create request, not cut off by a cancellation (a signal, a timeout around the
    session): a request cut off mid-flight may still be acted on, and tdm would be left
    guessing. The cancellation takes effect once the answer is in (and noted), within the
    time the request may take; past that the outcome is unknown, as for a lost answer."""
    limit = settings.http_timeout * (settings.http_retries + 1)
    # One scope: shielded from outer cancellation, cut off by its own deadline.
    with anyio.CancelScope(shield=True, deadline=anyio.current_time() + limit) as scope:
        return await create
    assert scope.cancelled_caught
    raise TargetError(what, f"no answer to its create within {limit:g} s", outcome="unknown")


async def _resolve(
    kind: Kind[Any, Any, Any],
    client: Any,
    record: TrackingRecord,
    ledger: Ledger,
    settings: Settings,
    *,
    first: bool,
) -> Any:
    """An attempt's outcome was unknown: mark the record settling (the first time) and look
    its natural key up, confirming what is found. Not cut off by a cancellation (a sibling's
    failure, a timeout around the session), within the time one request may take: a create
    left unresolved would keep every cleanup guessing until it settles."""
    found = None
    with anyio.CancelScope(shield=True), anyio.move_on_after(settings.http_timeout):
        if first:
            await ledger.settle(record.tracking_id, settings.grace.total_seconds())
        found = await _look_up(kind, client, record)
        if found:
            await ledger.confirm(record, found[0], None)
    return found


async def _look_up(kind: Kind[Any, Any, Any], client: Any, record: TrackingRecord) -> Any:
    """The ids the natural key finds; ``None`` when the kind cannot look up (or it failed)."""
    if record.lookup is None:
        return None
    try:
        return await kind.find(client, record.lookup)
    except Exception:
        log.info("%s: looking up %s failed", kind.name, record.lookup, exc_info=True)
        return None
