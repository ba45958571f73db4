"""Counting words for people: ``1 user``, ``3 users``, ``1 category``, ``no entities``."""

from __future__ import annotations

__all__ = ["count", "singular"]


def singular(plural: str) -> str:
    """``users`` -> ``user``, ``categories`` -> ``category``, ``shop:cartItems`` ->
    ``shop:cartItem`` (the English rules kinds' plurals follow; anything else is kept)."""
    if plural.endswith("ies") and len(plural) > 3:
        return plural[:-3] + "y"
    if plural.endswith(("sses", "xes", "ches", "shes")):
        return plural[:-2]
    if plural.endswith("s") and not plural.endswith("ss"):
        return plural[:-1]
    return plural


def count(n: int, plural: str, *, zero: str | None = None) -> str:
    """``n`` and the word in the number that fits: ``count(1, "users") == "1 user"``;
    ``zero`` replaces the whole phrase for 0 (``"no users"``)."""
    if n == 0 and zero is not None:
        return zero
    return f"{n} {singular(plural) if n == 1 else plural}"
