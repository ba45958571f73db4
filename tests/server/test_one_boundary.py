"""The same mistake reads the same from Python, over HTTP and over MCP: one validator, one
error model; each side names fields its own way (snake_case in Python, camelCase on the wire)."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest
from mcp import Client

import tdm
from tdm_server.mcp import create_mcp_server

CASES = [
    pytest.param("user-with-orders", {"order_count": 99}, "orderCount: expected an integer "
                 "from 1 to 10, got 99", id="out-of-range"),
    pytest.param("user-with-orders", {"order_status": "lost"}, "orderStatus: expected one of "
                 "'pending', 'confirmed', 'shipped', 'delivered', got 'lost'", id="bad-enum"),
    pytest.param("cart-with-products", {"item_count": "3"}, "itemCount: expected an integer "
                 "from 1 to 10, got '3'", id="string-for-int"),
]  # fmt: skip


@pytest.mark.parametrize(("scenario", "python", "wire"), CASES)
async def test_the_same_field_message_everywhere(
    test_manager: tdm.Manager,
    client: httpx2.AsyncClient,
    scenario: str,
    python: dict[str, Any],
    wire: str,
) -> None:
    """Python, HTTP and MCP report the same problem with the same words."""
    async with test_manager.session() as s:
        with pytest.raises(tdm.InvalidParameters) as raised:
            await s.run(scenario, **python)
    (problem,) = raised.value.problems
    from_python = problem.message_in("json")

    json_args = {tdm.boundary.camel(k): v for k, v in python.items()}
    answer = await client.post(f"/api/scenarios/{scenario}", json={"parameters": json_args})
    assert answer.status_code == 422
    (field,) = answer.json()["fields"]
    from_http = field["message"]

    tool = "create_" + scenario.replace("-", "_")
    async with Client(create_mcp_server(test_manager), raise_exceptions=True) as mcp:
        result = await mcp.call_tool(tool, json_args)
    assert result.is_error
    assert result.structured_content is not None
    (mcp_field,) = result.structured_content["fields"]
    from_mcp = mcp_field["message"]

    assert from_python == from_http == from_mcp == wire
    assert wire in result.content[0].text  # type: ignore[union-attr]
    # Python names the field the way its caller wrote it.
    snake_name = next(iter(python))
    assert str(raised.value).endswith(wire.replace(tdm.boundary.camel(snake_name), snake_name))


async def test_nested_snake_case_in_python_and_camel_case_on_the_wire(
    test_manager: tdm.Manager, client: httpx2.AsyncClient
) -> None:
    """``items=[{"product_id": ...}]`` works in Python; camelCase there is refused naming the
    snake_case field, and snake_case on the wire naming the camelCase one."""
    async with test_manager.session() as s:
        product = await s.create("product")
        order = await s.create("order", items=[{"product_id": product.id, "quantity": 2}])
        assert [(i.product_id, i.quantity) for i in order.items] == [(product.id, 2)]
        with pytest.raises(tdm.InvalidParameters) as camel_in_python:
            await s.create("order", items=[{"productId": product.id}])
    assert str(camel_in_python.value) == (
        "invalid parameters for entity kind 'order': items[0].productId: not a known field; "
        "expected product_id (in Python, names are snake_case)"
    )
    answer = await client.post("/api/orders", json={"userId": 1, "items": [{"product_id": 1}]})
    assert answer.status_code == 422
    assert [f["message"] for f in answer.json()["fields"]] == [
        "items[0].product_id: not a known field; expected productId (JSON names are camelCase)"
    ]
