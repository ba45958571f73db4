"""The ``tdm`` command: serve the HTTP API, run scenarios, seed, clean up, check health.

Exit status: 0 done; 1 failed (entities left behind, unhealthy, the system unreachable, a
scenario failed); 2 the command line or a setting is wrong (unknown scenario, bad parameter).
Settings are read once from the environment (``tdm.Settings.from_env``).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from pathlib import Path

import anyio

import tdm

from ._commands import (
    UsageError,
    cleanup_command,
    health_command,
    parse_params,
    run_command,
    scenarios_command,
    seed_command,
)
from ._errors import primary
from ._serve import DemoOptions, serve_command
from ._text import describe_error

__all__ = ["build_parser", "main"]

_ENVIRONMENT = """\
environment:
  PORT                  port of `tdm serve` (default 3001)
  AUTH_SERVICE_URL      the shop's Auth Service (default http://localhost:8001)
  BACKEND_URL           the shop's Backend (default http://localhost:8000)
  AUTH_DB_URL           the Auth Service's database, for bulk cleanup (optional)
  BACKEND_DB_URL        the Backend's database: needed to delete orders (optional)
  TDM_ADMIN_EMAIL       the shop account tdm works as (default admin@shop.test)
  TDM_ADMIN_PASSWORD    its password (default Admin-Passw0rd)
  TDM_LEDGER            the ledger file (default .tdm/ledger.sqlite3)
  TDM_RUN_ID            the run created entities are tracked under (default: a new one)
  TDM_CONCURRENCY, TDM_CLEANUP_TIMEOUT, TDM_HTTP_TIMEOUT, TDM_HTTP_RETRIES
  TDM_MCP_ALLOWED_HOSTS extra Host values /mcp accepts (comma-separated, e.g. tdm:*)
  LOG_LEVEL             debug, info, warning or error (default: info for serve)
"""

_RUN_HELP = """\
Parameters are given as options named after them, --order-count 3 (or orderCount), or
as --param orderCount=3. Values are read as JSON when they parse (3, true, [1, 2],
"007") and as text otherwise; an option without a value is true. `tdm scenarios` lists
each scenario's parameters. What the scenario creates is kept and tracked under the run
(TDM_RUN_ID): remove it with `tdm cleanup --run RUN_ID`.
"""


def _json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tdm",
        description="tdm, the Test Data Manager: create realistic test data through a "
        "system's own APIs, track every entity, remove exactly those again.",
        epilog=_ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve", help="serve the HTTP API (and /mcp)",
        description="Serve the HTTP API (the design's section 5) and the MCP endpoint at /mcp.",
    )  # fmt: skip
    serve.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (environment PORT, default 3001; 0: free)")
    serve.add_argument(
        "--demo", action="store_true",
        help="also run the reference shop in this process and point tdm at it",
    )  # fmt: skip
    serve.add_argument(
        "--data-dir", type=Path,
        help="with --demo: the shop's SQLite files (SUT_DATA_DIR, default .tdm/demo)",
    )  # fmt: skip
    serve.add_argument("--auth-port", type=int,
                       help="with --demo: the shop's Auth Service port (SUT_AUTH_PORT, default "
                       "a free one)")  # fmt: skip
    serve.add_argument("--backend-port", type=int,
                       help="with --demo: the shop's Backend port (SUT_BACKEND_PORT, default a "
                       "free one)")  # fmt: skip

    mcp = commands.add_parser(
        "mcp", help="serve MCP on stdin/stdout", description="Serve tdm's MCP tools over stdio."
    )
    mcp.add_argument("--run-id", help="run to track what the agent creates under "
                     "(default: a new mcp-<id> run)")  # fmt: skip

    scenarios = commands.add_parser("scenarios", help="list the scenario catalog")
    _json_flag(scenarios)

    run = commands.add_parser(
        "run", help="run a scenario, keep what it creates",
        usage="tdm run [-h] [--json] [--seed N] [--test-id ID] NAME [--PARAMETER VALUE ...]",
        description="Run a scenario against the configured system and print what it created.",
        epilog=_RUN_HELP, formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )  # fmt: skip
    run.add_argument("name", metavar="NAME", help="the scenario (see `tdm scenarios`)")
    run.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                     help="a parameter (repeatable)")  # fmt: skip
    run.add_argument("--seed", type=int, help="replay the data of an earlier run's seed")
    run.add_argument("--test-id", help="recorded in the ledger with each entity")
    _json_flag(run)

    seed = commands.add_parser("seed", help="seed the baseline data (idempotent)")
    seed.add_argument("--force", action="store_true", help="also reset what already exists")
    _json_flag(seed)

    cleanup = commands.add_parser(
        "cleanup", help="remove tracked entities",
        description="Remove tracked entities from the system and the ledger. Selections "
        "combine (--run X --older-than 1h); what cannot be removed stays tracked (exit 1).",
    )  # fmt: skip
    cleanup.add_argument("tracking_ids", nargs="*", metavar="TRACKING_ID")
    cleanup.add_argument("--all", action="store_true", help="everything tracked")
    cleanup.add_argument("--older-than", metavar="DURATION", help="e.g. 90s, 15m, 1h, 2d")
    cleanup.add_argument("--run", metavar="RUN_ID", help="everything of one run")
    _json_flag(cleanup)

    health = commands.add_parser("health", help="check the system's dependencies")
    _json_flag(health)
    return parser


def _configure_logging(settings: tdm.Settings, command: str) -> None:
    default = "info" if command == "serve" else "warning"
    name = settings.get("LOG_LEVEL", default).upper()
    level = logging.getLevelName(name)
    if not isinstance(level, int):
        raise tdm.ConfigError("LOG_LEVEL", name.lower(), "debug, info, warning or error")
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if level > logging.DEBUG:  # a line per request to the system under test is debugging
        logging.getLogger("httpx2").setLevel(max(level, logging.WARNING))


def _run_async(work: Callable[[], Awaitable[int]], command: str, run_id: str) -> int:
    """Run ``work``; report tdm's errors and map them to exit statuses."""
    try:
        return anyio.run(work)
    except (Exception, KeyboardInterrupt, BaseExceptionGroup) as exc:
        found = primary(exc)
        if isinstance(found, KeyboardInterrupt):
            sys.stderr.write(f"tdm {command}: interrupted; what was created so far stays "
                             f"tracked under run {run_id}\n")  # fmt: skip
            return 130
        if not isinstance(found, tdm.TdmError | UsageError | OSError):
            raise
        sys.stderr.write(f"tdm {command}: {describe_error(found)}\n")
        return _exit_status(found)


