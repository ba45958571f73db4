"""Bad arguments of every kind come back as tool errors that say what is wrong and what to do.

None of these calls reaches the system under test: the server here has no shop behind it.
"""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client
from mcp.server import MCPServer

from .support import text

ORDER_COUNT = "orderCount: expected an integer from 1 to 10, got "

CASES = [
    pytest.param("create_user_with_orders", {"orderCount": 11}, [ORDER_COUNT + "11"],
                 id="above-max"),
    pytest.param("create_user_with_orders", {"orderCount": 0}, [ORDER_COUNT + "0"],
                 id="below-min"),
    pytest.param("create_user_with_orders", {"orderCount": "three"}, [ORDER_COUNT + "'three'"],
                 id="word-for-int"),
    pytest.param("create_user_with_orders", {"orderCount": "3"}, [ORDER_COUNT + "'3'"],
                 id="string-for-int"),
    pytest.param("create_user_with_orders", {"orderCount": True}, [ORDER_COUNT + "True"],
                 id="bool-for-int"),
    pytest.param("create_user_with_orders", {"orderCount": 2.5}, [ORDER_COUNT + "2.5"],
                 id="float-for-int"),
    pytest.param("create_user_with_orders", {"orderStatus": "lost"},
                 ["orderStatus: expected one of 'pending', 'confirmed', 'shipped', 'delivered', "
                  "got 'lost'"], id="unknown-enum-value"),
    pytest.param("create_user_with_orders", {"order_count": 3},
                 ["order_count: not a known field; expected orderCount (JSON names are "
                  "camelCase)"], id="snake-case-argument"),
    pytest.param("create_empty_cart", {"itemCount": 3},
                 ["itemCount: not a known field", "it takes no parameters"],
                 id="foreign-argument"),
    pytest.param("create_usr", {},
                 ["Unknown tool 'create_usr'", "Did you mean 'create_user'?", "list_scenarios"],
                 id="unknown-tool"),
    pytest.param("create_user", {"isAdmin": "yes"},
                 ["isAdmin: expected a boolean, got 'yes'"], id="string-for-bool"),
    pytest.param("create_product", {"count": 21},
                 ["count: expected an integer from 1 to 20, got 21"], id="count-too-large"),
    pytest.param("create_order", {"items": [{"quantity": 2}]},
                 ["Invalid arguments: items[0].productId: expected an integer, got nothing (it "
                  "is required)"], id="item-without-product"),
    pytest.param("cleanup_all_data", {},
                 ["confirm: expected exactly 'delete everything'", "ALL 0 entities",
                  "cleanup_my_data"], id="missing-confirmation"),
    pytest.param("cleanup_all_data", {"confirm": "yes"},
                 ["confirm: expected one of 'delete everything' or null, got 'yes'"],
                 id="wrong-confirmation"),
    pytest.param("cleanup_by_tracking_ids", {},
                 ["trackingIds: expected a list of strings of 1 to 500 items, got nothing (it "
                  "is required)"], id="missing-required"),
    pytest.param("cleanup_by_tracking_ids", {"trackingIds": []},
                 ["trackingIds: expected a list of strings of 1 to 500 items, got []"],
                 id="empty-list"),
    pytest.param("cleanup_by_tracking_ids", {"trackingIds": "all"},
                 ["trackingIds: expected a list of strings of 1 to 500 items, got 'all'"],
                 id="string-for-list"),
    pytest.param("cleanup_older_than", {"olderThan": "soon"},
                 ["olderThan: expected a duration such as '90s', '15m', '1h' or '2d', got 'soon'"],
                 id="bad-duration"),
    pytest.param("cleanup_older_than", {"olderThan": "10m"},
                 ["olderThan: expected an age of at least 1h", "got '10m'", "cleanup_my_data"],
                 id="duration-too-short"),
    pytest.param("list_created", {"limit": 500},
                 ["limit: expected an integer from 1 to 200, got 500"], id="page-too-large"),
    pytest.param("list_created", {"kind": "invoice"},
                 ["kind: expected one of 'cartItem', 'category', 'order', 'product', 'user' or "
                  "null, got 'invoice'"], id="unknown-kind"),
    pytest.param("list_created", {"runId": "run-1", "allRuns": True},
                 ["allRuns: expected false when runId is given, got True"],
                 id="conflicting-scopes"),
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
    for phrase in phrases:
        assert phrase in message
    if tool != "create_usr":
        # The structured content is the error's JSON, as the HTTP API answers it.
        assert result.structured_content is not None
        assert result.structured_content["error"] == "validation_error"
        (field,) = result.structured_content["fields"]
        assert field["message"] in message
