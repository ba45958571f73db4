"""One cattrs converter for everything that crosses a boundary (Python, HTTP, MCP).

It is strict where JSON is loose (``True`` is not an int, ``"3"`` is not an int, ``3.7`` is not an
int), speaks camelCase for attrs classes, and turns structuring errors into
:class:`~tdm.FieldProblem` lists with the field's path, what was expected and what arrived.
"""

from __future__ import annotations

import enum
import types
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, Union, get_args, get_origin

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ._errors import FieldProblem

__all__ = ["camel", "converter", "describe_type", "structure_field", "to_json", "type_schema"]


def camel(name: str) -> str:
    """``order_count`` -> ``orderCount``."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _strict(kind: type, *, allow: tuple[type, ...] = ()) -> Callable[[Any, type], Any]:
    accepted = (kind, *allow)

    def hook(value: Any, _: type) -> Any:
        if isinstance(value, bool) and kind is not bool:
            raise TypeError(f"expected {kind.__name__}, got a boolean")
        if not isinstance(value, accepted):
            raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")
        number: Any = value  # isinstance() above narrowed `value` to object
        return float(number) if kind is float else number

    return hook


def _build_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True)
    conv.register_structure_hook(int, _strict(int))
    conv.register_structure_hook(float, _strict(float, allow=(int,)))
    conv.register_structure_hook(str, _strict(str))
    conv.register_structure_hook(bool, _strict(bool))
    conv.register_unstructure_hook(datetime, lambda d: d.isoformat())
    conv.register_structure_hook(datetime, lambda v, _: datetime.fromisoformat(v))

    def structure_factory(cls: type) -> Callable[[Any, type], Any]:
        renames: dict[str, Any] = {
            a.name: override(rename=camel(a.name)) for a in attrs.fields(cls)
        }
        inner: Callable[[Any, Any], Any] = make_dict_structure_fn(
            cls, conv, _cattrs_forbid_extra_keys=True, **renames
        )

        def hook(value: Any, target: type) -> Any:
            if isinstance(value, cls):
                return value
            if not isinstance(value, Mapping):
                raise TypeError(f"expected an object, got {type(value).__name__}")
            return inner(value, target)

        return hook

    def unstructure_factory(cls: type) -> Callable[[Any], Any]:
        renames: dict[str, Any] = {
            a.name: override(rename=camel(a.name)) for a in attrs.fields(cls)
        }
        return make_dict_unstructure_fn(cls, conv, **renames)

    conv.register_structure_hook_factory(attrs.has, structure_factory)
    conv.register_unstructure_hook_factory(attrs.has, unstructure_factory)
    return conv


converter = _build_converter()


def to_json(value: Any) -> Any:
    """``value`` (attrs instances, lists, dicts, datetimes) as JSON-ready data in camelCase."""
    return converter.unstructure(value)


def _is_union(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType)


def describe_type(tp: Any) -> str:
    """Words for what a value of ``tp`` looks like: ``an integer``, ``one of 'a', 'b'``."""
    if tp is bool:
        return "a boolean"
    if tp is int:
        return "an integer"
    if tp is float:
        return "a number"
    if tp is str:
        return "a string"
    if get_origin(tp) is Literal:
        return "one of " + ", ".join(repr(v) for v in get_args(tp))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return "one of " + ", ".join(repr(m.value) for m in tp)
    if _is_union(tp):
        return " or ".join("null" if a is type(None) else describe_type(a) for a in get_args(tp))
    if get_origin(tp) in (list, Sequence, tuple):
        (item, *_) = get_args(tp) or (Any,)
        return f"a list of {describe_type(item).removeprefix('an ').removeprefix('a ')}s"
    if attrs.has(tp):
        return "an object with " + ", ".join(camel(a.name) for a in attrs.fields(tp))
    return getattr(tp, "__name__", str(tp))


def type_schema(tp: Any) -> dict[str, Any]:
    """JSON Schema for ``tp`` (camelCase properties for attrs classes)."""
    if tp is bool:
        return {"type": "boolean"}
    if tp is int:
        return {"type": "integer"}
    if tp is float:
        return {"type": "number"}
    if tp is str:
        return {"type": "string"}
    if tp is datetime:
        return {"type": "string", "format": "date-time"}
    if get_origin(tp) is Literal:
        values = list(get_args(tp))
        schema: dict[str, Any] = {"enum": values}
        if all(isinstance(v, str) for v in values):
            schema["type"] = "string"
        return schema
    if _is_union(tp):
        options = [a for a in get_args(tp) if a is not type(None)]
        nullable = len(options) != len(get_args(tp))
        inner = (
            type_schema(options[0])
            if len(options) == 1
            else {"anyOf": [type_schema(o) for o in options]}
        )
        return {"anyOf": [inner, {"type": "null"}]} if nullable else inner
    if get_origin(tp) in (list, Sequence, tuple):
        (item, *_) = get_args(tp) or (Any,)
        return {"type": "array", "items": type_schema(item)}
    if attrs.has(tp):
        fields = attrs.fields(attrs.resolve_types(tp))
        return {
            "type": "object",
            "properties": {camel(a.name): _described(a) for a in fields},
            "required": [camel(a.name) for a in fields if a.default is attrs.NOTHING],
            "additionalProperties": False,
        }
    return {}


def _described(field: attrs.Attribute[Any]) -> dict[str, Any]:
    schema = type_schema(field.type)
    if field.metadata.get("description"):
        schema["description"] = field.metadata["description"]
    return schema


def _problems(exc: BaseException, field: str, tp: Any, value: Any) -> list[FieldProblem]:
    if isinstance(exc, (cattrs.ClassValidationError, cattrs.IterableValidationError)):
        found: list[FieldProblem] = []

        def record(inner: BaseException, _: type | None) -> str:
            return describe_type(_) if _ is not None else str(inner)

        for line in cattrs.transform_error(exc, path=field, format_exception=record):
            expected, _, path = line.rpartition(" @ ")
            found.append(
                FieldProblem(field=_camel_path(path), expected=expected or "a valid value")
            )
        return [_with_got(p, field, value) for p in found]
    return [FieldProblem(field=field, expected=describe_type(tp), got=value)]


def _camel_path(path: str) -> str:
    """``items[0].product_id`` -> ``items[0].productId``: paths speak the JSON names."""
    return ".".join(camel(part) for part in path.split("."))


def _with_got(problem: FieldProblem, root: str, value: Any) -> FieldProblem:
    """Fill in what arrived at ``problem.field`` by walking ``value`` along the path."""
    current: Any = value
    rest = problem.field[len(root) :]
    for token in _path_tokens(rest):
        try:
            current = current[token]
        except (KeyError, IndexError, TypeError):
            return attrs.evolve(problem, got=None, missing=isinstance(token, str))
    return attrs.evolve(problem, got=current)


def _path_tokens(path: str) -> list[str | int]:
    tokens: list[str | int] = []
    for part in path.replace("[", ".[").split("."):
        if not part:
            continue
        if part.startswith("["):
            inner = part[1:-1]
            tokens.append(int(inner) if inner.isdigit() else inner.strip("'\""))
        else:
            tokens.append(part)
    return tokens


def structure_field(field: str, value: Any, tp: Any) -> tuple[Any, list[FieldProblem]]:
    """Structure one value; return it with no problems, or ``None`` with what is wrong."""
    try:
        return converter.structure(value, tp), []
    except Exception as exc:  # noqa: BLE001 -- every failure becomes a FieldProblem
        return None, _problems(exc, field, tp, value)
