"""Public names loaded on first use: ``import tdm`` (and ``tdm --help``) costs about what
Python's own start does, and SQLAlchemy, Faker, rich, httpx2 and cryptography load only when
something that needs them is first used."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_members"]


def lazy_members(
    home: str, where: Mapping[str, str], *, present: bool = False
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for module ``home``, whose public names ``where`` maps to
    the private modules of tdm defining them; each is imported on first access and cached.

    With ``present``, classes and functions say ``home`` instead of their private module (in
    reprs, errors and docs, as httpx does): every loaded public member is renamed at each
    first access, so an error raised before anyone named it through ``home`` says so too once
    any public name has been used.
    """
    namespace = vars(sys.modules[home])

    def rename_loaded() -> None:
        import inspect

        import attrs

        for name, module in where.items():
            member = getattr(sys.modules.get(f"tdm.{module}"), name, None)
            if member is None or getattr(member, "__module__", home) == home:
                continue
            # attrs classes resolve their annotations first, while their defining module is
            # still the one the names are looked up in.
            if attrs.has(member):
                attrs.resolve_types(member)
            if isinstance(member, type) or inspect.isfunction(member):
                member.__module__ = home

    def getattr_(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {home!r} has no attribute {name!r}")
        member = getattr(importlib.import_module(f"tdm.{module}"), name)
        if present:
            rename_loaded()
        namespace[name] = member
        return member

    def dir_() -> list[str]:
        return sorted({*namespace, *where})

    return getattr_, dir_
