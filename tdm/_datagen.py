"""Realistic values that are reproducible from a seed and unique across runs."""

from __future__ import annotations

import hashlib
import itertools
import random
import secrets
import string
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from faker import Faker

__all__ = ["DataGen", "namespace_for", "new_seed"]

_ALPHABET = string.ascii_lowercase + string.digits
_faker: Faker | None = None


def _shared_faker() -> Faker:
    # Building a Faker costs milliseconds; one per process is reseeded before every entity.
    # Faker is imported here, on first use: a server or a command that creates nothing starts
    # without it. Without weighting, a name or a city is drawn evenly from Faker's lists: the
    # same values, an order of magnitude cheaper than summing thousands of weights per draw.
    global _faker
    if _faker is None:
        from faker import Faker

        _faker = Faker("en_US", use_weighting=False)
    return _faker


def new_seed() -> int:
    """A fresh random seed (63 bits, so it prints and parses as a plain integer)."""
    return secrets.randbits(63)


def namespace_for(seed: int) -> str:
    """Eight lowercase letters and digits derived from ``seed``: the mark unique values carry."""
    digest = hashlib.blake2b(str(seed).encode(), digest_size=8).digest()
    number = int.from_bytes(digest, "big")
    chars = []
    for _ in range(8):
        number, index = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[index])
    return "".join(chars)


class DataGen:
    """Hands each entity a freshly seeded Faker and unique values.

    Entity ``n`` of a session with seed ``s`` always sees the same Faker output, whatever ran
    concurrently, so a session replayed with the same seed builds the same data. Unique values
    carry the session's namespace (derived from the seed) and the entity's number.
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.namespace = namespace_for(seed)
        self._numbers = itertools.count(1)
        self.number = 0
        self.random = random.Random(seed)

    def next(self) -> DataGen:
        """Advance to the next entity: reseed Faker for it and return ``self``."""
        self.number = next(self._numbers)
        _shared_faker().seed_instance(f"{self.seed}:{self.number}")
        self.random = random.Random(f"{self.seed}:{self.number}")
        return self

    @property
    def faker(self) -> Faker:
        return _shared_faker()

    @property
    def token(self) -> str:
        """``<namespace><number>``: unique per entity across sessions, runs and machines."""
        return f"{self.namespace}{self.number}"

    def unique(self, stem: str, sep: str = "-") -> str:
        """``stem`` made unique: ``"Desk lamp"`` -> ``"Desk lamp-k3j9x2mq7"``."""
        return f"{stem}{sep}{self.token}"

    def email(self, domain: str = "example.com") -> str:
        """A realistic, unique email: ``jane.doe.k3j9x2mq7@example.com``."""
        first = self.faker.first_name().lower()
        last = self.faker.last_name().lower()
        local = "".join(c for c in f"{first}.{last}" if c.isalnum() or c == ".")
        return f"{local}.{self.token}@{domain}"

    def choice(self, options: list[Any]) -> Any:
        return self.random.choice(options)
