"""The shop's settings: explicit data, read from the environment once when asked."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from tdm_sut._passwords import DEFAULT_COST

_MAX_PORT = 65535


def _port(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_PORT:
        raise ValueError(f"{attribute.name} must be a port from 0 to {_MAX_PORT}, got {value!r}")


def _positive(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{attribute.name} must be a positive integer, got {value!r}")


def _power_of_two(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 2 or value & (value - 1):
        raise ValueError(f"{attribute.name} must be a power of two above 1, got {value!r}")


def _non_empty(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{attribute.name} must be a non-empty string, got {value!r}")


def _sqlite_url(data_dir: Path, name: str) -> str:
    return f"sqlite:///{data_dir / name}"


def url_host(host: str) -> str:
    """The host to put in a URL for a server bound to ``host``."""
    if host in ("", "0.0.0.0"):  # noqa: S104 - mapping the wildcard to loopback, not binding
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


@attrs.frozen(kw_only=True)
class ShopSettings:
    """Everything both services need; the defaults are those of ``python -m tdm_sut``."""

    host: str = attrs.field(default="127.0.0.1", validator=_non_empty)
    auth_port: int = attrs.field(default=8001, validator=_port)
    backend_port: int = attrs.field(default=8000, validator=_port)
    data_dir: Path = attrs.field(default=Path(".sut-data"), converter=Path)
    auth_db_url: str = attrs.field(
        default=attrs.Factory(lambda self: _sqlite_url(self.data_dir, "auth.db"), takes_self=True),
        validator=_non_empty,
    )
    backend_db_url: str = attrs.field(
        default=attrs.Factory(
            lambda self: _sqlite_url(self.data_dir, "backend.db"), takes_self=True
        ),
        validator=_non_empty,
    )
    secret: str = attrs.field(default="sut-dev-secret-change-me", validator=_non_empty, repr=False)
    admin_email: str = attrs.field(default="admin@shop.test", validator=_non_empty)
    admin_password: str = attrs.field(default="Admin-Passw0rd", validator=_non_empty, repr=False)
    token_ttl: int = attrs.field(default=3600, validator=_positive)
    scrypt_n: int = attrs.field(default=DEFAULT_COST, validator=_power_of_two)
    """scrypt's cost parameter for new password hashes; tests lower it."""
    auth_url: str | None = None
    """Where the Backend's pages reach the Auth Service; None means ``http://host:auth_port``."""

    @property
    def auth_base_url(self) -> str:
        """The Auth Service URL the Backend calls, without a trailing slash."""
        if self.auth_url is not None:
            return self.auth_url.rstrip("/")
        return f"http://{url_host(self.host)}:{self.auth_port}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ShopSettings:
        """Settings from ``SUT_*``, ``AUTH_DB_URL`` and ``BACKEND_DB_URL``; defaults otherwise."""
        return cls(**env_values(os.environ if environ is None else environ))


# (field, environment variable, conversion)
ENVIRONMENT: tuple[tuple[str, str, type], ...] = (
    ("host", "SUT_HOST", str),
    ("auth_port", "SUT_AUTH_PORT", int),
    ("backend_port", "SUT_BACKEND_PORT", int),
    ("data_dir", "SUT_DATA_DIR", Path),
    ("auth_db_url", "AUTH_DB_URL", str),
    ("backend_db_url", "BACKEND_DB_URL", str),
    ("secret", "SUT_SECRET", str),
    ("admin_email", "SUT_ADMIN_EMAIL", str),
    ("admin_password", "SUT_ADMIN_PASSWORD", str),
    ("token_ttl", "SUT_TOKEN_TTL", int),
)


def env_values(environ: Mapping[str, str]) -> dict[str, Any]:
    """The `ShopSettings` keyword arguments set in ``environ`` (empty values are ignored)."""
    values: dict[str, Any] = {}
    for field, variable, convert in ENVIRONMENT:
        raw = environ.get(variable, "")
        if not raw:
            continue
        try:
            values[field] = convert(raw)
        except ValueError:
            raise ValueError(
                f"environment variable {variable} has value {raw!r}: not an integer"
            ) from None
    return values
