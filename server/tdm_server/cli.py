"""The ``tdm`` command: serve the HTTP API, run scenarios, seed, clean up, check health.

Exit status: 0 done; 1 failed (entities left behind, unhealthy, the system unreachable, a
scenario failed); 2 the command line or a setting is wrong (unknown scenario, bad parameter).
Settings are read once from the environment (``tdm.Settings.from_env``).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import tdm
from tdm import boundary

# Only what builds the parser is imported up front: `tdm --help` and a usage error answer
# without loading the server, SQLAlchemy or httpx2 (each command imports what it runs).
from ._codegen import add_codegen_command
from ._run_commands import add_run_commands
from ._suggest import SuggestingParser, unrecognized

__all__ = ["build_parser", "main"]

_ENVIRONMENT = """\
environment:
  TDM_REGISTRIES        installed registries to use, comma-separated (default: all)
  TDM_LEDGER            the ledger: a file (default: .tdm/ledger.sqlite3 of the project,
                        found from any of its folders) or postgresql://USER@HOST/DATABASE
  TDM_RUN_ID            the run created entities are tracked under (default: a new one)
  TDM_CONCURRENCY, TDM_CLEANUP_TIMEOUT, TDM_HTTP_TIMEOUT, TDM_HTTP_RETRIES, TDM_PENDING_GRACE
  TDM_LEASE_TTL         how long a run's holder may be silent before it counts as dead (60s)
  TDM_HEARTBEAT_INTERVAL  how often holders renew their runs' leases (10s)
  TDM_KEEP_FOR          how long kept data stays before it is reaped (1d)
  TDM_REAPER, TDM_REAPER_INTERVAL  whether and how often `tdm serve` sweeps dead runs (on, 10s)
  TDM_CLAIM_TTL         how long a sweeper's claim on a dead run lasts unrenewed (60s)
  TDM_SECRET            seals what the ledger keeps to act as users tdm created
  TDM_API_TOKEN         tokens the API and /mcp require (Authorization: Bearer; comma-separated)
  TDM_ALLOWED_HOSTS     extra Host names the API and /mcp answer (e.g. tdm, tdm:3001; also
                        read as TDM_MCP_ALLOWED_HOSTS)
  TDM_ALLOWED_ORIGINS   browser origins besides the server's own (e.g. http://localhost:5173)
  TDM_ALLOWED_TARGETS   hosts besides loopback tdm may create and delete data in (names,
                        patterns such as *.staging.example.com, networks; comma-separated)
  PORT                  port of `tdm serve` (default 3001)
  LOG_LEVEL             debug, info, warning or error (default: info for serve)
