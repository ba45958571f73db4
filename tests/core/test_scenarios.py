"""Scenarios: typed parameters, JSON Schema, validation, failure halfway, nesting."""

from __future__ import annotations

from typing import Any

import pytest

import tdm
from tdm.boundary import Naming

from .library import Book, LibraryDB


async def test_run_by_function_or_name(
    manager: tdm.Manager, registry: tdm.Registry, library_db: LibraryDB
) -> None:
    """A scenario runs by its registered name or by its function, with defaults applied."""
    fn = registry.scenarios["author-with-books"].fn
    async with manager.session() as s:
        by_name = await s.run("author-with-books")
        by_fn = await s.run(fn, book_count=3)
        assert len(by_name["books"]) == 2
        assert len(by_fn["books"]) == 3
        assert library_db.count("books") == 5
    assert library_db.count("books") == 0


def test_schema_is_derived_from_the_signature(registry: tdm.Registry) -> None:
    """Bounds, enums, optionals, defaults and descriptions reach the JSON Schema."""
    scenario = registry.scenarios["author-with-books"]
    assert scenario.description == "An author with a few books."
    assert scenario.parameters.schema() == {
        "type": "object",
        "properties": {
            "bookCount": {
                "type": "integer", "minimum": 1, "maximum": 5,
                "description": "How many books", "default": 2,
            },
            "shelf": {"type": "string", "enum": ["fiction", "poetry"], "default": "fiction"},
            "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
        },
        "required": [],
        "additionalProperties": False,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("given", "field", "message"),
    [
        pytest.param({"bookCount": 9}, "bookCount",
                     "bookCount: expected an integer from 1 to 5, got 9", id="above-max"),
        pytest.param({"bookCount": 0}, "bookCount",
                     "bookCount: expected an integer from 1 to 5, got 0", id="below-min"),
        pytest.param({"bookCount": "3"}, "bookCount",
                     "bookCount: expected an integer from 1 to 5, got '3'", id="string-for-int"),
        pytest.param({"bookCount": True}, "bookCount",
                     "bookCount: expected an integer from 1 to 5, got True", id="bool-for-int"),
        pytest.param({"bookCount": 2.5}, "bookCount",
                     "bookCount: expected an integer from 1 to 5, got 2.5", id="float-for-int"),
        pytest.param({"shelf": "drama"}, "shelf",
                     "shelf: expected one of 'fiction', 'poetry', got 'drama'", id="bad-enum"),
        pytest.param({"note": 3}, "note",
                     "note: expected a string or null, got 3", id="bad-optional"),
        pytest.param({"colour": "red"}, "colour",
                     "colour: not a known field; expected one of bookCount, shelf, note",
                     id="unknown"),
    ],
)  # fmt: skip
def test_bad_parameters_name_the_field(
    registry: tdm.Registry, given: dict[str, Any], field: str, message: str
) -> None:
    """Every bad value is reported with its field, what was expected and what arrived."""
    with pytest.raises(tdm.InvalidParameters) as info:
        registry.scenarios["author-with-books"].validate(given, naming="json")
    assert [p.field_in("json") for p in info.value.problems] == [field]
    assert info.value.problems[0].message_in("json") == message


def test_all_problems_are_reported_at_once(registry: tdm.Registry) -> None:
    """Several bad fields give one error listing each of them."""
    with pytest.raises(tdm.InvalidParameters) as info:
        registry.scenarios["author-with-books"].validate(
            {"bookCount": 99, "shelf": 1, "x": 1}, naming="json"
        )
    assert {p.field_in("json") for p in info.value.problems} == {"bookCount", "shelf", "x"}


async def test_python_names_in_run(manager: tdm.Manager) -> None:
    """``s.run`` takes snake_case names; a camelCase one is unknown there."""
    async with manager.session() as s:
        with pytest.raises(tdm.InvalidParameters, match="bookCount: not a known field"):
            await s.run("author-with-books", bookCount=2)
        data = await s.run_from("author-with-books", {"bookCount": 1})
        assert len(data["books"]) == 1


async def test_unknown_scenario_lists_the_known_ones(manager: tdm.Manager) -> None:
    """An unknown name fails with the list of registered scenarios."""
    async with manager.session() as s:
        with pytest.raises(tdm.NotFound) as info:
            await s.run("user-with-unicorns")
    assert str(info.value) == (
        "unknown scenario 'user-with-unicorns'; known: author-with-books, half-built, nested"
    )
    assert isinstance(info.value, LookupError)


