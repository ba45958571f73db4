"""Run ids: made here and only here, and checked here wherever one arrives.

A run groups what one test run, client, agent or command created, so one cleanup by run
removes it all. Ids are sortable by time and unique across machines
(``run-20261124T021500-3f9a1c``); a run that belongs to another (an xdist worker of a test run,
an MCP session of a server) gets a derived id (``run-...-gw0``).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time

__all__ = ["RUN_ID_RULE", "child_run_id", "is_run_id", "new_run_id", "session_run_id"]

RUN_ID_RULE = "1 to 128 characters: letters, digits and . _ : / @ + -"
_RUN_ID = re.compile(r"[A-Za-z0-9._:/@+-]{1,128}")


def new_run_id(prefix: str = "run") -> str:
    """A fresh run id: ``run-20261124T021500-3f9a1c`` (``prefix`` replaces ``run``)."""
    return f"{prefix}-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{secrets.token_hex(3)}"


def child_run_id(base: str, part: str) -> str:
    """The run of one part of ``base`` (an xdist worker ``gw0``): ``<base>-<part>``."""
    return f"{base}-{part}"[:128]


def session_run_id(base: str, session: str) -> str:
    """The run of one session of a server (an MCP session id), derived so any replica that
    sees the same session id finds the same run."""
    return child_run_id(base, hashlib.sha256(session.encode()).hexdigest()[:8])


def is_run_id(value: object) -> bool:
    return isinstance(value, str) and _RUN_ID.fullmatch(value) is not None
