"""Bad arguments of every kind come back as tool errors that say what is wrong and what to do.

None of these calls reaches the system under test: the server here has no shop behind it.
"""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client
from mcp.server import MCPServer

from .support import text

UUID = "0b6f1c9e-3d1a-4f5e-9a7b-2c8d4e6f1a3b"

CASES = [
    pytest.param("create_user_with_orders", {"orderCount": 11},
                 ["orderCount", "less than or equal to 10", "input_value=11"], id="above-max"),
    pytest.param("create_user_with_orders", {"orderCount": 0},
                 ["orderCount", "greater than or equal to 1", "input_value=0"], id="below-min"),
    pytest.param("create_user_with_orders", {"orderCount": "three"},
                 ["orderCount", "valid integer", "input_value='three'"], id="word-for-int"),
    pytest.param("create_user_with_orders", {"orderCount": "3"},
                 ["orderCount", "valid integer", "input_value='3'"], id="string-for-int"),
    pytest.param("create_user_with_orders", {"orderCount": True},
                 ["orderCount", "valid integer", "input_value=True"], id="bool-for-int"),
    pytest.param("create_user_with_orders", {"orderCount": 2.5},
                 ["orderCount", "valid integer", "input_value=2.5"], id="float-for-int"),
    pytest.param("create_user_with_orders", {"orderStatus": "lost"},
                 ["orderStatus", "'pending', 'confirmed', 'shipped' or 'delivered'",
                  "input_value='lost'"], id="unknown-enum-value"),
    pytest.param("create_user_with_orders", {"order_count": 3},
                 ["Unknown argument", "'order_count' (did you mean 'orderCount'?)",
                  "It takes: orderCount, orderStatus"], id="snake-case-argument"),
    pytest.param("create_empty_cart", {"itemCount": 3},
                 ["Unknown argument", "'itemCount'", "no arguments"], id="foreign-argument"),
    pytest.param("create_usr", {},
                 ["Unknown tool 'create_usr'", "Did you mean 'create_user'?", "list_scenarios"],
                 id="unknown-tool"),
    pytest.param("create_user", {"isAdmin": "yes"},
                 ["isAdmin", "valid boolean", "input_value='yes'"], id="string-for-bool"),
    pytest.param("create_product", {"count": 21},
                 ["count", "less than or equal to 20"], id="count-too-large"),
    pytest.param("create_order", {"items": [{"quantity": 2}]},
                 ["Invalid arguments: items[0]",
                  "expected an integer, got nothing (it is required)"], id="item-without-product"),
    pytest.param("cleanup_all_data", {},
                 ["Refused", "ALL 0 entities", "confirm", "'delete everything'", "cleanup_my_data"],
                 id="missing-confirmation"),
    pytest.param("cleanup_all_data", {"confirm": "yes"},
                 ["confirm", "Input should be 'delete everything'"], id="wrong-confirmation"),
    pytest.param("cleanup_by_tracking_ids", {},
                 ["trackingIds", "Field required"], id="missing-required"),
    pytest.param("cleanup_by_tracking_ids", {"trackingIds": []},
                 ["trackingIds", "at least 1 item"], id="empty-list"),
    pytest.param("cleanup_by_tracking_ids", {"trackingIds": "all"},
                 ["trackingIds", "valid list"], id="string-for-list"),
    pytest.param("cleanup_by_tracking_ids", {"trackingIds": [UUID, "user-42"]},
                 ["Not tracking ids: 'user-42'", "UUID", "list_created"], id="bad-tracking-id"),
    pytest.param("cleanup_older_than", {"olderThan": "soon"},
                 ["olderThan: expected a duration such as '90s', '15m', '1h' or '2d', got 'soon'"],
                 id="bad-duration"),
    pytest.param("cleanup_older_than", {"olderThan": "10m"},
                 ["olderThan must be at least 1h (got '10m')", "cleanup_my_data"],
                 id="duration-too-short"),
    pytest.param("list_created", {"limit": 500},
                 ["limit", "less than or equal to 200"], id="page-too-large"),
    pytest.param("list_created", {"kind": "invoice"},
                 ["kind", "'user', 'category', 'product', 'order' or 'cartItem'"],
                 id="unknown-kind"),
    pytest.param("list_created", {"runId": "run-1", "allRuns": True},
                 ["either runId", "or allRuns=true", "not both"], id="conflicting-scopes"),
]  # fmt: skip


@pytest.mark.parametrize(("tool", "arguments", "phrases"), CASES)
async def test_bad_arguments_are_explained(
    offline_server: MCPServer, tool: str, arguments: dict[str, Any], phrases: list[str]
) -> None:
    """The call fails as a tool error whose text names the argument, what is allowed, what came."""
    async with Client(offline_server, raise_exceptions=True) as client:
        result = await client.call_tool(tool, arguments)
    message = text(result)
    assert result.is_error
    assert result.structured_content is None
    for phrase in phrases:
        assert phrase in message
    assert "errors.pydantic.dev" not in message
