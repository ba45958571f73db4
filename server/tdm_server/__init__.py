"""tdm's HTTP service and command line.

``create_app(manager)`` is the Starlette application (the design's REST API, plus an MCP
endpoint at ``/mcp`` when given an MCP server); ``main`` is the ``tdm`` command.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._app import create_app
    from ._openapi import openapi_document
    from .cli import main

__all__ = ["create_app", "main", "openapi_document"]

_WHERE = {"create_app": "._app", "main": ".cli", "openapi_document": "._openapi"}


def __getattr__(name: str) -> Any:
    """Import each name on first use: the ``tdm`` command (``tdm_server.cli``) starts without
    loading Starlette, the MCP server or the ledger."""
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    member = getattr(importlib.import_module(_WHERE[name], __name__), name)
    globals()[name] = member
    return member
