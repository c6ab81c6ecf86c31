"""The `setget-bot` command line: the contract later checks drive."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.cli.conftest import Cli


def test_status_json_has_the_contract_fields(cli: Cli) -> None:
    cli.ok("workspace", "create", "acme", "--plan", "pro", "--anchor", "2026-01-31")
    status = cli.json("credits", "status", "acme")
    assert isinstance(status, dict)
    assert {
        "workspace",
        "plan",
        "mode",
        "monthly_allocation",
        "monthly_used",
        "monthly_remaining",
        "packs_remaining",
        "remaining",
        "reserved",
        "cycle_start",
        "renewal_date",
        "paused",
    } <= set(status)
    assert (status["workspace"], status["plan"], status["remaining"]) == ("acme", "pro", 500)
    assert status["paused"] is False


def test_packs_grants_and_plan_changes_show_in_status(cli: Cli) -> None:
    cli.ok("workspace", "create", "acme", "--plan", "pro")
    assert "bought a pack of 100" in cli.ok("credits", "buy", "acme", "100")
    cli.ok("credits", "grant", "acme", "20", "--reason", "outage credit")
    assert "1,500 credits added" in cli.ok("workspace", "set-plan", "acme", "business")
    status = cli.json("credits", "status", "acme")
    assert isinstance(status, dict)
    assert (status["plan"], status["packs_remaining"], status["remaining"]) == (
        "business",
        120,
        2120,
    )


def test_usage_json_has_the_contract_fields(cli: Cli) -> None:
    cli.ok("workspace", "create", "acme", "--plan", "free")
    usage = cli.json("usage", "acme", "--days", "7")
    assert isinstance(usage, dict)
    assert {"workspace", "cycle_start", "renewal_date", "used", "remaining", "by_member"} <= set(
        usage
    )
    assert {"by_day", "by_type"} <= set(usage)
    assert len(usage["by_day"]) == 7
    assert (usage["used"], usage["remaining"]) == (0, 50)


def test_workspaces_links_admins_and_caps(cli: Cli) -> None:
    cli.ok("workspace", "create", "acme", "--plan", "enterprise", "--allocation", "5000")
    cli.ok("workspace", "create", "self", "--plan", "free", "--mode", "self-hosted")
    listed = cli.json("workspace", "list")
    assert [(w["workspace"], w["allocation"], w["mode"]) for w in listed] == [  # type: ignore[index,union-attr]
        ("acme", 5000, "cloud"),
        ("self", 50, "self-hosted"),
    ]
    cli.ok("workspace", "link", "acme", "--slack-team", "T123")
    cli.ok("workspace", "link", "acme", "--discord-guild", "987")
    assert "already linked" in cli.error("workspace", "link", "self", "--slack-team", "T123")
    cli.ok("workspace", "admin", "add", "acme", "--slack-user", "U1")
    assert "a cap of 40" in cli.ok("workspace", "member-cap", "acme", "slack:U1", "40")
    usage = cli.json("usage", "acme")
    assert usage["by_member"] == [  # type: ignore[index]
        {"member": "U1", "credits": 0, "interactions": 0, "cap": 40}
    ]
    assert "no cap" in cli.ok("workspace", "member-cap", "acme", "U1", "none")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("credits", "status", "ghost"), "unknown workspace 'ghost'"),
        (("credits", "buy", "acme", "-5"), "positive whole number, not -5"),
        (("credits", "buy", "acme", "0"), "positive whole number, not 0"),
        (("credits", "buy", "acme", "ten"), "whole number, not 'ten'"),
        (("credits", "buy", "free", "100"), "free plan cannot buy credit packs"),
        (("workspace", "create", "x", "--plan", "gold"), "unknown plan 'gold'"),
        (("workspace", "create", "x", "--plan", "pro", "--anchor", "2026-02-30"), "bad date"),
        (("workspace", "create", "x", "--plan", "pro", "--mode", "moon"), "unknown mode"),
        (("workspace", "link", "acme"), "exactly one of --slack-team or --discord-guild"),
        (("usage", "acme", "--days", "0"), "--days must be between 1"),
        (("credits", "grant", "acme", "5"), "Missing option '--reason'"),
        (("workspace", "frobnicate"), "No such command"),
    ],
)
def test_bad_input_gets_one_clear_line_and_changes_nothing(
    cli: Cli, args: tuple[str, ...], words: str
) -> None:
    cli.ok("workspace", "create", "acme", "--plan", "pro")
    cli.ok("workspace", "create", "free", "--plan", "free")
    before = cli.ok("workspace", "list", "--json"), cli.ok("credits", "status", "acme", "--json")
    assert words in cli.error(*args)
    after = cli.ok("workspace", "list", "--json"), cli.ok("credits", "status", "acme", "--json")
    assert before == after


def test_an_unreachable_database_is_named_without_its_password(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SETGET_DATABASE_URL", "postgresql://bob:hunter2@127.0.0.1:9/nowhere")
    line = cli.error("workspace", "list")
    assert "cannot reach the database" in line
    assert "hunter2" not in line


def test_an_old_schema_is_refused_with_the_command_to_run(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "empty.db").touch()  # an empty SQLite database: no schema
    monkeypatch.setenv("SETGET_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    assert "has no SetGet schema yet: run `setget-bot db upgrade`" in cli.error("workspace", "list")
    assert "upgraded database" in cli.ok("db", "upgrade")
    assert "up to date" in cli.ok("db", "upgrade")
    assert cli.json("workspace", "list") == []


def test_a_bad_setting_is_named(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SETGET_PRICING_DIVISOR", "zero")
    assert "SETGET_PRICING_DIVISOR" in cli.error("workspace", "list")


def test_demo_sets_up_a_workspace_once(cli: Cli) -> None:
    first = cli.ok("demo")
    assert "created workspace 'demo'" in first
    assert "Remaining" in first
    second = cli.ok("demo")
    assert "created" not in second
    assert cli.json("credits", "status", "demo")["remaining"] == 500  # type: ignore[index]


def test_usage_names_interaction_types_as_the_footers_do(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "sys.stdin", io.StringIO("Update all Todo items in API to In Progress\nn\n")
    )
    chat = cli.ok("demo")
    assert "action bulk · " in chat  # the footer
    out = cli.ok("usage", "demo")
    types = out.split("By interaction type")[1].split("By day")[0]
    assert "action bulk" in types
    assert "_" not in types
    assert "action_bulk" in cli.json("usage", "demo")["by_type"]  # type: ignore[index,operator]
