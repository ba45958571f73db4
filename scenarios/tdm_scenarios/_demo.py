"""The reference shop as a demo: started in the caller's event loop, tdm pointed at it.

``tdm serve --demo`` (and the pytest plugin's ``--tdm-demo``) start it through the registry's
demo plug point; nothing in tdm's core or server knows the shop.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import attrs

import tdm

from ._client import DEFAULTS

__all__ = ["DESIGN_PORTS", "shop_demo"]


DESIGN_PORTS: Mapping[str, int] = {"auth": 8001, "backend": 8000}
"""The design's ports of the Auth Service and the Backend, used when they are free."""

_SERVICES = {"auth": ("SUT_AUTH_PORT", "Auth Service"), "backend": ("SUT_BACKEND_PORT", "Backend")}


def _free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _ports(
    settings: tdm.Settings, host: str, preferred: Mapping[str, int]
) -> tuple[dict[str, int], list[str]]:
    """Each service's port: its setting's if set (0: a free one), else the preferred one when
    it is free, else a free one; and the services whose preferred port was taken."""
    ports, taken = {}, []
    for service, (key, _) in _SERVICES.items():
        given = settings.get(key, None, int)
        if given is not None:
            ports[service] = given
        elif _free(host, preferred[service]):
            ports[service] = preferred[service]
        else:
            ports[service] = 0
            taken.append(service)
    return ports, taken


@asynccontextmanager
async def shop_demo(
    settings: tdm.Settings, data_dir: Path, *, preferred: Mapping[str, int] = DESIGN_PORTS
) -> AsyncIterator[tdm.Demo]:
    """Run the reference shop (SQLite files in ``data_dir`` unless ``AUTH_DB_URL`` and
    ``BACKEND_DB_URL`` name databases) and yield the settings that point tdm at it.

    The Auth Service listens on ``SUT_AUTH_PORT`` and the Backend on ``SUT_BACKEND_PORT``
    (0: a free port); unset, on the ``preferred`` ports (the design's 8001 and 8000) when
    they are free, else on free ones, and a note says so."""
    from tdm_sut import ShopSettings, running_shop

    where = await anyio.Path(data_dir).resolve()
    await where.mkdir(parents=True, exist_ok=True)
    host = "127.0.0.1"
    ports, taken = _ports(settings, host, preferred)
    shop_settings = ShopSettings(
        host=host,
        auth_port=ports["auth"],
        backend_port=ports["backend"],
        data_dir=Path(where),
        admin_email=settings.get("TDM_ADMIN_EMAIL", DEFAULTS["TDM_ADMIN_EMAIL"]),
        admin_password=settings.get("TDM_ADMIN_PASSWORD", DEFAULTS["TDM_ADMIN_PASSWORD"]),
    )
    shop_settings = attrs.evolve(
        shop_settings,
        auth_db_url=settings.get("AUTH_DB_URL") or shop_settings.auth_db_url,
        backend_db_url=settings.get("BACKEND_DB_URL") or shop_settings.backend_db_url,
    )
    async with running_shop(shop_settings) as shop:
        env = {
            "AUTH_SERVICE_URL": shop.auth_url,
            "BACKEND_URL": shop.backend_url,
            "AUTH_DB_URL": shop.settings.auth_db_url,
            "BACKEND_DB_URL": shop.settings.backend_db_url,
            "TDM_ADMIN_EMAIL": shop.settings.admin_email,
            "TDM_ADMIN_PASSWORD": shop.settings.admin_password,
        }
        yield tdm.Demo(
            env=env,
            services=(("Auth Service (demo shop)", shop.auth_url),
                      ("Backend (demo shop)", shop.backend_url)),
            notes=(
                *(_moved(service, preferred[service], url)
                  for service, url in (("auth", shop.auth_url), ("backend", shop.backend_url))
                  if service in taken),
                f"The shop's pages: {shop.backend_url}/products; its own admin (tdm works as "
                f"it): {shop.settings.admin_email}; its data: {where}",
            ),
        )  # fmt: skip


def _moved(service: str, port: int, url: str) -> str:
    key, label = _SERVICES[service]
    return (
        f"Port {port} (the design's {label} port) is in use, so the {label} listens on {url} "
        f"instead ({key} chooses a port)."
    )
