"""Typed parameters: what a scenario, an entity kind or a request takes, described as JSON
Schema and validated the same way whichever side the values come from.

A scenario's parameters are read from its signature; a kind's from its spec's attrs fields
(each optional: the kind builds a realistic value for what is left out). :meth:`Parameters.
validate` checks values given with Python names (``order_count``) or JSON names
(``orderCount``) and names every bad field in the caller's own convention.
"""

from __future__ import annotations

import inspect
import re
import types
from collections.abc import Callable, Iterator, Mapping
from typing import Annotated, Any, Literal, Union, get_args, get_origin, get_type_hints

import attrs

from ._convert import describe_type, structure, to_json, type_schema
from ._errors import DefinitionError, FieldProblem, InvalidParameters
from ._names import Naming, camel

__all__ = ["GENERATED", "Field", "Parameter", "Parameters"]

_SIMPLE = (int, float, str, bool)
_EMPTY = inspect.Parameter.empty


class _Generated:
    """The default of an entity field: left out, the kind makes up a realistic value."""

    def __repr__(self) -> str:
        return "GENERATED"


GENERATED: Any = _Generated()


@attrs.frozen(kw_only=True)
class Field:
    """Words and bounds for one parameter, used inside ``Annotated``::

    order_count: Annotated[int, tdm.Field(ge=1, le=10, description="How many orders")] = 2
    """

    description: str | None = None
    ge: float | None = None
    le: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    """A regular expression the whole text matches."""
    multiple_of: float | None = None
    """Numbers in steps of this (``0.01``: at most two decimals)."""

    def bound(self, schema: dict[str, Any]) -> None:
        """Add these bounds to ``schema`` (to its value's branch when it may be null)."""
        options = schema.get("anyOf", [])
        values = [o for o in options if o != {"type": "null"}]
        target = values[0] if len(values) == 1 and len(options) == 2 else schema
        target.update(self.keywords(target))

    def keywords(self, schema: Mapping[str, Any]) -> dict[str, Any]:
        """The JSON Schema keywords these bounds add to ``schema`` (a list's or a value's)."""
        is_list = schema.get("type") == "array"
        pattern = None if self.pattern is None else f"^(?:{self.pattern})$"
        found = {
            "minimum": self.ge,
            "maximum": self.le,
            "multipleOf": self.multiple_of,
            "minItems" if is_list else "minLength": self.min_length,
            "maxItems" if is_list else "maxLength": self.max_length,
            "pattern": pattern,
        }
        return {key: value for key, value in found.items() if value is not None}

    def breaks(self, value: Any) -> bool:
        """Whether ``value`` (already structured) is out of these bounds."""
        number = isinstance(value, int | float) and not isinstance(value, bool)
        sized = isinstance(value, str | list)
        steps = None if self.multiple_of is None or not number else value / self.multiple_of
        return bool(
            (self.ge is not None and number and value < self.ge)
            or (self.le is not None and number and value > self.le)
            or (self.min_length is not None and sized and len(value) < self.min_length)
            or (self.max_length is not None and sized and len(value) > self.max_length)
            or (steps is not None and abs(steps - round(steps)) > 1e-6)
            or (self.pattern is not None and isinstance(value, str)
                and re.fullmatch(self.pattern, value) is None)
        )  # fmt: skip


@attrs.frozen
class Parameter:
    """One parameter: its Python name, type, default and :class:`Field`."""

    name: str
    type: Any
    default: Any = attrs.field(default=_EMPTY)
    field: Field = attrs.field(factory=Field)

    @property
    def json_name(self) -> str:
        return camel(self.name)

    @property
    def required(self) -> bool:
        return self.default is _EMPTY

    @property
    def description(self) -> str | None:
        return self.field.description

    def key(self, naming: Naming) -> str:
        return self.json_name if naming == "json" else self.name

    def expected(self, naming: Naming = "json") -> str:
        """What a valid value looks like, in words (used in every error message)."""
        words = describe_type(self.type, naming)
        f = self.field
        if f.ge is not None and f.le is not None:
            words += f" from {_num(f.ge)} to {_num(f.le)}"
        elif f.ge is not None:
            words += f" of at least {_num(f.ge)}"
        elif f.le is not None:
            words += f" of at most {_num(f.le)}"
        if f.min_length or f.max_length is not None:
            low, high = f.min_length or 0, f.max_length
            unit = "items" if "list" in words else "characters"
            if low and high is not None:
                words += f" of {low} to {high} {unit}"
            elif high is not None:
                words += f" of at most {high} {unit}"
            else:
                words += f" of at least {low} {unit}"
        if f.multiple_of is not None:
            words += f" in steps of {_num(f.multiple_of)}"
        if f.pattern is not None:
            words += f" matching {f.pattern}"
        return words

    def schema(self) -> dict[str, Any]:
        schema = type_schema(self.type)
        f = self.field
        f.bound(schema)
        if f.description:
            schema["description"] = f.description
        if not self.required and self.default is not GENERATED:
            schema["default"] = to_json(self.default)
        return schema

    def check(self, value: Any, naming: Naming) -> FieldProblem | None:
        """A problem if ``value`` (already structured) breaks a bound."""
        bad = self.field.breaks(value)
        return FieldProblem((self.name,), self.expected(naming), value) if bad else None


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


