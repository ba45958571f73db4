"""tdm's HTTP service and command line.

``create_app(manager)`` is the Starlette application (the design's REST API, plus an MCP
endpoint at ``/mcp`` when given an MCP server); ``main`` is the ``tdm`` command.
"""

from ._app import create_app
from ._openapi import openapi_document
from .cli import main

__all__ = ["create_app", "main", "openapi_document"]
