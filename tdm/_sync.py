"""tdm without ``await``: the core runs on an event loop in a background thread.

For code that cannot await, or that runs where an event loop is already running in the
thread (Playwright's sync API, which pytest-playwright's ``page`` uses, keeps one there):
:class:`Background` owns a thread running an event loop (an ``anyio`` blocking portal);
:class:`SyncSession` is a :class:`~tdm.Session` whose methods block until the work is done
on that loop. They return the very objects the async session returns.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from anyio.from_thread import BlockingPortal, start_blocking_portal

from ._catalog import KindRef, ScenarioRef
from ._ledger import TrackingRecord
from ._report import CleanupReport
from ._session import Created, Session

if TYPE_CHECKING:
    from ._manager import Manager

__all__ = ["Background", "SyncSession"]

T = TypeVar("T")


class Background:
    """An event loop in a thread of its own, for calls from threads that cannot await."""

    def __init__(self) -> None:
        self._portal_cm: AbstractContextManager[BlockingPortal] | None = None
        self._portal: BlockingPortal | None = None

    def start(self) -> Background:
        if self._portal is None:
            self._portal_cm = start_blocking_portal()
            self._portal = self._portal_cm.__enter__()
        return self

    def stop(self) -> None:
        """Stop the loop (after what it runs has finished) and its thread."""
        cm, self._portal_cm, self._portal = self._portal_cm, None, None
        if cm is not None:
            cm.__exit__(None, None, None)

    def __enter__(self) -> Background:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def portal(self) -> BlockingPortal:
        if self._portal is None:
            raise RuntimeError("the background loop is not running (call start())")
        return self._portal

    def call(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """``await fn(*args)`` on the background loop; its result, or its exception."""
        return self.portal.call(fn, *args)

    @contextmanager
    def session(self, manager: Manager, **options: Any) -> Iterator[SyncSession]:
        """``manager.session(**options)``, entered and left on the background loop."""
        session = manager.session(**options)
        with self.portal.wrap_async_context_manager(session):
            yield SyncSession(session, self)


class SyncSession:
    """A :class:`~tdm.Session` for code that does not await: the same methods, blocking.

    ``data = s.run("user-with-orders", order_count=3)`` gives what
    ``await session.run(...)`` gives (``data.user.email``, ``data.orders[0].number``).
    """

    def __init__(self, session: Session, background: Background) -> None:
        self.session = session
        self._background = background

    def __repr__(self) -> str:
        return f"<tdm.SyncSession of {self.session!r}>"

    # -- what a session says about itself --------------------------------------------------

    @property
    def seed(self) -> int:
        return self.session.seed

    @property
    def run_id(self) -> str:
        return self.session.run_id

    @property
    def namespace(self) -> str:
        return self.session.namespace

    @property
    def created(self) -> list[Created]:
        return self.session.created

    @property
    def tracking_ids(self) -> list[str]:
        return self.session.tracking_ids

    @property
    def report(self) -> CleanupReport | None:
        return self.session.report

    @property
    def keep(self) -> bool:
        return self.session.keep

    @keep.setter
    def keep(self, value: bool) -> None:
        self.session.keep = value

    @property
    def manager(self) -> Manager:
        return self.session.manager

    # -- what it does ----------------------------------------------------------------------

    def _call(self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        async def work() -> T:
            return await fn(*args, **kwargs)

        return self._background.call(work)

    def run(self, scenario: ScenarioRef, /, **params: Any) -> Any:
        """Run a scenario (its function or its name): :meth:`tdm.Session.run`."""
        return self._call(self.session.run, scenario, **params)

    def create(self, kind: KindRef, /, **overrides: Any) -> Any:
        """Create one entity: :meth:`tdm.Session.create`."""
        return self._call(self.session.create, kind, **overrides)

    def create_many(
        self, kind: KindRef, count: int | Sequence[Mapping[str, Any]], /, **overrides: Any
    ) -> list[Any]:
        """Create entities concurrently, ``count`` of them or one per mapping of overrides:
        :meth:`tdm.Session.create_many`."""
        return self._call(self.session.create_many, kind, count, **overrides)

    def cleanup(self, tracking_ids: list[str] | None = None) -> CleanupReport:
        """Remove what the session created so far: :meth:`tdm.Session.cleanup`."""
        return self._call(self.session.cleanup, tracking_ids)

    def records(self, tracking_ids: list[str] | None = None) -> list[TrackingRecord]:
        """The ledger's records of the session's entities: :meth:`tdm.Session.records`."""
        return self._call(self.session.records, tracking_ids)

    def client(self, target: str) -> Any:
        """The open client of ``target``; use it on the background loop (:meth:`call`)."""
        return self._call(self.session.client, target)

    def call(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """``await fn(*args)`` on the session's loop (for async helpers of a suite)."""
        return self._background.call(fn, *args)
