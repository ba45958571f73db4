"""The command line suggests what a mistyped name meant, counts in words and reads as
sentences (no class names)."""

from __future__ import annotations

import pytest

from tdm_server._suggest import suggest
from tdm_server.cli import main


def _err(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = main(argv)
    return status, capsys.readouterr().err


def test_an_unknown_scenario_gets_the_close_name(capsys: pytest.CaptureFixture[str]) -> None:
    status, err = _err(["run", "user-with-order"], capsys)
    assert status == 2
    assert err.startswith("tdm run: unknown scenario 'user-with-order'; did you mean "
                          "user-with-orders? (known: admin-user, ")  # fmt: skip
    status, err = _err(["run", "zzz"], capsys)
    assert (status, "did you mean" in err) == (2, False)


def test_an_unknown_parameter_gets_its_option(capsys: pytest.CaptureFixture[str]) -> None:
    """Parameters are spoken of as the options they are given as; tdm run's own options are
    suggested too; a bad value names the option."""
    status, err = _err(["run", "user-with-orders", "--ordercount", "2"], capsys)
    assert status == 2
    assert "--ordercount is not one of its parameters; did you mean --order-count? (it takes " \
        "--order-count, --order-status)" in err  # fmt: skip
    status, err = _err(["run", "user-with-orders", "--sed", "3", "--order-count", "99"], capsys)
    assert "--sed is not one of its parameters; did you mean --seed?" in err
    assert "--order-count: expected an integer from 1 to 10, got 99" in err
    assert "Error" not in err


def test_unknown_options_and_commands(capsys: pytest.CaptureFixture[str]) -> None:
    status, err = _err(["cleanup", "--olderthan", "1h"], capsys)
    assert status == 2
    assert "unrecognized arguments: --olderthan; --olderthan: did you mean --older-than?" in err
    assert "usage: tdm cleanup" in err
    status, err = _err(["scenario"], capsys)
    assert status == 2
    assert "invalid choice: 'scenario'" in err
    assert err.rstrip().endswith("did you mean scenarios?")


def test_usage_errors_read_as_sentences(capsys: pytest.CaptureFixture[str]) -> None:
    status, err = _err(["cleanup"], capsys)
    assert status == 2
    assert err == (
        "tdm cleanup: say what to remove: --all, --older-than DURATION, --run ID or TRACKING_ID\n"
    )


def test_suggest_ignores_case_dashes_and_underscores() -> None:
    assert suggest("order_count", ["orderCount", "orderStatus"]) == ["orderCount"]
    assert suggest("--itemcount", ["--item-count", "--seed"]) == ["--item-count"]
    assert suggest("cart-with-product", ["cart-with-products", "empty-cart"])[0] == (
        "cart-with-products"
    )
    assert suggest("qqqq", ["orderCount"]) == []
