"""Close matches ("did you mean") for a mistyped scenario, parameter, option or command.

Names are compared without case, dashes and underscores (``ordercount``, ``order_count`` and
``--order-count`` are one name), then by similarity (:func:`difflib.get_close_matches`).
"""

from __future__ import annotations

import argparse
import difflib
import re
from collections.abc import Iterable, Sequence
from typing import NoReturn

import tdm
from tdm.boundary import snake

__all__ = [
    "SuggestingParser",
    "did_you_mean",
    "flag",
    "parameter_problems",
    "suggest",
    "unrecognized",
]

RUN_OPTIONS = ("--seed", "--test-id", "--json", "--param")
"""``tdm run``'s own options, which a mistyped parameter may have meant."""


def _plain(name: str) -> str:
    return re.sub(r"[-_\s]", "", name).lower()


def suggest(word: str, choices: Iterable[str]) -> list[str]:
    """The choices ``word`` probably meant, best first (none when nothing is close)."""
    options = list(dict.fromkeys(choices))
    by_plain: dict[str, str] = {}
    for option in options:
        by_plain.setdefault(_plain(option), option)
    same = by_plain.get(_plain(word))
    if same is not None:
        return [same]
    close = difflib.get_close_matches(_plain(word), list(by_plain), n=3, cutoff=0.6)
    return [by_plain[c] for c in close]


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"; did you mean user-with-orders?"``, or ``""`` when nothing is close."""
    found = suggest(word, choices)
    if not found:
        return ""
    return f"; did you mean {' or '.join(found)}?"


def flag(name: str) -> str:
    """A parameter as the command line spells it: ``orderCount`` -> ``--order-count``."""
    return "--" + snake(name).replace("_", "-")


def parameter_problems(scenario: tdm.Scenario, exc: tdm.InvalidParameters) -> str:
    """What is wrong with ``tdm run``'s parameters, in its own terms (``--order-count``), with
    a suggestion for each unknown one."""
    flags = [flag(p.json_name) for p in scenario.parameters]
    lines = [f"invalid parameters for scenario {scenario.name!r}:"]
    for problem in exc.problems:
        name = flag(problem.field_in("json"))
        if problem.unknown:
            takes = ", ".join(flags) if flags else "no parameters"
            hint = did_you_mean(name, [*flags, *RUN_OPTIONS])
            lines.append(f"  {name} is not one of its parameters{hint} (it takes {takes})")
        else:
            message = problem.message_in("json")
            lines.append(f"  {name}{message[len(problem.field_in('json')) :]}")
    return "\n".join(lines)


def _subparser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found = action.choices.get(command)
            if isinstance(found, argparse.ArgumentParser):
                return found
    return parser


def _option_strings(parser: argparse.ArgumentParser) -> list[str]:
    return [o for action in parser._actions for o in action.option_strings if o.startswith("--")]


def unrecognized(parser: argparse.ArgumentParser, command: str, words: Sequence[str]) -> NoReturn:
    """Report arguments ``command`` does not take (exit 2), suggesting its close options."""
    sub = _subparser(parser, command)
    options = _option_strings(sub)
    hints = [
        f"{word}: did you mean {' or '.join(found)}?"
        for word in words
        if word.startswith("-") and (found := suggest(word.split("=", 1)[0], options))
    ]
    message = f"unrecognized arguments: {' '.join(words)}"
    sub.error("; ".join([message, *hints]))


_INVALID_CHOICE = re.compile(r"invalid choice: '([^']*)' \(choose from (.*)\)")


class SuggestingParser(argparse.ArgumentParser):
    """An argument parser whose "invalid choice" errors suggest the choice meant."""

    def error(self, message: str) -> NoReturn:
        found = _INVALID_CHOICE.search(message)
        if found:
            choices = re.findall(r"'([^']*)'", found.group(2))
            message += did_you_mean(found.group(1), choices)
        super().error(message)
