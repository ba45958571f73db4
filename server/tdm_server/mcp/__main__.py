"""``python -m tdm_server.mcp``: the MCP server over stdio, configured from the environment.

Reads the same settings as everything else in tdm (``TDM_LEDGER``, ``BACKEND_URL``, ...; see
the README) and the registries of installed plugins. ``tdm mcp`` does the same.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

import tdm
from tdm.boundary import redact_logs

from ._stdio import run_stdio


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tdm_server.mcp",
        description="Serve tdm's scenarios and cleanup as MCP tools over stdio.",
    )
    parser.add_argument(
        "--run-id",
        help="the run this server's data is tracked under (default: mcp-<8 hex>, a new one)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    redact_logs()  # no password in any log line
    run_stdio(tdm.Manager(), run_id=args.run_id)


if __name__ == "__main__":
    main()