def _mcp(settings: tdm.Settings, run_id: str | None) -> int:
    from .mcp import run_stdio

    run_stdio(tdm.Manager(settings), run_id=run_id)
    return 0


def _serve(args: argparse.Namespace, settings: tdm.Settings) -> int:
    port = args.port if args.port is not None else settings.get("PORT", 3001, int)
    demo = None
    if args.demo:
        demo = DemoOptions(
            data_dir=args.data_dir or Path(settings.get("SUT_DATA_DIR", ".tdm/demo")),
            auth_port=_port(args.auth_port, settings, "SUT_AUTH_PORT"),
            backend_port=_port(args.backend_port, settings, "SUT_BACKEND_PORT"),
        )
    for value in (port, *((demo.auth_port, demo.backend_port) if demo else ())):
        if not 0 <= value <= 65535:
            raise UsageError(f"{value} is not a port (0 to 65535)")
    return _run_async(
        lambda: serve_command(settings, host=args.host, port=port, demo=demo,
                              out=sys.stdout, err=sys.stderr),
        "serve", settings.run_id,
    )  # fmt: skip


def _port(flag: int | None, settings: tdm.Settings, key: str) -> int:
    return flag if flag is not None else settings.get(key, 0, int)


def _dispatch(args: argparse.Namespace, extra: list[str], settings: tdm.Settings) -> int:
    command: str = args.command
    if command == "serve":
        return _serve(args, settings)
    if command == "mcp":
        return _mcp(settings, args.run_id)
    if command == "scenarios":
        return scenarios_command(tdm.default_registry(), as_json=args.json, out=sys.stdout)
    params = parse_params(extra, args.param) if command == "run" else {}
    manager = tdm.Manager(settings)
    io = {"as_json": args.json, "out": sys.stdout}
    work: Callable[[], Awaitable[int]]
    if command == "run":
        work = partial(run_command, manager, args.name, params, seed=args.seed,
                       test_id=args.test_id, err=sys.stderr, **io)  # fmt: skip
    elif command == "seed":
        work = partial(seed_command, manager, force=args.force, err=sys.stderr, **io)
    elif command == "cleanup":
        work = partial(cleanup_command, manager, tracking_ids=args.tracking_ids, run_id=args.run,
                       older_than=args.older_than, all=args.all, err=sys.stderr, **io)  # fmt: skip
    else:
        work = partial(health_command, manager, **io)
    try:
        return _run_async(work, command, settings.run_id)
    finally:
        manager.ledger.close()


def _exit_status(exc: BaseException) -> int:
    usage = (UsageError, tdm.InvalidParameters, tdm.NotFound, tdm.ConfigError)
    return 2 if isinstance(exc, usage) else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``tdm`` command with ``argv`` (default ``sys.argv[1:]``); the exit status."""
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra and args.command != "run":
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as exc:  # --help, or a usage error argparse has reported
        return exc.code if isinstance(exc.code, int) else 2
    try:
        settings = tdm.Settings.from_env()
        _configure_logging(settings, args.command)
        return _dispatch(args, extra, settings)
    except (UsageError, tdm.TdmError) as exc:
        sys.stderr.write(f"tdm {args.command}: {describe_error(exc)}\n")
        return _exit_status(exc)
