"""``python -m tdm_sut`` (``python -m sut`` from a checkout): serve both services."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tdm_sut._runner import RunningShop, serve
from tdm_sut._settings import ShopSettings, env_values

logger = logging.getLogger("tdm_sut")

# (flag, settings field, environment variable, type, default shown in --help)
_OPTIONS: tuple[tuple[str, str, str, type, str], ...] = (
    ("--host", "host", "SUT_HOST", str, "127.0.0.1"),
    ("--auth-port", "auth_port", "SUT_AUTH_PORT", int, "8001"),
    ("--backend-port", "backend_port", "SUT_BACKEND_PORT", int, "8000"),
    ("--data-dir", "data_dir", "SUT_DATA_DIR", Path, "./.sut-data"),
    ("--auth-db-url", "auth_db_url", "AUTH_DB_URL", str, "sqlite:///<data-dir>/auth.db"),
    (
        "--backend-db-url",
        "backend_db_url",
        "BACKEND_DB_URL",
        str,
        "sqlite:///<data-dir>/backend.db",
    ),
    ("--secret", "secret", "SUT_SECRET", str, "sut-dev-secret-change-me"),
    ("--admin-email", "admin_email", "SUT_ADMIN_EMAIL", str, "admin@shop.test"),
    ("--admin-password", "admin_password", "SUT_ADMIN_PASSWORD", str, "Admin-Passw0rd"),
    ("--token-ttl", "token_ttl", "SUT_TOKEN_TTL", int, "3600"),
)
_HELP = {
    "host": "interface both services listen on",
    "auth_port": "Auth Service port (0 picks a free one)",
    "backend_port": "Backend port (0 picks a free one)",
    "data_dir": "folder of the default SQLite databases",
    "auth_db_url": "Auth Service database (SQLAlchemy URL: sqlite:///path, postgresql://...)",
    "backend_db_url": "Backend database (SQLAlchemy URL)",
    "secret": "token signing key, shared by both services",
    "admin_email": "bootstrap admin, created on start if missing",
    "admin_password": "bootstrap admin's password",
    "token_ttl": "token lifetime in seconds",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sut",
        description="Run the reference shop: the Auth Service and the Backend, in one process.",
        epilog="Flags win over environment variables, which win over the defaults.",
    )
    for flag, field, variable, kind, default in _OPTIONS:
        parser.add_argument(
            flag,
            dest=field,
            type=kind,
            default=None,
            metavar=variable,
            help=f"{_HELP[field]} (environment {variable}, default {default})",
        )
    return parser


def settings_from(args: argparse.Namespace, environ: Mapping[str, str]) -> ShopSettings:
    """Defaults, overridden by the environment, overridden by the flags."""
    values: dict[str, Any] = env_values(environ)
    values.update({field: value for field, value in vars(args).items() if value is not None})
    return ShopSettings(**values)


def _announce(shop: RunningShop) -> None:
    print(f"Auth Service listening on {shop.auth_url}", flush=True)
    print(f"Backend listening on {shop.backend_url}", flush=True)


async def _serve_until_signalled(settings: ShopSettings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await serve(settings, stop=stop, ready=_announce)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    logger.info("the shop stopped")


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Parse the command line, serve until SIGINT or SIGTERM; the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = settings_from(args, os.environ if environ is None else environ)
    except ValueError as exc:
        parser.error(str(exc))
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        asyncio.run(_serve_until_signalled(settings))
    except OSError as exc:
        logger.error("the shop could not start: %s", exc)
        return 1
    return 0