@pytest.mark.parametrize(
    ("fail_at", "step"),
    [("create", "step 3 (create book)"), ("after", "the code after step 2 (create book)")],
)
async def test_failing_halfway_removes_its_entities(
    manager: tdm.Manager, library_db: LibraryDB, fail_at: str, step: str
) -> None:
    """A scenario that fails removes what it made at once and says which step failed."""
    async with manager.session(keep=True) as s:
        survivor = await s.create("author")
        with pytest.raises(tdm.ScenarioFailed) as info:
            await s.run("half-built", fail_at=fail_at)
        assert library_db.count("books") == 0
        assert library_db.count("authors") == 1
        assert library_db.exists("authors", survivor.uuid)
    error = info.value
    assert error.scenario == "half-built"
    assert error.step == step
    assert f"failed at {step}" in str(error)
    assert error.report.deleted == {"authors": 1, "books": 1}
    assert [r.entity_id for r in await manager.tracked()] == [survivor.uuid]


async def test_nested_scenarios_track_each_level(
    manager: tdm.Manager, library_db: LibraryDB
) -> None:
    """A scenario may run another; records name the innermost scenario."""
    async with manager.session(keep=True) as s:
        data = await s.run("nested")
    assert library_db.count("authors") == 2
    records = {r.entity_id: r.scenario for r in await manager.tracked()}
    assert records[data["extra"].uuid] == "nested"
    assert records[data["inner"]["author"].uuid] == "author-with-books"
    await manager.cleanup(all=True)
    assert library_db.count("authors") == 0


def test_results_unstructure_to_camel_case(registry: tdm.Registry) -> None:
    """Results of scenarios become camelCase JSON through tdm.to_json."""
    assert tdm.to_json({"books": [Book("u1", "T", "i", "a1")]}) == {
        "books": [{"uuid": "u1", "title": "T", "isbn": "i", "authorUuid": "a1"}]
    }


@pytest.mark.parametrize(
    ("naming", "given", "field"),
    [
        ("json", {"books": [{"uuid": "u", "title": "t", "isbn": "i", "authorUuid": 5}]},
         "books[0].authorUuid"),
        ("python", {"books": [{"uuid": "u", "title": "t", "isbn": "i", "author_uuid": 5}]},
         "books[0].author_uuid"),
    ],
)  # fmt: skip
def test_nested_errors_name_the_path_in_the_callers_names(
    registry: tdm.Registry, naming: Naming, given: dict[str, Any], field: str
) -> None:
    """A bad value deep inside a list of objects is named by its path, in the names the
    caller used: camelCase on the wire, snake_case in Python."""

    @registry.scenario
    async def shelve(s: tdm.Session, books: list[Book] | None = None) -> int:
        """Takes nested objects."""
        return len(books or [])

    with pytest.raises(tdm.InvalidParameters) as info:
        registry.scenarios["shelve"].validate(given, naming=naming)
    (problem,) = info.value.problems
    assert problem.field_in(naming) == field
    assert problem.got == 5
    assert str(info.value).endswith(f"{field}: expected a string, got 5")


@pytest.mark.parametrize(
    ("naming", "key", "expected"),
    [
        ("python", "authorUuid", "author_uuid (in Python, names are snake_case)"),
        ("json", "author_uuid", "authorUuid (JSON names are camelCase)"),
    ],
)
def test_the_other_conventions_name_is_refused_naming_the_right_one(
    registry: tdm.Registry, naming: Naming, key: str, expected: str
) -> None:
    """camelCase in Python (and snake_case on the wire) is refused, at any depth, with the
    name that works."""

    @registry.scenario
    async def shelve(s: tdm.Session, books: list[Book] | None = None) -> int:
        """Takes nested objects."""
        return len(books or [])

    book = {"uuid": "u", "title": "t", "isbn": "i", key: "a"}
    with pytest.raises(tdm.InvalidParameters) as info:
        registry.scenarios["shelve"].validate({"books": [book]}, naming=naming)
    (problem,) = info.value.problems
    assert problem.unknown
    assert problem.expected == expected
    assert problem.field_in(naming) == f"books[0].{key}"
