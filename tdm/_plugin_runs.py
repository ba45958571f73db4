"""How the pytest plugin holds its run: for the whole test session, from a thread.

Each pytest process (each xdist worker, with its own run) holds its run for as long as it uses
tdm: in the ledger once ``tdm_manager`` is first used, and through the tdm server once a client
fixture is (``tdm_client``, ``tdm_sync_client``). The leases are renewed by threads, whatever the
tests and their event loops are doing; a pytest run that is killed stops renewing, and the
reaper removes what its tests left once the lease runs out. At the end of the session the
holds are released: the data of failed tests kept with ``--tdm-keep-failed`` is kept for
``TDM_KEEP_FOR`` more, anything else left (a cleanup that failed) goes to the reaper.
"""

from __future__ import annotations

import logging

from ._errors import TdmError
from ._manager import Manager
from ._remote import Client

__all__ = ["PluginRun"]

log = logging.getLogger("tdm.pytest")


class PluginRun:
    """The holds of one pytest process on its run."""

    def __init__(self, run_id: str, keep_for: float) -> None:
        self.run_id, self.keep_for = run_id, keep_for
        self.kept = False
        """Whether a failed test's data was kept (it then stays ``keep_for``)."""
        self._manager: Manager | None = None
        self._clients: dict[str, Client] = {}

    def __repr__(self) -> str:
        where = ["ledger"] * (self._manager is not None) + sorted(self._clients)
        return f"<tdm PluginRun {self.run_id} held in {where or 'nothing'}>"

    def hold_in(self, manager: Manager) -> None:
        """Hold the run in ``manager``'s ledger until :meth:`release`."""
        if self._manager is None:
            manager.leases.hold(self.run_id)
            self._manager = manager

    def hold_on(self, url: str, token: str | None) -> None:
        """Hold the run through the tdm server at ``url`` until :meth:`release`."""
        if url in self._clients:
            return
        client = Client(url, run_id=self.run_id, token=token, hold=True)
        try:
            client.hold()
        except TdmError:
            client.close()
            raise
        self._clients[url] = client

    def _keep(self) -> float | None:
        return self.keep_for if self.kept else None

    def release_ledger(self) -> None:
        """End the ledger's hold: kept data stays ``keep_for``; the rest is the reaper's."""
        manager, self._manager = self._manager, None
        if manager is not None:
            manager.leases.release(self.run_id, keep_for=self._keep())

    def release_servers(self) -> None:
        """End the holds through tdm servers, as :meth:`release_ledger` does."""
        for url, client in sorted(self._clients.items()):
            try:
                client.release(self._keep())
            except TdmError as exc:  # the lease runs out by itself
                log.warning("ending the hold of run %s at %s failed: %s", self.run_id, url, exc)
            finally:
                client.close()
        self._clients.clear()
