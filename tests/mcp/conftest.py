"""Fixtures for the MCP server: servers on the shop's catalog, online and offline.

A fixture must not yield an MCP ``Client`` (its teardown would exit a cancel scope in another
task): each test opens its client itself.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from mcp.server import MCPServer

import tdm
import tdm_scenarios
from tdm_server.mcp import create_mcp_server


@pytest.fixture
def run_id() -> str:
    """The base run of the test's server."""
    return f"mcp-test-{uuid.uuid4().hex[:6]}"


@pytest.fixture
async def open_manager(manager: tdm.Manager) -> AsyncIterator[tdm.Manager]:
    """The shop's manager, open as a server keeps it (clients shared by every call)."""
    async with manager:
        yield manager


@pytest.fixture
def server(open_manager: tdm.Manager, run_id: str) -> MCPServer:
    """The MCP server on the running shop."""
    return create_mcp_server(open_manager, run_id=run_id)


@pytest.fixture
def offline_server(tmp_path: Path, run_id: str) -> Iterator[MCPServer]:
    """The MCP server on the shop's catalog with no shop behind it (listing, validation)."""
    settings = tdm.Settings(ledger_path=tmp_path / "ledger.sqlite3", run_id="unused", env={})
    manager = tdm.Manager(settings, registry=tdm_scenarios.registry)
    yield create_mcp_server(manager, run_id=run_id)
    manager.ledger.close()
