"""Typed scenario parameters: read from a signature, described as JSON Schema, validated."""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal, Union, get_args, get_origin, get_type_hints

import attrs

from ._convert import camel, describe_type, structure_field, type_schema
from ._errors import DefinitionError, FieldProblem, InvalidParameters

__all__ = ["Param", "Parameter", "parameters_of", "schema_of", "validate"]

_SIMPLE = (int, float, str, bool)


@attrs.frozen(kw_only=True)
class Param:
    """Constraints and words for one parameter, used inside ``Annotated``::

    order_count: Annotated[int, Param(ge=1, le=10, description="How many orders")] = 2
    """

    description: str | None = None
    ge: float | None = None
    le: float | None = None
    min_length: int | None = None
    max_length: int | None = None


@attrs.frozen
class Parameter:
    """One parameter of a scenario: Python name, JSON name, type, default and constraints."""

    name: str
    type: Any
    default: Any = attrs.field(default=inspect.Parameter.empty)
    constraints: Param = attrs.field(factory=Param)

    @property
    def json_name(self) -> str:
        return camel(self.name)

    @property
    def required(self) -> bool:
        return self.default is inspect.Parameter.empty

    @property
    def description(self) -> str | None:
        return self.constraints.description

    def expected(self) -> str:
        """What a valid value looks like, in words (used in every error message)."""
        words = describe_type(self.type)
        c = self.constraints
        if c.ge is not None and c.le is not None:
            words += f" from {_num(c.ge)} to {_num(c.le)}"
        elif c.ge is not None:
            words += f" of at least {_num(c.ge)}"
        elif c.le is not None:
            words += f" of at most {_num(c.le)}"
        if c.min_length is not None or c.max_length is not None:
            low, high = c.min_length or 0, c.max_length
            words += f" of {low} to {high} characters" if high else f" of {low}+ characters"
        return words

    def schema(self) -> dict[str, Any]:
        schema = type_schema(self.type)
        c = self.constraints
        for key, value in (
            ("minimum", c.ge),
            ("maximum", c.le),
            ("minLength", c.min_length),
            ("maxLength", c.max_length),
        ):
            if value is not None:
                schema[key] = value
        if c.description:
            schema["description"] = c.description
        if not self.required:
            schema["default"] = self.default
        return schema

    def check(self, value: Any) -> FieldProblem | None:
        """A problem if ``value`` (already structured) breaks a constraint."""
        c = self.constraints
        bad = (
            (c.ge is not None and isinstance(value, int | float) and value < c.ge)
            or (c.le is not None and isinstance(value, int | float) and value > c.le)
            or (c.min_length is not None and isinstance(value, str) and len(value) < c.min_length)
            or (c.max_length is not None and isinstance(value, str) and len(value) > c.max_length)
        )
        return FieldProblem(self.json_name, self.expected(), value) if bad else None


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _supported(tp: Any) -> bool:
    if tp in _SIMPLE or attrs.has(tp):
        return True
    origin = get_origin(tp)
    if origin is Literal:
        return all(isinstance(v, str | int | bool) for v in get_args(tp))
    if origin in (Union, types.UnionType):
        return all(a is type(None) or _supported(a) for a in get_args(tp))
    if origin is list:
        return all(_supported(a) for a in get_args(tp))
    return False


def parameters_of(fn: Callable[..., Any], *, skip_first: bool) -> tuple[Parameter, ...]:
    """Read typed parameters from ``fn``'s signature (the first one, the session, skipped)."""
    try:
        hints = get_type_hints(fn, include_extras=True)
    except Exception as exc:
        raise DefinitionError(
            f"cannot resolve the annotations of {fn.__qualname__}: {exc}"
        ) from exc
    found: list[Parameter] = []
    signature = inspect.signature(fn)
    listed = list(signature.parameters.values())[1 if skip_first else 0 :]
    for p in listed:
        where = f"parameter {p.name!r} of {fn.__qualname__}"
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.POSITIONAL_ONLY):
            raise DefinitionError(f"{where}: scenario parameters must be named (no *args/**kw)")
        if p.name not in hints:
            raise DefinitionError(f"{where} needs a type annotation")
        tp, constraints = hints[p.name], Param()
        if get_origin(tp) is Annotated:
            tp, *extras = get_args(tp)
            constraints = next((e for e in extras if isinstance(e, Param)), constraints)
        if not _supported(tp):
            raise DefinitionError(
                f"{where} has type {tp!r}; supported: int, float, str, bool, Literal[...], "
                "attrs classes, lists and optionals of those"
            )
        found.append(Parameter(p.name, tp, p.default, constraints))
    return tuple(found)


def schema_of(params: tuple[Parameter, ...]) -> dict[str, Any]:
    """The JSON Schema (an object, camelCase properties) of a parameter list."""
    return {
        "type": "object",
        "properties": {p.json_name: p.schema() for p in params},
        "required": [p.json_name for p in params if p.required],
        "additionalProperties": False,
    }


def validate(
    subject: str,
    params: tuple[Parameter, ...],
    given: Mapping[str, Any],
    *,
    json_names: bool = False,
) -> dict[str, Any]:
    """Check and structure ``given``; return every keyword argument, defaults filled in.

    ``json_names`` says whether ``given`` uses camelCase (HTTP, MCP) or Python names. Every bad
    field is reported at once in :class:`InvalidParameters`.
    """
    problems: list[FieldProblem] = []
    by_key = {(p.json_name if json_names else p.name): p for p in params}
    for key in given:
        if key not in by_key:
            known = ", ".join(by_key) or "no parameters"
            problems.append(FieldProblem(str(key), f"one of {known}", given[key], unknown=True))
    values: dict[str, Any] = {}
    for key, p in by_key.items():
        if key not in given:
            if p.required:
                problems.append(FieldProblem(p.json_name, p.expected(), missing=True))
            else:
                values[p.name] = p.default
            continue
        value, found = structure_field(p.json_name, given[key], p.type)
        if found:
            problems.extend(
                attrs.evolve(f, expected=p.expected()) if f.field == p.json_name else f
                for f in found
            )
            continue
        problem = p.check(value)
        if problem:
            problems.append(problem)
        else:
            values[p.name] = value
    if problems:
        raise InvalidParameters(subject, problems)
    return values
