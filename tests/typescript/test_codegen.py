"""``tdm codegen typescript``: the shop's committed types are what it writes today, from the
installed registries and from a running server alike; what it makes of JSON Schemas; and the
client's hand-written answer types agree with the server's shapes."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

from tdm_server._codegen import typescript_types
from tdm_server._openapi_shapes import SHAPES

from .conftest import PACKAGE, TDM, Demo

COMMITTED = PACKAGE / "src" / "shop.ts"
REGENERATE = "tdm codegen typescript --registry shop --out clients/typescript/src/shop.ts"


def _codegen(*args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TDM_")}
    return subprocess.run([TDM, "codegen", "typescript", *args], env={**env, **settings},
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip


def test_the_committed_shop_types_are_current(tmp_path: Path) -> None:
    out = tmp_path / "shop.ts"
    done = _codegen("--registry", "shop", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stderr
    assert out.read_text() == COMMITTED.read_text(), f"src/shop.ts is stale: run {REGENERATE}"


def test_check_tells_current_from_stale(tmp_path: Path) -> None:
    current = _codegen("--registry", "shop", "--out", str(COMMITTED), "--check")
    assert (current.returncode, "up to date" in current.stderr) == (0, True), current.stderr
    stale = tmp_path / "shop.ts"
    stale.write_text(COMMITTED.read_text().replace("orderCount?: number", "orderCount?: string"))
    done = _codegen("--registry", "shop", "--out", str(stale), "--check")
    assert done.returncode == 1
    assert "is stale" in done.stderr
    assert "orderCount?: string" in stale.read_text()  # --check writes nothing


def test_a_running_servers_catalog_gives_the_same_types(demo: Demo) -> None:
    """From a server that needs a token, with the one of ``TDM_API_TOKEN``; without it, the
    server's 401 is the error."""
    done = _codegen("--url", demo.api, "--out", "-", TDM_API_TOKEN=demo.token)
    assert done.returncode == 0, done.stderr
    assert done.stdout == COMMITTED.read_text()
    refused = _codegen("--url", demo.api, "--out", "-")
    assert (refused.returncode, refused.stdout) == (1, "")
    assert "needs a token" in refused.stderr, refused.stderr
    assert "TDM_API_TOKEN" in refused.stderr, refused.stderr


def test_an_unreachable_server_is_an_error_naming_it() -> None:
    done = _codegen("--url", "http://127.0.0.1:9", "--out", "-")
    assert done.returncode == 1
    assert "http://127.0.0.1:9/api/scenarios" in done.stderr
    assert done.stdout == ""


def _scenario(name: str, parameters: dict[str, object], result: object) -> dict[str, object]:
    return {"name": name, "summary": f"{name} */ summary", "description": "",
            "parameters": parameters, "result": result}  # fmt: skip


def test_schemas_become_typescript() -> None:
    params = {
        "type": "object",
        "properties": {
            "mode": {"enum": ["a", "b"], "type": "string", "description": "Which", "default": "a"},
            "size": {"type": "integer", "minimum": 1, "maximum": 5},
            "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
            "owner-id": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
            "lines": {
                "type": "array",
                "items": {"anyOf": [{"type": "string"}, {"type": "number"}]},
            },
        },
        "required": ["size"],
        "additionalProperties": False,
    }
    result = {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"id": {"type": "string"}},
            "required": ["id"],
            "additionalProperties": False,
        },
    }
    catalog = {
        "scenarios": [
            _scenario("make-things", params, result),
            _scenario("make_things", {"type": "object", "properties": {},
                                      "additionalProperties": False}, None),
            _scenario("loose", {"type": "object"}, {}),
        ],
        "entityKinds": [{"name": "shop:widget", "description": "", "fields": {
            "type": "object", "properties": {"when": {"type": "string", "format": "date-time"}},
            "required": [], "additionalProperties": False}}],
    }  # fmt: skip
    text = typescript_types(catalog)
    assert '  mode?: "a" | "b";' in text
    assert '   * Which\n   *\n   * @default "a"\n   */' in text
    assert "   * @integer\n   * @minimum 1\n   * @maximum 5\n   */\n  size: number;" in text
    assert "  tags?: string[];" in text
    assert '  "owner-id"?: number | null;' in text
    assert "  lines?: Array<string | number>;" in text
    assert "export type MakeThingsResult = Array<{\n  id: string;\n}>;" in text
    assert "export type MakeThings2Parameters = Record<string, never>;" in text
    assert "export type MakeThings2Result = unknown;" in text
    assert "export type LooseParameters = Record<string, unknown>;" in text
    assert "export type LooseResult = unknown;" in text
    assert '/** @format "date-time" */\n  when?: string;' in text
    assert "export interface ShopWidgetFields {" in text
    assert '  "shop:widget": { fields: ShopWidgetFields };' in text
    assert (
        '  "make-things": { parameters: MakeThingsParameters; result: MakeThingsResult };' in text
    )
    assert "make-things *\\/ summary" in text
    assert "*/ summary" not in text


_HAND_WRITTEN = PACKAGE / "src" / "types.ts"
_INTERFACE = re.compile(r"^export interface (\w+) \{\n(.*?)^\}", re.M | re.S)
_MEMBER = re.compile(r"^  (?:readonly )?(\w+)(\??):", re.M)


def _interfaces() -> dict[str, dict[str, bool]]:
    """Each interface of src/types.ts: its fields, and whether each is required."""
    return {
        name: {field: not optional for field, optional in _MEMBER.findall(body)}
        for name, body in _INTERFACE.findall(_HAND_WRITTEN.read_text())
    }


def _fields(schema: dict[str, Any]) -> dict[str, bool]:
    required = set(schema.get("required", ()))
    return {name: name in required for name in schema["properties"]}


def test_the_clients_answer_types_are_the_servers_shapes() -> None:
    """The answers the client types by hand (src/types.ts) have the fields the server's OpenAPI
    shapes give them, each required or optional as there: none missing, none made up."""
    health = SHAPES["HealthReport"]["properties"]
    expected = {
        "HealthReport": SHAPES["HealthReport"],
        "HealthCheck": health["checks"]["items"],
        "StuckRun": health["stuckRuns"]["items"],
        "CleanupReport": SHAPES["CleanupReport"],
        "Leftover": SHAPES["Leftover"],
        "RunInfo": SHAPES["Run"],
    }
    found = _interfaces()
    for name, schema in expected.items():
        assert found.get(name) == _fields(schema), name
