"""Answers of a tdm server, readable as a session's results are: ``data.user.email``.

A :class:`Result` is the JSON object itself (a ``dict``, camelCase keys, so
``result["data"]["user"]["email"]`` keeps working) that also answers attributes with Python
names: ``result.data.orders[0].shipping_address`` reads ``shippingAddress``. Objects inside
it, at every depth and inside lists, are results too. A list field named like a ``dict``
method (an order's ``items``) reads as the list, and still works as the method when called.
"""

from __future__ import annotations

from typing import Any

from ._names import camel, snake

__all__ = ["Result", "result"]


class _FieldAndMethod(list[Any]):
    """A list field named like a ``dict`` method (an order's ``items``): the list, which
    still does what the method does when called (``json`` calls ``items()``)."""

    __slots__ = ("_method",)

    def __init__(self, values: list[Any], method: Any) -> None:
        super().__init__(values)
        self._method = method

    def __call__(self, *args: Any) -> Any:
        return self._method(*args)


_SHADOWED = frozenset({"items", "keys", "values"})


class Result(dict[str, Any]):
    """A JSON object whose keys are also attributes, by their Python (snake_case) names."""

    __slots__ = ()

    def __getattribute__(self, name: str) -> Any:
        if name in _SHADOWED and dict.__contains__(self, name):
            value = dict.__getitem__(self, name)
            if isinstance(value, list):
                return _FieldAndMethod(value, getattr(dict, name).__get__(self))
        return super().__getattribute__(name)

    def __getattr__(self, name: str) -> Any:
        for key in (name, camel(name)):
            if dict.__contains__(self, key):
                return dict.__getitem__(self, key)
        known = ", ".join(sorted(snake(k) for k in dict.keys(self))) or "none"
        raise AttributeError(f"no field {name!r} here; the fields are: {known}")

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *(snake(k) for k in dict.keys(self))})


def result(value: Any) -> Any:
    """``value`` with every JSON object in it (at any depth) made a :class:`Result`."""
    if isinstance(value, dict):
        return Result({str(k): result(v) for k, v in value.items()})
    if isinstance(value, list):
        return [result(v) for v in value]
    return value
