"""The README's credit table, both rows: the seven examples each in a new thread, and all
asked in one console session (one thread) as the quick start suggests."""

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
FOOTER = re.compile(r"([a-z][a-z -]+) · (\d+) credits? · [\d,]+ left")


def charges(cli: Cli, monkeypatch: pytest.MonkeyPatch, lines: list[str]) -> list[tuple[str, int]]:
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(f"{line}\n" for line in lines)))
    out = cli.ok("demo")
    found = [(kind.strip(), int(credits)) for kind, credits in FOOTER.findall(out)]
    assert len(found) == 7, out
    return found


def test_each_example_in_a_new_thread(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [step for line in SEVEN for step in (("y",) if line == "y" else ("/new", line))]
    assert charges(cli, monkeypatch, lines) == [
        ("simple question", 1),
        ("simple question", 1),
        ("summarization", 3),
        ("action single", 1),
        ("data analysis", 4),
        ("action bulk", 4),
        ("summarization", 5),
    ]


def test_all_examples_in_one_thread(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each question carries the earlier turns: later ones cost more, and past the thread
    length where a conversation counts as long they are complex multi-turn."""
    assert charges(cli, monkeypatch, SEVEN) == [
        ("simple question", 1),
        ("simple question", 1),
        ("summarization", 3),
        ("action single", 2),
        ("complex multi-turn", 5),
        ("action bulk", 6),
        ("complex multi-turn", 6),
    ]
