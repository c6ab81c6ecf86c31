"""`setget-bot ledger verify`: clean after real use, each difference one line, exit 1."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pytest

from tests.cli.conftest import Cli


def answered_demo(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo workspace after two answered questions and a pack."""
    questions = "How many open items are in the WEB project?\nList all high-priority bugs\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(questions))
    cli.ok("demo")
    cli.ok("workspace", "create", "other", "--plan", "free")
    cli.ok("credits", "buy", "demo", "100")


def corrupt(tmp_path: Path, statement: str) -> None:
    with sqlite3.connect(tmp_path / "cli.db") as conn:
        assert conn.execute(statement).rowcount >= 1


def test_a_used_database_verifies_clean(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    answered_demo(cli, monkeypatch)
    assert cli.ok("ledger", "verify", "--all") == "ledger verify: 2 workspaces, clean\n"
    assert cli.ok("ledger", "verify", "DEMO") == "ledger verify: 1 workspace, clean\n"
    assert cli.json("ledger", "verify", "--all") == {
        "ok": True,
        "workspaces": ["demo", "other"],
        "differences": [],
    }


def test_each_difference_is_one_line_and_exits_1(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    answered_demo(cli, monkeypatch)
    demo = "workspace_id = (SELECT id FROM workspaces WHERE name = 'demo')"
    corrupt(tmp_path, f"UPDATE credit_balances SET monthly_used = monthly_used + 7 WHERE {demo}")
    first_row = "rowid = (SELECT min(rowid) FROM usage_rollup)"
    corrupt(tmp_path, f"UPDATE usage_rollup SET interactions = 5 WHERE {first_row}")
    code, out, err = cli("ledger", "verify", "--all")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "demo: balance monthly_used: expected 2, found 9"
    assert lines[1].startswith("demo: usage rollup 2026-")
    expected, found = lines[1].split(": expected ")[1].split(", found ")
    assert "interactions 5," in found
    assert "interactions 5," not in expected
    assert lines[-1] == "ledger verify: 2 workspaces, 2 differences"
    assert err == ""


def test_json_lists_the_differences_and_exits_1(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    answered_demo(cli, monkeypatch)
    corrupt(tmp_path, "UPDATE credit_packs SET remaining = 0")  # demo's only pack
    code, out, _ = cli("ledger", "verify", "demo", "--json")
    assert code == 1
    data = json.loads(out)
    assert data["ok"] is False
    assert {"workspace": "demo", "what": "pack 1 remaining", "expected": "100", "found": "0"} in (
        data["differences"]
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "error: give a workspace NAME, or --all for every workspace"),
        (("demo", "--all"), "error: give a workspace NAME or --all, not both"),
        (("nowhere",), "error: unknown workspace 'nowhere'"),
    ],
)
def test_bad_arguments_get_one_clear_line(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], message: str
) -> None:
    answered_demo(cli, monkeypatch)
    assert cli.error("ledger", "verify", *args).startswith(message)
