"""Counts read as English: one user, two users, one category."""

from __future__ import annotations

import pytest

import tdm
from tdm._words import count, singular


@pytest.mark.parametrize(
    ("plural", "one"),
    [("users", "user"), ("categories", "category"), ("cartItems", "cartItem"),
     ("shop:categories", "shop:category"), ("boxes", "box"), ("entities", "entity"),
     ("lines", "line"), ("data", "data")],
)  # fmt: skip
def test_singular(plural: str, one: str) -> None:
    assert singular(plural) == one


def test_count() -> None:
    assert count(1, "users") == "1 user"
    assert count(2, "users") == "2 users"
    assert count(0, "users") == "0 users"
    assert count(0, "users", zero="no users") == "no users"


def test_a_cleanup_summary_counts_in_words() -> None:
    report = tdm.CleanupReport(deleted={"users": 1, "orders": 2, "categories": 1})
    assert report.summary() == "removed 1 user, 2 orders, 1 category"
