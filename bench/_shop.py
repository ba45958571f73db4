"""Start the reference shop in a process of its own, so it does not share a core with tdm."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2

__all__ = ["Shop", "shop_process"]


class Shop:
    def __init__(
        self, auth_url: str, backend_url: str, data_dir: Path,
        databases: tuple[str, str] | None = None,
    ) -> None:  # fmt: skip
        self.auth_url, self.backend_url, self.data_dir = auth_url, backend_url, data_dir
        self.databases = databases or (
            f"sqlite:///{data_dir / 'auth.db'}",
            f"sqlite:///{data_dir / 'backend.db'}",
        )

    def env(self) -> dict[str, str]:
        return {
            "AUTH_SERVICE_URL": self.auth_url,
            "BACKEND_URL": self.backend_url,
            "AUTH_DB_URL": self.databases[0],
            "BACKEND_DB_URL": self.databases[1],
        }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def shop_process(data_dir: Path, databases: tuple[str, str] | None = None) -> Iterator[Shop]:
    """``python -m tdm_sut`` on free ports with SQLite files in ``data_dir`` (or on the
    ``databases`` (auth, backend) URLs)."""
    auth, backend = _free_port(), _free_port()
    shop = Shop(f"http://127.0.0.1:{auth}", f"http://127.0.0.1:{backend}", data_dir, databases)
    args = [sys.executable, "-m", "tdm_sut", "--auth-port", str(auth),
            "--backend-port", str(backend), "--data-dir", str(data_dir),
            "--auth-db-url", shop.databases[0], "--backend-db-url", shop.databases[1]]  # fmt: skip
    process = subprocess.Popen(args, stderr=subprocess.DEVNULL, env=os.environ.copy())
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if all(
                    httpx2.get(f"{url}/{path}/health").status_code == 200
                    for url, path in ((shop.auth_url, "auth"), (shop.backend_url, "api"))
                ):
                    break
            except httpx2.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the shop did not start")
            time.sleep(0.05)
        yield shop
    finally:
        process.terminate()
        process.wait(timeout=30)
