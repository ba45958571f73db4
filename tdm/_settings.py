"""Configuration: read once from the environment, validated, then passed along explicitly."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar, overload

import attrs

from ._errors import ConfigError

__all__ = ["Settings", "new_run_id"]

T = TypeVar("T")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def new_run_id() -> str:
    """A fresh run id: sortable by time, unique across machines (``run-20261124T0215-3f9a1c``)."""
    return f"run-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{secrets.token_hex(3)}"


def _positive_int(key: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigError(key, raw, "a whole number of at least 1")
    return value


def _positive_float(key: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise ConfigError(key, raw, "a number of seconds greater than 0")
    return value


@attrs.frozen(kw_only=True)
class Settings:
    """tdm's settings. :meth:`from_env` reads them once; tests build them directly.

    ``env`` keeps the whole environment seen at that moment so that targets (the shop's
    ``AUTH_SERVICE_URL`` and friends) read their own keys through :meth:`get`.
    """

    ledger_path: Path = Path(".tdm/ledger.sqlite3")
    run_id: str = attrs.field(factory=new_run_id)
    concurrency: int = 8
    cleanup_timeout: float = 60.0
    http_timeout: float = 10.0
    http_retries: int = 3
    env: Mapping[str, str] = attrs.field(factory=dict, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read ``TDM_*`` settings (see README) from ``environ`` (default: ``os.environ``)."""
        env = dict(os.environ if environ is None else environ)
        get = env.get
        return cls(
            ledger_path=Path(get("TDM_LEDGER") or ".tdm/ledger.sqlite3"),
            run_id=get("TDM_RUN_ID") or new_run_id(),
            concurrency=_positive_int("TDM_CONCURRENCY", get("TDM_CONCURRENCY", "8")),
            cleanup_timeout=_positive_float(
                "TDM_CLEANUP_TIMEOUT", get("TDM_CLEANUP_TIMEOUT", "60")
            ),
            http_timeout=_positive_float("TDM_HTTP_TIMEOUT", get("TDM_HTTP_TIMEOUT", "10")),
            http_retries=_positive_int("TDM_HTTP_RETRIES", get("TDM_HTTP_RETRIES", "3")),
            env=env,
        )

    @overload
    def get(self, key: str) -> str | None: ...
    @overload
    def get(self, key: str, default: str) -> str: ...
    @overload
    def get(self, key: str, default: T, cast: Callable[[str], T]) -> T: ...

    def get(self, key: str, default: Any = None, cast: Callable[[str], Any] | None = None) -> Any:
        """A target's own setting: ``settings.get("BACKEND_URL", "http://127.0.0.1:8000")``.

        With ``cast``, a value that does not convert raises :class:`ConfigError` naming the key.
        """
        raw = self.env.get(key)
        if raw is None or raw == "":
            return default
        if cast is None:
            return raw
        if cast is bool:
            lowered = raw.strip().lower()
            if lowered in _TRUE | _FALSE:
                return lowered in _TRUE
            raise ConfigError(key, raw, "a boolean (1/0, true/false, yes/no, on/off)")
        try:
            return cast(raw)
        except (TypeError, ValueError) as exc:
            raise ConfigError(key, raw, f"a value accepted by {cast.__name__}") from exc

    def evolve(self, **changes: Any) -> Settings:
        """A copy with some fields changed."""
        return attrs.evolve(self, **changes)
