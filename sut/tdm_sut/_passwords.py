"""Password hashing with scrypt (stdlib ``hashlib.scrypt``) and a per-user salt.

A stored hash reads ``scrypt$<n>$<r>$<p>$<salt>$<key>`` (base64), so a hash made with one
cost still verifies after the configured cost changes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

DEFAULT_COST = 2**14
_BLOCK_SIZE = 8
_PARALLELISM = 1
_KEY_LENGTH = 32


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode(),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=256 * n * r * p + 1024 * 1024,
        dklen=_KEY_LENGTH,
    )


def hash_password(password: str, *, cost: int = DEFAULT_COST) -> str:
    """A salted scrypt hash of ``password``; ``cost`` is scrypt's n, a power of two."""
    salt = secrets.token_bytes(16)
    key = _scrypt(password, salt, cost, _BLOCK_SIZE, _PARALLELISM)
    encoded = [base64.b64encode(part).decode("ascii") for part in (salt, key)]
    return f"scrypt${cost}${_BLOCK_SIZE}${_PARALLELISM}${encoded[0]}${encoded[1]}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a hash made by `hash_password`."""
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(key, validate=True)
        actual = _scrypt(password, base64.b64decode(salt, validate=True), int(n), int(r), int(p))
    except (ValueError, binascii.Error):
        return False
    return hmac.compare_digest(expected, actual)
