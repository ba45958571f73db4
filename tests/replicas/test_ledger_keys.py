"""The shared ledger's ``Idempotency-Key`` table, as every replica sees it."""

from __future__ import annotations

from collections.abc import Callable

import tdm


def test_a_key_taken_is_not_new_again(new_ledger: Callable[[], str]) -> None:
    """A key once begun is in flight; once finished it replays; another body is a mismatch."""
    ledger = tdm.Ledger(new_ledger())
    try:
        store = ledger.store
        assert store.idempotency_begin("key-1", "body-a", 300)[0] == "new"
        assert store.idempotency_begin("key-1", "body-a", 300)[0] == "in_flight"
        store.idempotency_finish("key-1", 201, "{}")
        assert store.idempotency_begin("key-1", "body-a", 300) == ("replay", 201, "{}")
        assert store.idempotency_begin("key-1", "body-b", 300)[0] == "mismatch"
    finally:
        ledger.close()
