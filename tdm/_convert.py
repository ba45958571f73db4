"""Two converters, one per side of the boundary, and the words and schemas for their types.

The Python converter structures values with attribute names (snake_case at every depth); the
JSON converter is built from it and renames every attrs field to camelCase. Both are strict
where JSON is loose (``True`` is not an int, ``"3"`` is not an int, ``3.7`` is not an int) and
refuse unknown keys. A failure becomes :class:`~tdm.FieldProblem` objects with the value's
path, what was expected and what arrived; no cattrs text reaches a user.
"""

from __future__ import annotations

import enum
import types
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import attrs
import cattrs
from cattrs.cols import is_sequence, list_structure_factory
from cattrs.errors import ForbiddenExtraKeysError
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ._errors import FieldProblem
from ._names import Naming, Path, camel, snake

__all__ = ["describe_type", "structure", "to_json", "type_schema"]


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


def _attrs_hooks(conv: cattrs.Converter, rename: Callable[[str], str]) -> None:
    def structure_factory(cls: type) -> Callable[[Any, type], Any]:
        renames: dict[str, Any] = {
            a.name: override(rename=rename(a.name)) for a in attrs.fields(cls)
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
            a.name: override(rename=rename(a.name)) for a in attrs.fields(cls)
        }
        return make_dict_unstructure_fn(cls, conv, **renames)

    conv.register_structure_hook_factory(attrs.has, structure_factory)
    conv.register_unstructure_hook_factory(attrs.has, unstructure_factory)


def _lists(conv: cattrs.Converter) -> None:
    """Lists are JSON arrays (or Python lists and tuples): a string is not a list of letters."""

    def factory(tp: Any) -> Callable[[Any, Any], Any]:
        inner = list_structure_factory(tp, conv)

        def hook(value: Any, target: Any) -> Any:
            if not isinstance(value, list | tuple):
                raise TypeError(f"expected a list, got {type(value).__name__}")
            return inner(value, target)

        return hook

    conv.register_structure_hook_factory(is_sequence, factory)


def _python_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True)
    _lists(conv)
    conv.register_structure_hook(int, _strict(int))
    conv.register_structure_hook(float, _strict(float, allow=(int,)))
    conv.register_structure_hook(str, _strict(str))
    conv.register_structure_hook(bool, _strict(bool))
    conv.register_unstructure_hook(datetime, lambda d: d.isoformat())
    conv.register_structure_hook(datetime, lambda v, _: datetime.fromisoformat(v))
    _attrs_hooks(conv, lambda name: name)
    return conv


_PYTHON = _python_converter()
_JSON = _PYTHON.copy()
_lists(_JSON)
_attrs_hooks(_JSON, camel)
_CONVERTERS = {"python": _PYTHON, "json": _JSON}


def to_json(value: Any) -> Any:
    """``value`` (attrs instances, lists, dicts, datetimes) as JSON-ready data in camelCase."""
    return _JSON.unstructure(value)


def _is_union(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType)


def _name(field: str, naming: Naming) -> str:
    return camel(field) if naming == "json" else field


def describe_type(tp: Any, naming: Naming = "json") -> str:
    """Words for what a value of ``tp`` looks like: ``an integer``, ``one of 'a', 'b'``."""
    if get_origin(tp) is Annotated:
        return describe_type(get_args(tp)[0], naming)
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
        return " or ".join(
            "null" if a is type(None) else describe_type(a, naming) for a in get_args(tp)
        )
    if get_origin(tp) in (list, Sequence, tuple):
        (item, *_) = get_args(tp) or (Any,)
        words = describe_type(item, naming).removeprefix("an ").removeprefix("a ")
        return f"a list of {words}s"
    if attrs.has(tp):
        return "an object with " + ", ".join(_name(a.name, naming) for a in attrs.fields(tp))
    if tp is dict or get_origin(tp) in (dict, Mapping):
        return "an object"
    return getattr(tp, "__name__", str(tp))


def type_schema(tp: Any) -> dict[str, Any]:
    """JSON Schema for ``tp`` as it travels (camelCase properties for attrs classes).

    ``Annotated[tp, tdm.Field(...)]`` adds the Field's bounds.
    """
    if get_origin(tp) is Annotated:
        inner, *extras = get_args(tp)
        bounded = type_schema(inner)
        for extra in extras:
            if hasattr(extra, "bound"):  # a tdm.Field (whose module imports this one)
                extra.bound(bounded)
                if extra.description:
                    bounded["description"] = extra.description
        return bounded
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
    if tp is dict or get_origin(tp) in (dict, Mapping):
        return {"type": "object"}
    return {}


