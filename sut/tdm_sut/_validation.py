"""Checking decoded JSON against small field specs.

`parse_object` checks a JSON object against a list of `Field` specs and returns the checked
values, or raises `Invalid` listing every bad field as a `FieldError`
(``price: expected a number greater than 0, got -5``). It knows nothing about HTTP.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Protocol

import attrs

MISSING_TEXT = "nothing"
_MAX_GOT = 40
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


@attrs.frozen
class FieldError:
    """One bad field: where, what was expected, what came."""

    field: str
    expected: str
    got: str
    message: str

    def as_json(self) -> dict[str, str]:
        return attrs.asdict(self)


class Invalid(ValueError):
    """Raised with every `FieldError` found."""

    def __init__(self, fields: Sequence[FieldError]) -> None:
        super().__init__("; ".join(field.message for field in fields))
        self.fields = tuple(fields)


def describe(value: object) -> str:
    """A short JSON-like rendering of a value for error messages."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    text = json.dumps(value)
    return text if len(text) <= _MAX_GOT else text[: _MAX_GOT - 1] + "…"


def problem(path: str, expected: str, value: object, *, missing: bool = False) -> FieldError:
    got = MISSING_TEXT if missing else describe(value)
    return FieldError(path, expected, got, f"{path}: expected {expected}, got {got}")


class Spec(Protocol):
    """Checks one value; returns the value to use or raises `Invalid`."""

    @property
    def expected(self) -> str: ...

    def parse(self, value: object, path: str) -> object: ...


