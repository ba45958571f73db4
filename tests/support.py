"""What tests need to look at the reference shop without tdm."""

from __future__ import annotations

import contextlib
import queue
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx2

import tdm
from tdm_sut import ShopThread

ADMIN = ("admin@shop.test", "Admin-Passw0rd")


class Inspector:
    """Looks at the shop as its admin would, without tdm."""

    def __init__(self, thread: ShopThread) -> None:
        self.thread = thread
        self.auth = httpx2.Client(base_url=thread.auth_url, trust_env=False, timeout=30)
        self.api = httpx2.Client(base_url=thread.backend_url, trust_env=False, timeout=30)
        token = self.auth.post(
            "/auth/login", json=dict(zip(("email", "password"), ADMIN, strict=True))
        )
        self.headers = {"Authorization": f"Bearer {token.json()['accessToken']}"}

    def close(self) -> None:
        self.auth.close()
        self.api.close()

    def env(self, *, database: bool = True) -> dict[str, str]:
        """The environment tdm reads to reach this shop (with or without database access)."""
        env = {"AUTH_SERVICE_URL": self.thread.auth_url, "BACKEND_URL": self.thread.backend_url}
        if database:
            env["AUTH_DB_URL"] = self.thread.settings.auth_db_url
            env["BACKEND_DB_URL"] = self.thread.settings.backend_db_url
        return env

    def _all(self, client: httpx2.Client, url: str, **params: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        while True:
            page = client.get(url, params={**params, "limit": 100, "offset": len(items)},
                              headers=self.headers)  # fmt: skip
            assert page.status_code == 200, page.text
            body = page.json()
            items += body["items"]
            if not body["items"] or len(items) >= body["total"]:
                return items

    def users(self, email: str | None = None) -> list[dict[str, Any]]:
        return self._all(self.auth, "/auth/users", **({"email": email} if email else {}))

    def orders(self, user_id: int | None = None) -> list[dict[str, Any]]:
        return self._all(self.api, "/api/admin/orders", **({"userId": user_id} if user_id else {}))

    def cart_items(self, user_id: int | None = None) -> list[dict[str, Any]]:
        params = {"userId": user_id} if user_id else {}
        return self._all(self.api, "/api/admin/cart-items", **params)

    def product(self, product_id: int) -> dict[str, Any] | None:
        answer = self.api.get(f"/api/products/{product_id}")
        return answer.json() if answer.status_code == 200 else None  # type: ignore[no-any-return]

    def categories(self) -> list[dict[str, Any]]:
        return self._all(self.api, "/api/categories")

    def products(self) -> list[dict[str, Any]]:
        return self._all(self.api, "/api/products")

    def exists(self, record: tdm.TrackingRecord) -> bool:
        """Whether the entity behind a tracking record is in the shop."""
        entity_id = int(record.entity_id or 0)
        if record.kind == "user":
            return any(u["id"] == entity_id for u in self.users(record.label))
        if record.kind == "order":
            return self.api.get(f"/api/orders/{entity_id}", headers=self.headers).status_code == 200
        if record.kind == "cartItem":
            return any(i["id"] == entity_id for i in self.cart_items())
        if record.kind == "product":
            return self.product(entity_id) is not None
        if record.kind == "category":
            return any(c["id"] == entity_id for c in self.categories())
        raise AssertionError(record.kind)


@contextmanager
def serving_in_thread(app: Any) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on a free port, on a thread of its own; yield its URL.

    For code under test that blocks (a sync client) while the server must keep answering.
    """
    from tdm_server._serve import _Server, bind, server_config

    sock = bind("127.0.0.1", 0)
    server = _Server(server_config(app))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive(), "the server stopped while starting"
        assert time.monotonic() < deadline, "the server did not start in 30 s"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def stop(process: subprocess.Popen[Any], signum: int, timeout: float) -> None:
    """Send ``signum`` to a process still running and wait up to ``timeout`` for it to end;
    kill it if it has not."""
    if process.poll() is not None:
        return
    process.send_signal(signum)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def lines_until_blank(process: subprocess.Popen[str], timeout: float = 30.0) -> list[str]:
    """What a process prints up to its first empty line (``tdm serve --demo``'s
    announcement)."""
    return lines_until(process, lambda found: not found[-1].strip(), timeout)


def lines_until(
    process: subprocess.Popen[str], done: Callable[[list[str]], bool], timeout: float = 30.0
) -> list[str]:
    """What a process prints until ``done(lines so far)``, read on a thread so a silent
    process cannot hang the test."""
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        with contextlib.suppress(ValueError, OSError):
            for line in process.stdout:
                lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    found: list[str] = []
    deadline = time.monotonic() + timeout
    while not found or not done(found):
        try:
            found.append(lines.get(timeout=max(deadline - time.monotonic(), 0)))
        except queue.Empty:
            raise AssertionError(f"the process printed {found} (status {process.poll()})") from None
    return found


def listening(lines: list[str], label: str) -> str:
    """The URL a ``... listening on URL`` line of ``tdm serve`` names for ``label``."""
    for line in lines:
        if line.startswith(f"{label} listening on "):
            return line.rsplit(" ", 1)[1].strip()
    raise AssertionError(f"no {label!r} in {lines}")
