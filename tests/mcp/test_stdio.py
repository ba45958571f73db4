"""stdio: a real ``tdm mcp`` process, as desktop clients and agents start it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from ..support import Inspector
from .support import call, fail


def server_process(shop: Inspector, ledger: Path, run_id: str) -> StdioServerParameters:
    """The stdio server the way an MCP client's config starts it, on the test's shop."""
    return StdioServerParameters(
        command=str(Path(sys.executable).with_name("tdm")),
        args=["mcp", "--run-id", run_id],
        env={**shop.env(), "TDM_LEDGER": str(ledger)},
    )


@pytest.mark.usefixtures("seeded")
async def test_stdio_round_trip(shop: Inspector, ledger_path: Path, run_id: str) -> None:
    """A scenario fills a cart in the shop, a bad argument is a tool error, cleanup empties it."""
    async with Client(server_process(shop, ledger_path, run_id)) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        assert {"create_cart_with_products", "cleanup_my_data", "cleanup_all_data"} <= tools
        made = await call(client, "create_cart_with_products", {"itemCount": 3})
        user = made["data"]["user"]
        assert made["runId"] == run_id
        assert len(shop.cart_items(user["id"])) == 3
        message = await fail(client, "create_cart_with_products", {"itemCount": 30})
        assert "itemCount" in message
        assert "itemCount: expected an integer from 1 to 10, got 30" in message
        cleaned = await call(client, "cleanup_my_data")
    assert cleaned["deleted"]["cartItems"] == 3
    assert shop.cart_items(user["id"]) == []
    assert shop.users(user["email"]) == []