The registries' own settings (a system's URLs, say): `tdm registries`.
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
    parser = SuggestingParser(
        prog="tdm",
        description="tdm, the Test Data Manager: create realistic test data through a "
        "system's own APIs, track every entity, remove exactly those again.",
        epilog=_ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    shared = SuggestingParser(add_help=False)
    shared.add_argument(
        "--registry", action="append", metavar="NAME", dest="registries",
        help="use this installed registry (repeatable; default: TDM_REGISTRIES, or all)",
    )  # fmt: skip
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, **options: Any) -> argparse.ArgumentParser:
        return commands.add_parser(name, parents=[shared], **options)

    serve = command(
        "serve", help="serve the HTTP API (and /mcp)",
        description="Serve the HTTP API (the design's section 5) and the MCP endpoint at /mcp.",
    )  # fmt: skip
    serve.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1); "
                       "another than loopback needs TDM_API_TOKEN or --insecure")  # fmt: skip
    serve.add_argument(
        "--insecure", action="store_true",
        help="serve an address other than loopback without TDM_API_TOKEN (anyone who can "
        "reach it can create and delete data)",
    )  # fmt: skip
    serve.add_argument("--port", type=int, help="port (environment PORT, default 3001; 0: free)")
    serve.add_argument(
        "--demo", action="store_true",
        help="also start the registries' demo systems (the reference shop) in this process "
        "and point tdm at them",
    )  # fmt: skip
    serve.add_argument(
        "--data-dir", type=Path,
        help="with --demo: where the demo systems keep their data (default: the project's "
        ".tdm/demo)",
    )  # fmt: skip

    mcp = command(
        "mcp", help="serve MCP on stdin/stdout", description="Serve tdm's MCP tools over stdio."
    )
    mcp.add_argument("--run-id", help="run to track what the agent creates under "
                     "(default: a new mcp-<id> run)")  # fmt: skip

    registries = command("registries", help="list the installed registries and their settings")
    _json_flag(registries)

    scenarios = command("scenarios", help="list the scenario catalog")
    _json_flag(scenarios)

    run = command(
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

    seed = command("seed", help="seed the baseline data (idempotent)")
    seed.add_argument("--force", action="store_true", help="also reset what already exists")
    _json_flag(seed)

    cleanup = command(
        "cleanup", help="remove tracked entities",
        description="Remove tracked entities from the system and the ledger. Selections "
        "combine (--run X --older-than 1h); what cannot be removed stays tracked (exit 1).",
    )  # fmt: skip
    cleanup.add_argument("tracking_ids", nargs="*", metavar="TRACKING_ID")
    cleanup.add_argument("--all", action="store_true", help="everything tracked")
    cleanup.add_argument("--older-than", metavar="DURATION", help="e.g. 90s, 15m, 1h, 2d")
    cleanup.add_argument("--run", metavar="RUN_ID", help="everything of one run")
    _json_flag(cleanup)

    health = command("health", help="check the system's dependencies")
    _json_flag(health)
    add_codegen_command(command)
    add_run_commands(command)
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
    boundary.redact_logs()  # no password in any log line
    if level > logging.DEBUG:  # a line per request to the system under test is debugging
        logging.getLogger("httpx2").setLevel(max(level, logging.WARNING))


def _run_async(work: Callable[[], Awaitable[int]], command: str, run_id: str) -> int:
    """Run ``work``; report tdm's errors and map them to exit statuses. SIGINT and SIGTERM
    cancel it (cleanups run first) and exit with 128 plus the signal's number."""
    from ._commands import UsageError
    from ._signals import Signalled, run_until_signalled
    from ._text import describe_error

    try:
        outcome = run_until_signalled(work)
    except (Exception, KeyboardInterrupt, BaseExceptionGroup) as exc:
        found = boundary.unwrap(exc)
        if isinstance(found, KeyboardInterrupt):
            outcome = Signalled(signal.SIGINT)
        else:
            if not isinstance(found, tdm.TdmError | UsageError | OSError):
                raise
            sys.stderr.write(f"tdm {command}: {boundary.redact(describe_error(found))}\n")
            return _exit_status(found)
    if isinstance(outcome, Signalled):
        sys.stderr.write(f"tdm {command}: stopped by {outcome.name}; what an unfinished "
                         "scenario had made was removed, and anything left stays tracked under "
                         f"run {run_id}\n")  # fmt: skip
        return outcome.status
    return outcome


def _mcp(settings: tdm.Settings, run_id: str | None) -> int:
    from .mcp import serve_stdio

    async def serve() -> int:
        await serve_stdio(tdm.Manager(settings), run_id=run_id)
        return 0

    return _run_async(serve, "mcp", run_id or "mcp")


def _serve(args: argparse.Namespace, settings: tdm.Settings) -> int:
    from ._commands import UsageError
    from ._serve import serve_command

    port = args.port if args.port is not None else settings.get("PORT", 3001, int)
    if not 0 <= port <= 65535:
        raise UsageError(f"{port} is not a port (0 to 65535)")
    demo = settings_file = None
    if args.demo:
        demo = args.data_dir or Path(
            settings.get("SUT_DATA_DIR") or boundary.project_dir() / ".tdm" / "demo"
        )
        settings_file = boundary.demo_env_path(boundary.project_dir())
    return _run_async(
        lambda: serve_command(settings, host=args.host, port=port, demo=demo,
                              out=sys.stdout, err=sys.stderr, insecure=args.insecure,
                              settings_file=settings_file),
        "serve", settings.run_id,
    )  # fmt: skip


def _with_run(args: argparse.Namespace, settings: tdm.Settings) -> int:
    from ._with_run import with_run_command

    argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    if args.run_id:
        if not boundary.is_run_id(args.run_id):
            raise tdm.ConfigError("--run-id", args.run_id, boundary.RUN_ID_RULE)
        settings = settings.evolve(run_id=args.run_id)
    url = args.url or settings.get("TEST_DATA_MANAGER_URL")
    return with_run_command(settings, argv, keep=args.keep, url=url, err=sys.stderr)


def _dispatch(args: argparse.Namespace, extra: list[str], settings: tdm.Settings) -> int:
    from . import _commands as run
    from ._codegen import codegen_command
    from ._run_commands import ledger_command, reap_command, runs_command

    command: str = args.command
    if command == "serve":
        return _serve(args, settings)
    if command == "mcp":
        return _mcp(settings, args.run_id)
    if command == "scenarios":
        catalog = tdm.Catalog.from_settings(settings)
        return run.scenarios_command(catalog, as_json=args.json, out=sys.stdout)
    if command == "registries":
        return run.registries_command(settings, as_json=args.json, out=sys.stdout)
    if command == "codegen":
        return codegen_command(args, settings)
    if command == "ledger":
        return ledger_command(str(settings.ledger_path), args.ledger_action, out=sys.stdout)
    if command == "with-run":
        return _with_run(args, settings)
    params = run.parse_params(extra, args.param) if command == "run" else {}
    manager = tdm.Manager(settings)
    io = {"as_json": args.json, "out": sys.stdout}
    work: Callable[[], Awaitable[int]]
    if command == "run":
        work = partial(run.run_command, manager, args.name, params, seed=args.seed,
                       test_id=args.test_id, err=sys.stderr, **io)  # fmt: skip
    elif command == "seed":
        work = partial(run.seed_command, manager, force=args.force, err=sys.stderr, **io)
    elif command == "cleanup":
        work = partial(run.cleanup_command, manager, tracking_ids=args.tracking_ids,
                       run_id=args.run, older_than=args.older_than, all=args.all,
                       err=sys.stderr, **io)  # fmt: skip
    elif command == "reap":
        work = partial(reap_command, manager, **io)
    elif command == "runs":
        work = partial(runs_command, manager, limit=args.limit, **io)
    else:
        work = partial(run.health_command, manager, **io)
    try:
        return _run_async(work, command, settings.run_id)
    finally:
        manager.ledger.close()


def _exit_status(exc: BaseException) -> int:
    from ._commands import UsageError

    usage = (UsageError, tdm.InvalidParameters, tdm.NotFound, tdm.ConfigError)
    return 2 if isinstance(exc, usage) else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``tdm`` command with ``argv`` (default ``sys.argv[1:]``); the exit status."""
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra and args.command != "run":
            unrecognized(parser, args.command, extra)
    except SystemExit as exc:  # --help, or a usage error argparse has reported
        return exc.code if isinstance(exc.code, int) else 2
    from ._commands import UsageError
    from ._text import describe_error

    try:
        # A demo of its own is not pointed at another one's settings (.tdm/demo.env).
        own_demo = args.command == "serve" and args.demo
        settings = tdm.Settings.from_env(demo_env=not own_demo)
        if args.registries:
            settings = settings.evolve(registries=tuple(args.registries))
        _configure_logging(settings, args.command)
        return _dispatch(args, extra, settings)
    except (UsageError, tdm.TdmError) as exc:
        sys.stderr.write(f"tdm {args.command}: {boundary.redact(describe_error(exc))}\n")
        return _exit_status(exc)
