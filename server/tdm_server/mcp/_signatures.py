"""Tool signatures generated from tdm's typed parameters and entity specs.

The SDK builds a tool's input schema (and validates arguments) from the function's
``inspect.Signature``: each parameter here is keyword-only, named in camelCase (as tdm's JSON
names are everywhere), and annotated ``Annotated[T, pydantic.Field(...)]`` with the description,
the bounds and the default. Scalars are strict (``true`` is not an integer, ``"3"`` is not one
either), the same rule tdm applies over HTTP and in Python. attrs classes cannot appear in a
signature: they become JSON objects with their schema, structured by tdm afterwards.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable, Iterable
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import attrs
from pydantic import Field, Strict, WithJsonSchema

import tdm

__all__ = ["keyword", "parameter_for", "sign", "spec_parameters", "words"]

_STRICT = (int, float, str, bool)


def words(name: str) -> str:
    """``fullName`` -> ``full name``, ``cartItems`` -> ``cart items``."""
    return "".join(f" {c.lower()}" if c.isupper() else c for c in name).replace("_", " ").strip()


def _field_type(tp: Any) -> Any:
    """``tp`` as pydantic should validate it: strict scalars, attrs classes as JSON objects."""
    if tp in _STRICT:
        return Annotated[tp, Strict()]
    origin = get_origin(tp)
    if origin is Literal:
        return tp
    if origin in (Union, types.UnionType):
        members = tuple(_field_type(a) for a in get_args(tp))
        return Union[members]  # noqa: UP007 -- a union of a runtime tuple has no | spelling
    if origin is list:
        (item,) = get_args(tp) or (Any,)
        return list[_field_type(item)]  # type: ignore[misc]
    if attrs.has(tp):
        return Annotated[dict[str, Any], WithJsonSchema(tdm.Parameter("x", tp).schema())]
    return tp


def keyword(
    name: str, tp: Any, default: Any = inspect.Parameter.empty, **field: Any
) -> inspect.Parameter:
    """One keyword-only parameter: ``name: Annotated[tp, Field(**field)] = default``."""
    return inspect.Parameter(
        name,
        inspect.Parameter.KEYWORD_ONLY,
        annotation=Annotated[tp, Field(title=name, **field)],
        default=default,
    )


def parameter_for(p: tdm.Parameter) -> inspect.Parameter:
    """The tool parameter of a scenario parameter (camelCase, bounds, description, default)."""
    c = p.constraints
    bounds = {
        key: value
        for key, value in (
            ("ge", c.ge), ("le", c.le), ("min_length", c.min_length), ("max_length", c.max_length)
        )
        if value is not None
    }  # fmt: skip
    return keyword(
        p.json_name,
        _field_type(p.type),
        p.default,
        description=p.description or f"{tdm.camel(p.name)}: {p.expected()}",
        **bounds,
    )


def spec_parameters(spec: type[Any]) -> list[inspect.Parameter]:
    """Every field of an entity spec as an optional parameter (left out: a generated value)."""
    found = []
    for a in attrs.fields(attrs.resolve_types(spec)):
        what = a.metadata.get("description") or f"The {words(tdm.camel(a.name))}"
        found.append(
            keyword(
                tdm.camel(a.name),
                _field_type(a.type | None),
                None,
                description=f"{what}; leave it out for a realistic generated value",
            )
        )
    return found


def sign(
    fn: Callable[..., Any], name: str, parameters: Iterable[inspect.Parameter]
) -> Callable[..., Any]:
    """Give ``fn`` (called with keyword arguments only) a name and this signature; return it.

    Every tool returns a JSON object (``dict[str, Any]``): structured content with an output
    schema.
    """
    fn.__name__ = fn.__qualname__ = name
    fn.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        list(parameters), return_annotation=dict[str, Any]
    )
    return fn
