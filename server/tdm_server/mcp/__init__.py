"""tdm as an MCP tool server: the same registry as the HTTP API, as tools agents can call.

:func:`create_mcp_server` builds the server: a tool per scenario and per entity kind, tools to
list scenarios, inspect what was created and clean it up, and the catalog and run ledgers as
resources. :func:`run_stdio` serves it over stdio (``tdm mcp``, ``python -m tdm_server.mcp``).
For streamable HTTP, mount ``server.streamable_http_app()`` in a Starlette app whose lifespan
runs ``server.session_manager.run()``.
"""

from ._cleanup import CONFIRMATION, MIN_AGE
from ._server import create_mcp_server
from ._stdio import run_stdio, serve_stdio

__all__ = ["CONFIRMATION", "MIN_AGE", "create_mcp_server", "run_stdio", "serve_stdio"]
