"""Settings: defaults, environment, command line, database URLs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tdm_sut import ShopSettings
from tdm_sut._cli import build_parser, settings_from
from tdm_sut._db import async_url
from tdm_sut._settings import ENVIRONMENT

EVERY_INTERFACE = "0.0.0.0"  # noqa: S104 - a value under test, nothing binds to it


def test_defaults_match_the_readme():
    """The defaults are those the README documents."""
    settings = ShopSettings()
    assert (settings.host, settings.auth_port, settings.backend_port) == ("127.0.0.1", 8001, 8000)
    assert settings.data_dir == Path(".sut-data")
    assert settings.auth_db_url == "sqlite:///.sut-data/auth.db"
    assert settings.backend_db_url == "sqlite:///.sut-data/backend.db"
    assert (settings.secret, settings.admin_email, settings.admin_password) == (
        "sut-dev-secret-change-me",
        "admin@shop.test",
        "Admin-Passw0rd",
    )
    assert (settings.token_ttl, settings.scrypt_n) == (3600, 2**14)
    assert settings.auth_base_url == "http://127.0.0.1:8001"


def test_settings_are_frozen_and_hide_secrets():
    """Settings cannot change after creation and their repr leaves out secrets."""
    settings = ShopSettings(secret="top-secret-value")
    with pytest.raises(AttributeError):
        settings.host = EVERY_INTERFACE  # type: ignore[misc]
    assert "top-secret-value" not in repr(settings)
    assert "Admin-Passw0rd" not in repr(settings)


def test_from_env_reads_every_documented_variable(tmp_path):
    """from_env() reads each variable of the README table."""
    environ = {
        "SUT_HOST": EVERY_INTERFACE,
        "SUT_AUTH_PORT": "9001",
        "SUT_BACKEND_PORT": "9000",
        "SUT_DATA_DIR": str(tmp_path),
        "SUT_SECRET": "s",
        "SUT_ADMIN_EMAIL": "boss@shop.test",
        "SUT_ADMIN_PASSWORD": "Boss-Passw0rd",
        "SUT_TOKEN_TTL": "60",
    }
    settings = ShopSettings.from_env(environ)
    assert (settings.host, settings.auth_port, settings.backend_port) == (
        EVERY_INTERFACE,
        9001,
        9000,
    )
    assert settings.auth_db_url == f"sqlite:///{tmp_path}/auth.db"
    assert (settings.secret, settings.admin_email, settings.token_ttl) == (
        "s",
        "boss@shop.test",
        60,
    )
    assert settings.auth_base_url == "http://127.0.0.1:9001"
    explicit = ShopSettings.from_env(
        {"AUTH_DB_URL": "postgresql://a@h/x", "BACKEND_DB_URL": "sqlite:///b.db"}
    )
    assert (explicit.auth_db_url, explicit.backend_db_url) == (
        "postgresql://a@h/x",
        "sqlite:///b.db",
    )
    assert {variable for _, variable, _ in ENVIRONMENT} == set(environ) | {
        "AUTH_DB_URL",
        "BACKEND_DB_URL",
    }


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"SUT_AUTH_PORT": "http"}, "SUT_AUTH_PORT"),
        ({"SUT_BACKEND_PORT": "70000"}, "backend_port"),
        ({"SUT_TOKEN_TTL": "0"}, "token_ttl"),
    ],
    ids=["port-text", "port-range", "ttl-zero"],
)
def test_bad_environment_values_are_reported(environ, message):
    """Bad values raise ValueError naming the variable or setting."""
    with pytest.raises(ValueError, match=message):
        ShopSettings.from_env(environ)


def test_scrypt_cost_must_be_a_power_of_two():
    """A cost that is not a power of two is refused at once."""
    with pytest.raises(ValueError, match="scrypt_n"):
        ShopSettings(scrypt_n=1000)


def test_flags_override_the_environment(tmp_path):
    """Command-line flags win over environment variables, and derived URLs follow --data-dir."""
    args = build_parser().parse_args(
        ["--auth-port", "0", "--data-dir", str(tmp_path), "--token-ttl", "5"]
    )
    settings = settings_from(
        args, {"SUT_AUTH_PORT": "9001", "SUT_BACKEND_PORT": "9000", "SUT_DATA_DIR": "/x"}
    )
    assert (settings.auth_port, settings.backend_port, settings.token_ttl) == (0, 9000, 5)
    assert settings.backend_db_url == f"sqlite:///{tmp_path}/backend.db"


def test_help_lists_every_flag_with_its_variable():
    """--help names each flag of the README table with its environment variable."""
    text = " ".join(build_parser().format_help().split())
    for flag in (
        "--host",
        "--auth-port",
        "--backend-port",
        "--data-dir",
        "--auth-db-url",
        "--backend-db-url",
        "--secret",
        "--admin-email",
        "--admin-password",
        "--token-ttl",
    ):
        assert flag in text
    for _, variable, _ in ENVIRONMENT:
        assert f"environment {variable}" in text


@pytest.mark.parametrize(
    ("host", "url"),
    [
        (EVERY_INTERFACE, "http://127.0.0.1:1"),
        ("::", "http://[::1]:1"),
        ("::1", "http://[::1]:1"),
        ("shop", "http://shop:1"),
    ],
)
def test_auth_base_url_is_reachable_from_the_host(host, url):
    """The Backend reaches the Auth Service on loopback when bound to every interface."""
    assert ShopSettings(host=host, auth_port=1).auth_base_url == url
    assert ShopSettings(auth_url="http://auth:9/").auth_base_url == "http://auth:9"


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("sqlite:///x.db", "sqlite+aiosqlite"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite"),
        ("sqlite+pysqlite:///x.db", "sqlite+aiosqlite"),
        ("postgresql://u@h/d", "postgresql+psycopg"),
        ("postgres://u@h/d", "postgresql+psycopg"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg"),
        ("postgresql+psycopg2://u@h/d", "postgresql+psycopg"),
    ],
)
def test_database_urls_get_the_async_driver(url, driver):
    """Plain SQLite and PostgreSQL URLs are switched to aiosqlite and psycopg."""
    assert async_url(url).drivername == driver


def test_other_databases_are_refused():
    """A database the shop does not support is refused with a clear message."""
    with pytest.raises(ValueError, match="unsupported database URL"):
        async_url("mysql://u@h/d")
