"""What tdm needs to act as an entity it created (a user's password), kept so only tdm reads it.

Sealed with ``TDM_SECRET`` when it is set (Fernet: AES in CBC mode with an HMAC), plain
otherwise; either way it lives only in the ledger's ``secret`` column, is never part of a
record's JSON and is never logged. Every replica with the same ``TDM_SECRET`` can read what
another sealed.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from ._errors import ConfigError

__all__ = ["Sealer"]


class Sealer:
    """Seals and opens entity secrets with one key (or none)."""

    def __init__(self, secret: str | None) -> None:
        self._fernet: Any = None
        if secret:
            from cryptography.fernet import Fernet

            key = base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest())
            self._fernet = Fernet(key)

    def seal(self, value: Mapping[str, Any]) -> str:
        text = json.dumps(dict(value))
        if self._fernet is None:
            return "plain:" + text
        token: bytes = self._fernet.encrypt(text.encode())
        return "fernet:" + token.decode()

    def open(self, sealed: str) -> dict[str, Any]:
        how, _, body = sealed.partition(":")
        if how == "plain":
            return dict(json.loads(body))
        if self._fernet is None:
            raise ConfigError("TDM_SECRET", "(unset)", "the secret another tdm sealed this "
                              "ledger's secrets with")  # fmt: skip
        from cryptography.fernet import InvalidToken

        try:
            return dict(json.loads(self._fernet.decrypt(body.encode())))
        except InvalidToken:
            raise ConfigError(
                "TDM_SECRET", "(set)", "the secret another tdm sealed this ledger's secrets with"
            ) from None
