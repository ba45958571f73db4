"""The tools and resources the server offers, generated from the shop's registry."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from mcp import Client
from mcp.server import MCPServer
from mcp.types import TextResourceContents, Tool

import tdm
import tdm_scenarios

from .support import call

SCENARIO_TOOLS = {
    "baseline": "create_baseline",
    "user-with-orders": "create_user_with_orders",
    "cart-with-products": "create_cart_with_products",
    "empty-cart": "create_empty_cart",
    "admin-user": "create_admin_user",
}
ENTITY_TOOLS = [
    "create_user",
    "create_category",
    "create_product",
    "create_order",
    "create_cart_item",
]
# (readOnly, destructive, idempotent) per tool; None where a hint is left out
HINTS = {
    **dict.fromkeys([*SCENARIO_TOOLS.values(), *ENTITY_TOOLS], (False, False, False)),
    "list_scenarios": (True, None, None),
    "list_created": (True, None, None),
    "check_health": (True, None, None),
    **dict.fromkeys(
        [
            "cleanup_my_data",
            "cleanup_run",
            "cleanup_by_tracking_ids",
            "cleanup_older_than",
            "cleanup_all_data",
        ],
        (False, True, True),
    ),
}


async def _tools(server: MCPServer) -> dict[str, Tool]:
    async with Client(server, raise_exceptions=True) as client:
        return {t.name: t for t in (await client.list_tools()).tools}


async def test_one_tool_per_scenario_and_kind(offline_server: MCPServer) -> None:
    """Each scenario and entity kind has a snake_case tool; names fit every client's rules."""
    tools = await _tools(offline_server)
    assert set(tools) == set(HINTS)
    assert set(tdm_scenarios.registry.scenarios) == set(SCENARIO_TOOLS)
    for name in tools:
        assert re.fullmatch(r"[a-z][a-z0-9_]{0,63}", name), name


async def test_annotations_are_truthful(offline_server: MCPServer) -> None:
    """Creating tools are neither read-only nor destructive; cleanup is destructive, idempotent."""
    tools = await _tools(offline_server)
    found = {
        name: (t.annotations.read_only_hint, t.annotations.destructive_hint,
               t.annotations.idempotent_hint)
        for name, t in tools.items() if t.annotations is not None
    }  # fmt: skip
    assert found == HINTS


async def test_scenario_schema_comes_from_its_parameters(offline_server: MCPServer) -> None:
    """Bounds, enum, defaults and descriptions of user-with-orders reach the input schema."""
    tool = (await _tools(offline_server))["create_user_with_orders"]
    props = tool.input_schema["properties"]
    assert props["orderCount"] == {
        "type": "integer", "minimum": 1, "maximum": 10, "default": 2,
        "description": "How many orders to create",
    }  # fmt: skip
    assert props["orderStatus"]["enum"] == ["pending", "confirmed", "shipped", "delivered"]
    assert props["orderStatus"]["default"] == "delivered"
    assert tool.input_schema.get("required", []) == []
    assert tool.description is not None
    assert tool.description.startswith("A user with purchase history")
    assert "cleanup_my_data" in tool.description
    assert "orders [{id, number" in tool.description


async def test_every_tool_has_structured_output(offline_server: MCPServer) -> None:
    """Every tool declares an object output schema and a description naming what comes next."""
    for name, tool in (await _tools(offline_server)).items():
        assert tool.output_schema is not None, name
        assert tool.output_schema["type"] == "object", name
        assert tool.description is not None, name
        assert len(tool.description) > 80, name


async def test_a_kinds_tool_is_described_in_its_own_words(offline_server: MCPServer) -> None:
    """A kind's tool says what the kind's own docstring says (create_product), or plainly what
    it makes when the kind has none (create_category): never the base class's text."""
    tools = await _tools(offline_server)
    product = tools["create_product"].description or ""
    category = tools["create_category"].description or ""
    assert "Products; without a ``category_id``" in product
    assert "Entities of kind 'category'." in category
    base = " ".join((tdm.Kind.__doc__ or "").split())[:60]
    assert base not in product
    assert base not in category
    assert "cleanup_run" in tools


async def test_entity_tool_takes_every_field(offline_server: MCPServer) -> None:
    """create_order takes the order's fields (items as objects with the shop's bounds, status as
    an enum) and count."""
    schema = (await _tools(offline_server))["create_order"].input_schema
    props = schema["properties"]
    assert set(props) == {"shippingAddress", "userId", "items", "status", "count"}
    items = next(s for s in props["items"]["anyOf"] if s.get("type") == "array")
    assert items["items"]["properties"] == {
        "productId": {"type": "integer", "description": "Product id"},
        "quantity": {
            "type": "integer",
            "minimum": 1,
            "maximum": 10000,
            "description": "Units, 1 to 10000",
        },
    }
    assert props["userId"]["description"].startswith("The ordering user")
    assert "cancelled" in props["status"]["enum"]
    assert props["count"]["maximum"] == 20
    assert schema.get("required", []) == []


async def test_list_scenarios_names_each_tool(offline_server: MCPServer) -> None:
    """list_scenarios gives each scenario's tool, parameter schema and result shape."""
    async with Client(offline_server, raise_exceptions=True) as client:
        catalog = await call(client, "list_scenarios")
    by_name: dict[str, Any] = {s["name"]: s for s in catalog["scenarios"]}
    assert {n: s["tool"] for n, s in by_name.items()} == SCENARIO_TOOLS
    assert by_name["cart-with-products"]["parameters"]["properties"]["itemCount"]["maximum"] == 10
    assert by_name["admin-user"]["returns"].startswith("{user {id, email, password")
    assert by_name["admin-user"]["result"]["properties"]["user"]["type"] == "object"
    assert [k["tool"] for k in catalog["entityKinds"]] == ENTITY_TOOLS
    assert "tool" in catalog["next"]


@pytest.mark.parametrize("uri", ["tdm://scenarios", "tdm://runs/current"])
async def test_resources_are_listed(offline_server: MCPServer, uri: str) -> None:
    """The catalog and the current run are resources; any run is a resource template."""
    async with Client(offline_server, raise_exceptions=True) as client:
        listed = {str(r.uri) for r in (await client.list_resources()).resources}
        templates = [
            t.uri_template for t in (await client.list_resource_templates()).resource_templates
        ]
        (content,) = (await client.read_resource(uri)).contents
    assert uri in listed
    assert templates == ["tdm://runs/{run_id}"]
    assert isinstance(content, TextResourceContents)
    assert content.mime_type == "application/json"
    assert json.loads(content.text)


def test_exported_members() -> None:
    """The package's public surface is exactly what it documents."""
    import tdm_server.mcp

    assert tdm_server.mcp.__all__ == [
        "CONFIRMATION", "MIN_AGE", "create_mcp_server", "run_stdio", "serve_stdio",
    ]  # fmt: skip
    assert all(hasattr(tdm_server.mcp, name) for name in tdm_server.mcp.__all__)
