"""`setget-bot demo` and `setget-bot console` with piped input (the offline model answers)."""

from __future__ import annotations

import io
import re

import pytest

from tests.cli.conftest import Cli

SEVEN = [
    "How many open items are in the WEB project?",
    "List all high-priority bugs assigned to me",
    "Summarize Sprint 12 progress with completion breakdown",
    "Create a work item titled 'Fix header layout' in the WEB project",
    "y",
    "Compare velocity across the last 4 sprints",
    "Update all Todo items in API project to In Progress",
    "y",
    "Write a detailed sprint retrospective for Sprint 11",
]


def pipe(monkeypatch: pytest.MonkeyPatch, *lines: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(f"{line}\n" for line in lines)))


def test_the_demo_answers_the_seven_examples_and_applies_confirmed_actions(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipe(monkeypatch, *SEVEN)
    out = cli.ok("demo")
    assert "created workspace 'demo'" in out
    assert out.count("(offline demo model") == 7
    assert out.count(" left\n") == 7  # seven usage footers
    assert "Action #1 applied: WEB-" in out
    assert "Action #2 applied: API-" in out
    usage = cli.json("usage", "demo")
    assert usage["used"] == 500 - usage["remaining"]  # type: ignore[index]
    assert sum(usage["by_type"].values()) == usage["used"]  # type: ignore[index]
    assert [m["member"] for m in usage["by_member"]] == ["alice"]  # type: ignore[index]
    pipe(monkeypatch)
    again = cli.ok("demo")  # a second run reuses the workspace
    assert "created" not in again


def test_console_joins_a_member_and_binds_a_project(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipe(monkeypatch)
    cli.ok("demo")
    pipe(monkeypatch, "How many open items are there?")
    out = cli.ok("console", "--workspace", "demo", "--user", "erin", "--project", "api")
    assert "channel bound to API" in out
    assert "open work items in API" in out
    usage = cli.json("usage", "demo")
    assert [m["member"] for m in usage["by_member"]] == ["erin"]  # type: ignore[index]


def test_console_refuses_an_unknown_project_or_workspace(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipe(monkeypatch)
    cli.ok("demo")
    assert "no project XYZ" in cli.error(
        "console", "--workspace", "demo", "--user", "a", "--project", "XYZ"
    )
    assert "unknown workspace 'nope'" in cli.error("console", "--workspace", "nope", "--user", "a")


def test_the_demo_charges_each_example_in_its_own_thread_what_the_table_says(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each example in a new thread (`/new`), so no earlier turn adds to its context."""
    questions = [line for line in SEVEN if line != "y"]  # proposals are left waiting
    pipe(monkeypatch, *[step for text in questions for step in ("/new", text)])
    out = cli.ok("demo")
    charged = [int(n) for n in re.findall(r"— [a-z ]+ · (\d+) credits? · \d+ left", out)]
    assert len(charged) == 7
    assert charged[1] in (1, 2)
    assert charged[:1] + charged[2:] == [1, 3, 1, 4, 4, 5]
    assert out.count("New thread:") == 7


def test_help_lists_the_console_commands_and_the_setget_table(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipe(monkeypatch, "/help", "/setget balance")
    out = cli.ok("demo", "--no-stream")
    for console_only in ("/new ", "/quit ", "y / n ", "Ctrl-C ", "Up / Down "):
        assert f"\n  {console_only}" in out
    assert "• `/setget balance` — credits left" in out
    assert "• `/setget buy` — buy a credit pack (admins)" in out  # alice is the admin
    assert "Remaining: 500 credits" in out  # `/setget balance` ran
    assert "offline demo model" not in out  # neither was a question


def test_piped_control_sequences_are_not_a_question_and_cost_nothing(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipe(monkeypatch, "\x1b[A", "\x1b[B\x1b[C", "\x1b[D ")
    out = cli.ok("demo")
    assert "offline demo model" not in out
    assert cli.json("credits", "status", "demo")["monthly_used"] == 0  # type: ignore[index]
