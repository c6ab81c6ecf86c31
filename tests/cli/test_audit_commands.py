"""`setget-bot audit export`: the workspace's AI interactions as CSV or JSON lines."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.cli.conftest import Cli
from tests.cli.test_console_commands import pipe

QUESTIONS = [
    "How many open items are in the WEB project?",
    "List all high-priority bugs assigned to me",
]
FUTURE = "2999-01-01"


@pytest.fixture
def demo(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """The demo workspace after two questions in the console."""
    pipe(monkeypatch, *QUESTIONS)
    cli.ok("demo")
    return cli


def test_csv_has_a_header_and_one_row_per_interaction(demo: Cli) -> None:
    rows = list(csv.DictReader(io.StringIO(demo.ok("audit", "export", "demo", "--format", "csv"))))
    assert [r["prompt"] for r in rows] == QUESTIONS
    for row in rows:
        assert row["answer"]
        assert int(row["credits"]) > 0
        assert row["tools"]
        assert row["outcome"] == "answered"
        assert "offline demo model" in row["model"]
    usage = demo.json("usage", "demo")
    assert sum(int(r["credits"]) for r in rows) == usage["used"]  # type: ignore[index]


def test_jsonl_has_one_object_per_interaction(demo: Cli) -> None:
    out = demo.ok("audit", "export", "demo", "--format", "jsonl", "--since", "2000-01-01")
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["prompt"] for r in records] == QUESTIONS
    for r in records:
        assert r["answer"]
        assert r["credits"] > 0
        assert isinstance(r["tools"], list)
        assert r["tools"]
        assert isinstance(r["proposals"], list)


def test_since_a_future_day_exports_nothing(demo: Cli) -> None:
    out = demo.ok("audit", "export", "demo", "--format", "csv", "--since", FUTURE)
    assert out.splitlines() == [out.splitlines()[0]]
    assert out.startswith("at,")
    assert demo.ok("audit", "export", "demo", "--format", "jsonl", "--since", FUTURE) == ""


def test_output_writes_a_file(demo: Cli, tmp_path: Path) -> None:
    target = tmp_path / "audit.jsonl"
    out = demo.ok("audit", "export", "demo", "--format", "jsonl", "--output", str(target))
    assert "exported 2 audit records" in out
    assert len(target.read_text(encoding="utf-8").splitlines()) == 2


def test_bad_format_date_or_workspace_is_one_error_line(demo: Cli) -> None:
    assert "--format must be csv or jsonl" in demo.error(
        "audit", "export", "demo", "--format", "xml"
    )
    assert "bad date for --since" in demo.error(
        "audit", "export", "demo", "--format", "csv", "--since", "yesterday"
    )
    assert "unknown workspace 'nope'" in demo.error("audit", "export", "nope", "--format", "csv")
