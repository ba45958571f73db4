"""The field-spec checker behind every 422."""

from __future__ import annotations

import pytest

from tdm_sut._validation import (
    Boolean,
    Email,
    Field,
    Integer,
    Invalid,
    Money,
    ObjectList,
    OneOf,
    Password,
    Text,
    parse_object,
    parse_query_int,
)

FIELDS = (
    Field("name", Text(1, 5)),
    Field("count", Integer(0, 9)),
    Field("note", Text(0, 10), required=False, nullable=True),
)


def _errors(value, fields=FIELDS, **options):
    with pytest.raises(Invalid) as failure:
        parse_object(value, fields, **options)
    return [(error.field, error.got) for error in failure.value.fields]


def test_a_valid_object_is_answered_checked():
    """Valid members come back converted: text stripped, null kept for nullable fields."""
    assert parse_object({"name": " ab ", "count": 3, "note": None}, FIELDS) == {
        "name": "ab",
        "count": 3,
        "note": None,
    }


def test_every_problem_is_reported_at_once():
    """Unknown, missing and wrong members are all listed, unknown first."""
    assert _errors({"colour": "red", "count": "3"}) == [
        ("colour", '"red"'),
        ("name", "nothing"),
        ("count", '"3"'),
    ]


def test_messages_say_field_expected_and_got():
    """A message reads 'field: expected ..., got ...'."""
    with pytest.raises(Invalid) as failure:
        parse_object({"name": "ok", "count": -5}, FIELDS)
    [error] = failure.value.fields
    assert error.message == "count: expected an integer from 0 to 9, got -5"
    assert error.as_json() == {
        "field": "count",
        "expected": "an integer from 0 to 9",
        "got": "-5",
        "message": error.message,
    }
    assert str(failure.value) == error.message


def test_partial_makes_fields_optional():
    """With partial=True absent fields are fine but present ones are still checked."""
    assert parse_object({}, FIELDS, partial=True) == {}
    assert _errors({"count": True}, partial=True) == [("count", "true")]


@pytest.mark.parametrize("value", [[], "x", 1, None], ids=["array", "string", "number", "null"])
def test_the_body_must_be_an_object(value):
    """Anything but an object is reported against 'body'."""
    assert [field for field, _ in _errors(value)] == ["body"]


@pytest.mark.parametrize(
    ("spec", "good", "bad"),
    [
        (Integer(1, 3), [1, 3], [0, 4, True, 1.0, "2", None]),
        (
            Money(),
            [0.01, 5, 19.99, 1_000_000],
            [0, -1, 1.234, True, "1", float("inf"), float("nan"), 10**400, 1_000_000.01],
        ),
        (Text(1, 3), ["a", " abc "], ["", "   ", "abcd", 1, "a\x00", "\ud800"]),
        (Email(), ["a@b.cd", "First.Last@Example.org"], ["a@b", "ab.cd", "a b@c.de", 1, "@b.cd"]),
        (
            Password(),
            ["abcdefg1", "1234567a"],
            ["abc1", "abcdefgh", "12345678", 12345678, "a1" * 65],
        ),
        (Boolean(), [True, False], [0, 1, "true", None]),
        (OneOf(("x", "y")), ["x", "y"], ["X", "z", 1]),
    ],
    ids=["integer", "money", "text", "email", "password", "boolean", "one-of"],
)
def test_specs_accept_and_reject(spec, good, bad):
    """Each spec accepts its good values and rejects the bad ones, booleans included."""
    for value in good:
        spec.parse(value, "v")
    for value in bad:
        with pytest.raises(Invalid):
            spec.parse(value, "v")


def test_money_is_answered_in_cents():
    """Money parses to integer cents without float drift."""
    assert [Money().parse(value, "p") for value in (19.99, 0.1, 5)] == [1999, 10, 500]


def test_email_is_lower_cased():
    """Emails come back lower-case."""
    assert Email().parse(" Ann@Example.COM ", "email") == "ann@example.com"


def test_passwords_are_never_echoed():
    """A rejected password is described, not repeated."""
    with pytest.raises(Invalid) as failure:
        Password().parse("hunterhunter", "password")
    assert "hunter" not in failure.value.fields[0].got
    assert "hunter" not in failure.value.fields[0].message


def test_object_lists_name_the_position():
    """Errors inside arrays name the index and the member."""
    spec = ObjectList((Field("id", Integer(1, 9)),), min_items=1, max_items=2)
    with pytest.raises(Invalid) as failure:
        spec.parse([{"id": 1}, {"id": 0}], "items")
    assert [error.field for error in failure.value.fields] == ["items[1].id"]
    with pytest.raises(Invalid):
        spec.parse([{"id": 1}] * 3, "items")


def test_long_values_are_shortened_in_messages():
    """'got' shows at most 40 characters of a long value."""
    with pytest.raises(Invalid) as failure:
        Text(1, 5).parse("x" * 100, "name")
    assert len(failure.value.fields[0].got) == 40


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, 7), ("", 7), ("3", 3), (" 4 ", 4)],
    ids=["absent", "empty", "plain", "spaces"],
)
def test_query_ints(raw, expected):
    """Query integers fall back to the default and accept surrounding spaces."""
    assert parse_query_int(raw, "limit", default=7, spec=Integer(1, 9)) == expected


@pytest.mark.parametrize("raw", ["abc", "1.5", "0", "10", "9" * 30, "\u0661"])
def test_bad_query_ints(raw):
    """Non-integers, out-of-range and non-ASCII digits are rejected naming the parameter."""
    with pytest.raises(Invalid) as failure:
        parse_query_int(raw, "limit", default=7, spec=Integer(1, 9))
    assert failure.value.fields[0].field == "limit"
