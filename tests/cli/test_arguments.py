"""Every command argument has a help text and the type it takes; a negative number reaches
the command and gets its own refusal, not `No such option`."""

from __future__ import annotations

import re

import pytest

from bot.cli.main import app
from tests.cli.conftest import Cli


def commands() -> list[tuple[str, ...]]:
    """The path of every command, e.g. ("workspace", "admin", "add")."""
    import typer.main

    found: list[tuple[str, ...]] = []

    def walk(group: object, path: tuple[str, ...]) -> None:
        for name, command in getattr(group, "commands", {}).items():
            if hasattr(command, "commands"):
                walk(command, (*path, name))
            else:
                found.append((*path, name))

    walk(typer.main.get_command(app), ())
    return found


@pytest.mark.parametrize("path", commands(), ids=" ".join)
def test_every_argument_and_option_says_what_it_is(cli: Cli, path: tuple[str, ...]) -> None:
    out = cli.ok(*path, "--help")
    listed = out.split("Arguments:")[1].split("Options:")[0] if "Arguments:" in out else ""
    for line in listed.splitlines():
        if re.match(r"^  \S", line):  # an argument (wrapped help goes on indented further)
            assert re.match(r"^  \S+ <[\w ]+>\s{2,}[^\s\[]", line), f"{' '.join(path)}: {line!r}"
    options = out.split("Options:")[1]
    for line in options.splitlines():
        if re.match(r"^  -", line):
            assert re.search(r"\S\s{2,}[^\s\[]", line.strip()), f"{' '.join(path)}: {line!r}"


@pytest.mark.parametrize(
    "path",
    [("credits", "buy"), ("credits", "grant")],
    ids=" ".join,
)
def test_numbers_show_as_numbers(cli: Cli, path: tuple[str, ...]) -> None:
    assert "CREDITS <int>" in cli.ok(*path, "--help")


def test_allocation_and_days_show_as_numbers(cli: Cli) -> None:
    assert "--allocation <int>" in cli.ok("workspace", "create", "--help")
    assert "--days <int>" in cli.ok("usage", "--help")


def test_a_negative_cap_is_refused_by_the_command(cli: Cli) -> None:
    cli.ok("workspace", "create", "demo", "--plan", "pro")
    line = cli.error("workspace", "member-cap", "demo", "console:alice", "-3")
    assert line == "error: a cap is 0 or more credits (or `none` for no cap), not -3"
    assert "whole number of credits or `none`, not 'lots'" in cli.error(
        "workspace", "member-cap", "demo", "console:alice", "lots"
    )
    assert "a cap of 1,000 credits" in cli.ok(
        "workspace", "member-cap", "demo", "console:alice", "1,000"
    )


def test_workspace_names_ignore_case(cli: Cli) -> None:
    cli.ok("workspace", "create", "demo", "--plan", "pro")
    line = cli.error("workspace", "create", "Demo", "--plan", "free")
    assert "a workspace named 'demo' already exists; workspace names ignore case" in line
    assert cli.json("credits", "status", "DEMO")["workspace"] == "demo"  # type: ignore[index]