def _storable(text: str) -> bool:
    """Text every database here can store: no NUL, no lone surrogates."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@attrs.frozen
class Text:
    """A string, stripped of surrounding whitespace, of bounded length."""

    min_length: int = 1
    max_length: int = 200
    strip: bool = True

    @property
    def expected(self) -> str:
        if self.min_length == 0:
            return f"a string of at most {self.max_length} characters"
        return f"a string of {self.min_length} to {self.max_length} characters"

    def parse(self, value: object, path: str) -> str:
        if not isinstance(value, str):
            raise Invalid([problem(path, self.expected, value)])
        if not _storable(value):
            expected = f"{self.expected} without NUL characters or lone surrogates"
            raise Invalid([problem(path, expected, value)])
        text = value.strip() if self.strip else value
        if not self.min_length <= len(text) <= self.max_length:
            raise Invalid([problem(path, self.expected, value)])
        return text


@attrs.frozen
class Email:
    """An email address; answered lower-case."""

    expected = "an email address like name@example.com (at most 254 characters)"

    def parse(self, value: object, path: str) -> str:
        text = Text(1, 254).parse(value, path) if isinstance(value, str) else None
        if text is None or not _EMAIL.fullmatch(text):
            raise Invalid([problem(path, self.expected, value)])
        return text.lower()


@attrs.frozen
class Password:
    """A password of 8 to 128 characters with at least one letter and one digit."""

    expected = "a password of 8 to 128 characters with a letter and a digit"

    def parse(self, value: object, path: str) -> str:
        if not isinstance(value, str):
            raise Invalid([problem(path, self.expected, value)])
        ok = (
            _storable(value)
            and 8 <= len(value) <= 128
            and any(char.isalpha() for char in value)
            and any(char.isdigit() for char in value)
        )
        if not ok:  # never echo a password back
            got = f"a string of {len(value)} characters that does not qualify"
            message = f"{path}: expected {self.expected}, got {got}"
            raise Invalid([FieldError(path, self.expected, got, message)])
        return value


@attrs.frozen
class Integer:
    """A JSON integer (never a boolean or a float) within bounds."""

    minimum: int
    maximum: int

    @property
    def expected(self) -> str:
        return f"an integer from {self.minimum} to {self.maximum}"

    def parse(self, value: object, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid([problem(path, self.expected, value)])
        if not self.minimum <= value <= self.maximum:
            raise Invalid([problem(path, self.expected, value)])
        return value


@attrs.frozen
class Money:
    """A positive amount with at most two decimals; answered in cents."""

    maximum: int = 1_000_000

    @property
    def expected(self) -> str:
        return f"a number greater than 0 and at most {self.maximum}, with at most two decimals"

    def parse(self, value: object, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Invalid([problem(path, self.expected, value)])
        if not 0 < value <= self.maximum:  # also refuses NaN and infinities
            raise Invalid([problem(path, self.expected, value)])
        cents = round(value * 100)
        if abs(value * 100 - cents) > 1e-6:
            raise Invalid([problem(path, self.expected, value)])
        return cents


@attrs.frozen
class Boolean:
    expected = "true or false"

    def parse(self, value: object, path: str) -> bool:
        if not isinstance(value, bool):
            raise Invalid([problem(path, self.expected, value)])
        return value


@attrs.frozen
class OneOf:
    """One of a few strings."""

    choices: tuple[str, ...]

    @property
    def expected(self) -> str:
        return "one of " + ", ".join(self.choices)

    def parse(self, value: object, path: str) -> str:
        if not isinstance(value, str) or value not in self.choices:
            raise Invalid([problem(path, self.expected, value)])
        return value


@attrs.frozen
class ObjectList:
    """An array of objects, each checked against the same fields."""

    fields: tuple[Field, ...]
    min_items: int = 1
    max_items: int = 100

    @property
    def expected(self) -> str:
        return f"an array of {self.min_items} to {self.max_items} objects"

    def parse(self, value: object, path: str) -> list[dict[str, object]]:
        if not isinstance(value, list) or not self.min_items <= len(value) <= self.max_items:
            raise Invalid([problem(path, self.expected, value)])
        parsed: list[dict[str, object]] = []
        errors: list[FieldError] = []
        for index, item in enumerate(value):
            try:
                parsed.append(parse_object(item, self.fields, path=f"{path}[{index}]"))
            except Invalid as exc:
                errors.extend(exc.fields)
        if errors:
            raise Invalid(errors)
        return parsed


@attrs.frozen
class Field:
    """A named member of a JSON object."""

    name: str
    spec: Spec
    required: bool = True
    nullable: bool = False


def parse_object(
    value: object,
    fields: Sequence[Field],
    *,
    path: str = "",
    partial: bool = False,
) -> dict[str, object]:
    """Check ``value`` against ``fields``; ``partial`` makes every field optional.

    Returns the checked members that were present (``None`` for an accepted ``null``).
    """
    where = path or "body"
    if not isinstance(value, dict):
        raise Invalid([problem(where, "a JSON object", value)])
    prefix = f"{path}." if path else ""
    known = {field.name: field for field in fields}
    errors = [_unknown(prefix + name, value[name], known) for name in value if name not in known]
    parsed: dict[str, object] = {}
    for field in fields:
        name = prefix + field.name
        if field.name not in value:
            if field.required and not partial:
                errors.append(problem(name, field.spec.expected, None, missing=True))
            continue
        member = value[field.name]
        if member is None and field.nullable:
            parsed[field.name] = None
            continue
        try:
            parsed[field.name] = field.spec.parse(member, name)
        except Invalid as exc:
            errors.extend(exc.fields)
    if errors:
        raise Invalid(errors)
    return parsed


def _unknown(name: str, value: object, known: Mapping[str, Field]) -> FieldError:
    expected = "one of the fields " + ", ".join(sorted(known))
    return FieldError(
        name, expected, describe(value), f"{name}: unknown field, expected {expected}"
    )


def parse_query_int(raw: str | None, name: str, *, default: int, spec: Integer) -> int:
    """An integer query parameter; ``default`` when absent or empty."""
    if raw is None or raw == "":
        return default
    if not re.fullmatch(r"[+-]?[0-9]{1,19}", raw.strip()):
        raise Invalid([problem(name, spec.expected, raw)])
    return spec.parse(int(raw), name)