def _unwrap(tp: Any) -> tuple[Any, Field]:
    if get_origin(tp) is Annotated:
        tp, *extras = get_args(tp)
        return tp, next((e for e in extras if isinstance(e, Field)), Field())
    return tp, Field()


@attrs.frozen
class Parameters:
    """The parameters something takes, in order: JSON Schema and validation."""

    items: tuple[Parameter, ...] = ()

    def __iter__(self) -> Iterator[Parameter]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def get(self, name: str) -> Parameter | None:
        return next((p for p in self.items if p.name == name), None)

    @classmethod
    def of_function(cls, fn: Callable[..., Any], *, skip_first: bool) -> Parameters:
        """Typed parameters from ``fn``'s signature (the first one, the session, skipped)."""
        try:
            hints = get_type_hints(fn, include_extras=True)
        except Exception as exc:
            raise DefinitionError(
                f"cannot resolve the annotations of {fn.__qualname__}: {exc}"
            ) from exc
        found: list[Parameter] = []
        listed = list(inspect.signature(fn).parameters.values())[1 if skip_first else 0 :]
        for p in listed:
            where = f"parameter {p.name!r} of {fn.__qualname__}"
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.POSITIONAL_ONLY):
                raise DefinitionError(f"{where}: scenario parameters must be named (no *args/**kw)")
            if p.name not in hints:
                raise DefinitionError(f"{where} needs a type annotation")
            tp, field = _unwrap(hints[p.name])
            if not _supported(tp):
                raise DefinitionError(
                    f"{where} has type {tp!r}; supported: int, float, str, bool, Literal[...], "
                    "attrs classes, lists and optionals of those"
                )
            found.append(Parameter(p.name, tp, p.default, field))
        return cls(tuple(found))

    @classmethod
    def of_spec(cls, spec: type[Any]) -> Parameters:
        """An entity spec's fields, each optional (the kind makes up what is left out).

        A field's bounds come from ``Annotated[..., tdm.Field(...)]``, its words from the
        Field or the attribute's ``description`` metadata.
        """
        found = []
        for a in attrs.fields(attrs.resolve_types(spec)):
            tp, field = _unwrap(a.type)
            if field.description is None:
                field = attrs.evolve(field, description=a.metadata.get("description"))
            found.append(Parameter(a.name, tp, GENERATED, field))
        return cls(tuple(found))

    def with_(self, *extra: Parameter) -> Parameters:
        return Parameters((*self.items, *extra))

    def schema(self) -> dict[str, Any]:
        """The JSON Schema (an object with camelCase properties) of these parameters."""
        return {
            "type": "object",
            "properties": {p.json_name: p.schema() for p in self.items},
            "required": [p.json_name for p in self.items if p.required],
            "additionalProperties": False,
        }

    def validate(
        self,
        subject: str,
        given: Mapping[str, Any],
        *,
        naming: Naming = "python",
        fill_defaults: bool = True,
    ) -> dict[str, Any]:
        """Check and structure ``given``; Python-named values (defaults filled in).

        ``naming`` says which names ``given`` uses. Every bad field is reported at once in
        :class:`InvalidParameters`, named the way the caller names it.
        """
        problems: list[FieldProblem] = []
        by_key = {p.key(naming): p for p in self.items}
        for key in given:
            if key not in by_key:
                problems.append(self._unknown(str(key), given[key], naming))
        values: dict[str, Any] = {}
        for key, p in by_key.items():
            if key not in given:
                if p.required:
                    problems.append(FieldProblem((p.name,), p.expected(naming), missing=True))
                elif fill_defaults and p.default is not GENERATED:
                    values[p.name] = p.default
                continue
            value, found = structure(given[key], p.type, path=(p.name,), naming=naming)
            if found:
                problems.extend(
                    attrs.evolve(f, expected=p.expected(naming)) if f.path == (p.name,) else f
                    for f in found
                )
                continue
            problem = p.check(value, naming)
            if problem:
                problems.append(problem)
            else:
                values[p.name] = value
        if problems:
            raise InvalidParameters(subject, problems, naming=naming)
        return values

    def _unknown(self, key: str, value: Any, naming: Naming) -> FieldProblem:
        by_other = {p.name: p for p in self.items} if naming == "json" else {
            p.json_name: p for p in self.items
        }  # fmt: skip
        twin = by_other.get(key)
        if twin is not None and twin.key(naming) != key:
            rule = (
                "in Python, names are snake_case" if naming == "python"
                else "JSON names are camelCase"
            )  # fmt: skip
            expected = f"{twin.key(naming)} ({rule})"
        else:
            known = ", ".join(p.key(naming) for p in self.items)
            expected = f"one of {known}" if known else "none (it takes no parameters)"
        return FieldProblem((key,), expected, value, unknown=True)
