"""Secrets out of text: URL passwords and secret settings' values never appear in an error's
text or JSON, a cleanup reason, a health reason or a log line (no I/O but logging)."""

from __future__ import annotations

import io
import logging
import uuid
from pathlib import Path

import pytest

import tdm
from tdm.boundary import RedactingFilter, error_json, redact, redact_json, remember


def _planted() -> str:
    """A password no other test uses (remembered secrets are process-wide)."""
    return f"Pw{uuid.uuid4().hex[:12]}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql://user:s3cret@db.internal/shop", "postgresql://user:***@db.internal/shop"),
        ("postgresql+psycopg://u:p%40ss@h:5432/d", "postgresql+psycopg://u:***@h:5432/d"),
        ("mysql://u:p@ss@host/db", "mysql://u:***@host/db"),  # an unencoded "@" in it
        ("'sqlite:///x.db' and 'http://a:b@c'", "'sqlite:///x.db' and 'http://a:***@c'"),
        ("redis://:onlypassword@cache:6379/0", "redis://:***@cache:6379/0"),
        ("postgresql://postgres@127.0.0.1:5432/db", "postgresql://postgres@127.0.0.1:5432/db"),
        ("http://localhost:8000/api?x=1", "http://localhost:8000/api?x=1"),
        ("postgresql:///db?host=/tmp&password=hunter22", "postgresql:///db?host=/tmp&password=***"),
        ("https://h/cb?access_token=abc.def&x=1", "https://h/cb?access_token=***&x=1"),
        ("already postgresql://u:***@h/d", "already postgresql://u:***@h/d"),
    ],
)  # fmt: skip
def test_urls_lose_their_passwords(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_remembered_values_are_redacted_anywhere_but_short_ones_are_not() -> None:
    secret = _planted()
    remember([secret, "abc"])
    assert redact(f"login with {secret}!") == "login with ***!"
    assert redact("abc stays: a 3-character value is not looked for") == (
        "abc stays: a 3-character value is not looked for"
    )


def test_a_manager_remembers_its_secret_settings_and_the_environments_url_passwords(
    tmp_path: Path,
) -> None:
    """The registries' secret settings, TDM_API_TOKEN (each token), TDM_ADMIN_PASSWORD and
    every URL password of the environment (decoded too) are redacted once a manager exists."""
    admin, token_a, token_b, url_pw, own = (_planted() for _ in range(5))
    registry = tdm.Registry("redacting")
    registry.add_setting("RED_KEY", "an API key", secret=True)
    registry.add_setting("RED_URL", "a database", secret=True)
    env = {
        "TDM_ADMIN_PASSWORD": admin,
        "TDM_API_TOKEN": f"{token_a}, {token_b}",
        "RED_KEY": own,
        "RED_URL": f"postgresql://u:{url_pw}%21@db/x",
        "HTTP_PROXY": "http://proxyuser:ProxyPassw0rd@proxy:3128",
    }
    settings = tdm.Settings(ledger_path=tmp_path / "l.sqlite3", env=env)
    manager = tdm.Manager(settings, registry=registry)
    manager.ledger.close()
    text = f"{admin} {token_a} {token_b} {own} {url_pw}! ProxyPassw0rd"
    assert redact(text) == "*** *** *** *** *** ***"
    assert redact("postgresql://u@db/x") == "postgresql://u@db/x", "the URL itself is no secret"


def test_errors_redact_their_text_and_their_json() -> None:
    url = f"mysql://dbuser:{_planted()}@10.0.0.5/shop"
    config = tdm.ConfigError("BACKEND_DB_URL", url, "a sqlite:// or postgresql:// URL")
    failed = tdm.TargetUnavailable("backend", f"GET {url} failed")
    problem = tdm.InvalidParameters("x", [tdm.FieldProblem(("url",), "a URL", url)])
    for exc in (config, failed, problem):
        shown = [str(exc), repr(exc), str(error_json(exc))]
        assert all(url not in s and "dbuser:***@10.0.0.5" in s for s in shown), shown
    assert config.value == "mysql://dbuser:***@10.0.0.5/shop"
    assert redact_json({"a": [url, {"b": url}], url: 1}) == {
        "a": ["mysql://dbuser:***@10.0.0.5/shop", {"b": "mysql://dbuser:***@10.0.0.5/shop"}],
        "mysql://dbuser:***@10.0.0.5/shop": 1,
    }


def test_the_log_filter_redacts_messages_arguments_and_tracebacks() -> None:
    secret = _planted()
    url = f"postgresql://app:{secret}@db/x"
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger(f"tdm.test.{uuid.uuid4().hex}")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("connecting to %s", url)
        logger.warning(f"inline {url}")
        try:
            raise RuntimeError(f"cannot open {url}")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert secret not in out
    assert out.count("app:***@db") == 3
    assert "RuntimeError" in out