def _described(field: attrs.Attribute[Any]) -> dict[str, Any]:
    schema = type_schema(field.type)
    if field.metadata.get("description"):
        schema["description"] = field.metadata["description"]
    return schema


# -- failures as field problems --------------------------------------------------------------


def _at(value: Any, path: Path) -> tuple[Any, bool]:
    """What ``value`` holds at ``path`` (Python names), and whether it is there at all."""
    current = value
    for token in path:
        try:
            current = current[token]
        except (KeyError, IndexError, TypeError):
            return None, False
    return current, True


class _Walk:
    """Turns a cattrs failure into field problems for one side's names."""

    def __init__(self, value: Any, root: Path, naming: Naming) -> None:
        self.value, self.root, self.naming = value, root, naming
        self.found: list[FieldProblem] = []
        self.twins: set[Path] = set()

    def wire_key(self, path: Path) -> Path:
        """The keys ``path`` has in the given value (camelCase on the wire)."""
        if self.naming == "python":
            return path
        return tuple(camel(t) if isinstance(t, str) else t for t in path)

    def walk(self, exc: BaseException, path: Path, tp: Any) -> None:
        if isinstance(exc, ForbiddenExtraKeysError):
            self.unknown(exc, path)
        elif isinstance(exc, cattrs.ClassValidationError):
            for inner in exc.exceptions:
                name = _note(inner, "name")
                field = attrs.fields_dict(exc.cl).get(name) if name else None
                self.walk(inner, (*path, name) if name else path, field.type if field else None)
        elif isinstance(exc, cattrs.IterableValidationError):
            item = (get_args(tp) or (Any,))[0]
            for inner in exc.exceptions:
                index = _note(inner, "index")
                self.walk(inner, (*path, index) if index is not None else path, item)
        else:
            got, present = _at(self.value, self.wire_key(path[len(self.root) :]))
            expected = describe_type(tp, self.naming) if tp is not None else "a valid value"
            self.found.append(FieldProblem(path, expected, got, missing=not present))

    def unknown(self, exc: ForbiddenExtraKeysError, path: Path) -> None:
        fields = [a.name for a in attrs.fields(exc.cl)]
        names = {_name(f, self.naming): f for f in fields}
        for key in sorted(exc.extra_fields):
            got, _ = _at(self.value, (*self.wire_key(path[len(self.root) :]), key))
            twin = snake(key)
            if twin in fields and _name(twin, self.naming) != key:
                self.twins.add((*path, twin))
            self.found.append(FieldProblem((*path, key), _known(key, names, self.naming), got,
                                           unknown=True))  # fmt: skip

    def problems(self) -> list[FieldProblem]:
        """What was found; a field reported missing because its other-convention twin was
        given instead is said once, as the unknown twin."""
        return [p for p in self.found if not (p.missing and p.path in self.twins)]


def _note(exc: BaseException, attr: str) -> Any:
    for note in getattr(exc, "__notes__", ()):
        if hasattr(note, attr):
            return getattr(note, attr)
    return None


def _known(key: str, names: Mapping[str, str], naming: Naming) -> str:
    """What an unknown ``key`` should have been: the field it names in the other convention,
    or the fields there are."""
    other = snake(key) if naming == "python" else camel(key)
    if other in names and other != key:
        rule = (
            "in Python, names are snake_case" if naming == "python" else "JSON names are camelCase"
        )
        return f"{other} ({rule})"
    return "one of " + ", ".join(names) if names else "no fields"


def structure(
    value: Any, tp: Any, *, path: Path = (), naming: Naming = "python"
) -> tuple[Any, list[FieldProblem]]:
    """``value`` as ``tp``, with no problems; or ``None`` and every problem found.

    ``naming`` says which names ``value`` uses (Python's or JSON's); ``path`` is where it sits
    in the caller's input.
    """
    try:
        return _CONVERTERS[naming].structure(value, tp), []
    except Exception as exc:  # noqa: BLE001 -- every failure becomes a FieldProblem
        walk = _Walk(value, path, naming)
        walk.walk(exc, path, tp)
        return None, walk.problems() or [FieldProblem(path, describe_type(tp, naming), value)]
