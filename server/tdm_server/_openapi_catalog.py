"""The parts of the OpenAPI document that come from the catalog: each kind's create body and
answer, each registry endpoint's, each scenario's parameters and result, and the seed's answer.

Bodies are the very :class:`~tdm.boundary.Parameters` the handlers validate with
(``entity_parameters``, ``scenario.parameters``); results are the catalog's own schemas
(``Catalog.scenario_json``); entities are the attrs classes the kinds name as
``Kind[Client, Spec, Entity]``.
"""

from __future__ import annotations

import re
import typing
from typing import Any

import attrs

import tdm
from tdm.boundary import Endpoint, Parameter, camel

from ._entities import entity_parameters
from ._openapi_shapes import closed, ref
from ._scenarios import RUN_BODY
from ._seed import baselines

__all__ = ["CatalogSchemas", "component_name", "operation_id"]

_TRACKING_IDS = {
    "type": "array",
    "items": {"type": "string"},
    "description": "Everything the request created, supporting entities included",
}


def component_name(name: str) -> str:
    """``user-with-orders`` -> ``UserWithOrders``, ``shop:cartItem`` -> ``ShopCartItem``."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name))


def operation_id(endpoint: Endpoint) -> str:
    """``createUser``: the endpoint's client method, or ``create<key>``."""
    return camel(endpoint.method or f"create_{endpoint.key}")


def _named(endpoint: Endpoint) -> str:
    return component_name(operation_id(endpoint))


def entity_schema(kind: tdm.Kind[Any, Any, Any]) -> dict[str, Any]:
    """What ``kind`` creates, when its class names an attrs class as ``Kind[C, S, E]``'s E."""
    for base in getattr(type(kind), "__orig_bases__", ()):
        args = typing.get_args(base)
        if len(args) == 3 and attrs.has(args[2]):
            return Parameter("entity", args[2]).schema()
    return {"description": "The created entity, as the kind returns it"}


@attrs.define
class CatalogSchemas:
    """Component schemas for one catalog, added as the paths ask for them."""

    catalog: tdm.Catalog
    schemas: dict[str, dict[str, Any]] = attrs.field(factory=dict)

    def add(self, name: str, schema: dict[str, Any]) -> dict[str, str]:
        """``schema`` as component ``name``; a reference to it."""
        if self.schemas.setdefault(name, schema) != schema:
            raise tdm.DefinitionError(f"two different OpenAPI components would be named {name}")
        return ref(name)

    # -- kinds ---------------------------------------------------------------------------------

    def entity(self, kind: tdm.Kind[Any, Any, Any]) -> dict[str, str]:
        return self.add(component_name(self.catalog.kind_name(kind)), entity_schema(kind))

    def create_body(self, kind: tdm.Kind[Any, Any, Any]) -> dict[str, str]:
        """The body of ``POST /api/entities/{kind}``: the kind's fields and ``count``."""
        name = component_name(self.catalog.kind_name(kind))
        return self.add(f"{name}Fields", entity_parameters(kind).schema())

    def created(self, kind: tdm.Kind[Any, Any, Any]) -> dict[str, str]:
        """The answer of ``POST /api/entities/{kind}``."""
        name = component_name(self.catalog.kind_name(kind))
        return self.add(f"{name}Entities", closed({
            "entityType": {"const": self.catalog.kind_name(kind)},
            "entities": {"type": "array", "items": self.entity(kind), "minItems": 1},
            "trackingIds": _TRACKING_IDS,
        }))  # fmt: skip

    def endpoint_body(self, endpoint: Endpoint) -> dict[str, str]:
        kind = self.catalog.kind_in(endpoint.registry, endpoint.kind)
        return self.add(f"{_named(endpoint)}Request", entity_parameters(kind, endpoint).schema())

    def endpoint_answer(self, endpoint: Endpoint) -> dict[str, str]:
        """The answer in the endpoint's declared shape: ``{users, trackingIds}`` or, single,
        ``{order, trackingId, trackingIds}``."""
        kind = self.catalog.kind_in(endpoint.registry, endpoint.kind)
        entity = self.entity(kind)
        if endpoint.single:
            properties = {endpoint.key: entity, "trackingId": {"type": "string"},
                          "trackingIds": _TRACKING_IDS}  # fmt: skip
        else:
            entities = {"type": "array", "items": entity, "minItems": 1}
            properties = {endpoint.key: entities, "trackingIds": _TRACKING_IDS}
        return self.add(f"{_named(endpoint)}Answer", closed(properties))

    # -- scenarios -----------------------------------------------------------------------------

    def scenario_parameters(self, scenario: tdm.Scenario) -> dict[str, str]:
        name = component_name(self.catalog.scenario_name(scenario))
        return self.add(f"{name}Parameters", self.catalog.scenario_json(scenario)["parameters"])

    def scenario_result(self, scenario: tdm.Scenario) -> dict[str, str]:
        name = component_name(self.catalog.scenario_name(scenario))
        result = self.catalog.scenario_json(scenario)["result"]
        return self.add(f"{name}Result", {} if result is None else result)

    def run_body(self, scenarios: list[tdm.Scenario]) -> dict[str, Any]:
        """``RUN_BODY`` with ``parameters`` one of the ``scenarios``' own parameters."""
        body = RUN_BODY.schema()
        given = body["properties"]["parameters"]
        options = [self.scenario_parameters(s) for s in scenarios]
        if len(scenarios) == 1 and any(p.required for p in scenarios[0].parameters):
            # Its parameters must be given: no null, no default.
            given.pop("anyOf")
            given.pop("default")
            given.update(options[0])
            body["required"] = ["parameters"]
        elif options:
            given["anyOf"] = [*options, {"type": "null"}]
        return body

    def run_answer(self, scenarios: list[tdm.Scenario]) -> dict[str, Any]:
        results = [self.scenario_result(s) for s in scenarios]
        data = results[0] if len(results) == 1 else {"anyOf": results} if results else {}
        return closed({"data": data, "trackingIds": _TRACKING_IDS})

    def seeded(self) -> dict[str, Any] | None:
        """What ``POST /api/seed`` answers: the baseline's result, or with several baselines
        ``{seeded, baselines: {registry: result}}``; ``None`` when there is no baseline."""
        try:
            found = baselines(self.catalog)
        except tdm.NotFound:
            return None
        if len(found) == 1:
            return self.scenario_result(found[0])
        each = {s.registry: self.scenario_result(s) for s in found}
        return closed({"seeded": {"type": "boolean"}, "baselines": closed(each)})
