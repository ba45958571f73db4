"""The production guard: tdm creates and deletes data only in systems it may touch.

A system may be touched when every host its URL names is a loopback address (127.0.0.0/8,
``::1``), ``localhost``, or listed in ``TDM_ALLOWED_TARGETS`` (comma-separated host names,
patterns such as ``*.staging.example.com``, or networks such as ``10.20.0.0/16``; ``*`` allows
every host). Any other host name is refused even if it resolves to loopback today: a name can
point elsewhere tomorrow. A URL without a host (a SQLite file, a Unix socket) is local.

The checks come before anything is opened: :func:`check_targets` when a manager opens (and
``tdm serve`` starts) for every setting a registry declares ``url=True``;
:func:`guard_target` wherever a target opens a client (``tdm.HttpService.connect`` does, for
every target built on it); :func:`guard_registry` before a registry's targets are first used,
which also runs the registry's own guards (``registry.add_guard``: the system says it is a
test environment, say).
"""

from __future__ import annotations

import fnmatch
import ipaddress
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from ._errors import ALLOWED_TARGETS, TargetNotAllowed
from ._settings import Settings

if TYPE_CHECKING:
    from ._registry import Registry

__all__ = ["ALLOWED_TARGETS", "check_targets", "guard_registry", "guard_target", "is_loopback"]


def is_loopback(host: str) -> bool:
    """Whether ``host`` is ``localhost`` or a loopback address (``127.0.0.0/8``, ``::1``)."""
    host = host.strip().strip("[]").lower().rstrip(".")
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def _hosts(url: str) -> list[str]:
    """Every host a URL names: its authority's (several, for libpq's ``h1,h2``) and a
    ``host=``/``hostaddr=`` query parameter's; Unix socket paths are left out."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # not a URL one can tell the host of: no host is known to be safe
        return [url.strip().lower()]
    authority = parts.netloc.rpartition("@")[2]
    found = []
    for item in authority.split(","):
        if item.startswith("["):
            found.append(item[1:].partition("]")[0])
        elif item:
            found.append(item.partition(":")[0])
    query = parse_qs(parts.query)
    for key in ("host", "hostaddr"):
        for value in query.get(key, []):
            found += value.split(",")
    return [h.strip().lower() for h in found if h.strip() and not h.strip().startswith("/")]


def _allow_list(settings: Settings) -> list[str]:
    raw = settings.get(ALLOWED_TARGETS, "")
    return [entry.strip().lower() for entry in raw.split(",") if entry.strip()]


def _listed(host: str, allowed: Iterable[str]) -> bool:
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for entry in allowed:
        if fnmatch.fnmatchcase(host, entry):
            return True
        if address is not None and "/" in entry:
            try:
                if address in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                continue
    return False


def guard_target(url: str, settings: Settings, *, setting: str | None = None) -> None:
    """Refuse (:class:`~tdm.TargetNotAllowed`, naming the host and ``TDM_ALLOWED_TARGETS``)
    a URL whose host is not loopback, ``localhost`` or allowed; ``setting`` names where the
    URL came from. Call it before opening a client on ``url``."""
    allowed = _allow_list(settings)
    for host in _hosts(url):
        if not (is_loopback(host) or _listed(host, allowed)):
            raise TargetNotAllowed(url, host, setting=setting)


def check_targets(registries: Iterable[Registry], settings: Settings) -> None:
    """:func:`guard_target` for every URL setting (``url=True``) the registries declare, with
    its value or its default. Sends nothing: it can run before the systems are up."""
    for registry in registries:
        for declared in registry.settings:
            if declared.url:
                value = settings.get(declared.name) or declared.default
                if value:
                    guard_target(value, settings, setting=declared.name)


async def guard_registry(registry: Registry, settings: Settings) -> None:
    """:func:`check_targets` for one registry, then its own guards (``registry.add_guard``)."""
    check_targets([registry], settings)
    for guard in registry.guards:
        await guard(settings)
