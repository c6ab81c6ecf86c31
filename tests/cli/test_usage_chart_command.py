"""`setget-bot usage NAME --chart FILE.png`: the chart written, the forecast said."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from tests.cli.conftest import Cli


def ask(monkeypatch: pytest.MonkeyPatch, cli: Cli, *questions: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(f"{q}\n" for q in questions)))
    cli.ok("demo")


def test_usage_writes_the_chart_and_says_the_forecast(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ask(monkeypatch, cli, "How many open items are in the WEB project?")
    out = cli.ok("usage", "demo", "--chart", "charts.png")
    assert "usage chart written to charts.png" in out
    assert "At this pace (1 credit used today) the pool lasts past the renewal on" in out
    with Image.open(tmp_path / "charts.png") as png:
        assert (png.format, png.size) == ("PNG", (1200, 600))

    usage = cli.json("usage", "demo", "--chart", str(tmp_path / "again.png"))
    assert isinstance(usage, dict)
    assert usage["chart"] == str(tmp_path / "again.png")
    assert usage["forecast"] == {
        "outlook": "lasts",
        "runs_out": None,
        "days_before_renewal": None,
        "pace_per_day": 1.0,
        "pace_days": 1,
        "sentence": usage["forecast"]["sentence"],
    }
    assert (tmp_path / "again.png").read_bytes().startswith(b"\x89PNG")


def test_a_self_hosted_workspace_has_no_forecast(cli: Cli) -> None:
    cli.ok("workspace", "create", "own", "--plan", "pro", "--mode", "self-hosted")
    usage = cli.json("usage", "own")
    assert isinstance(usage, dict)
    assert usage["forecast"] is None
    assert "pace" not in cli.ok("usage", "own")


def test_a_chart_in_a_missing_folder_or_on_a_folder_is_one_clear_error(
    cli: Cli, tmp_path: Path
) -> None:
    cli.ok("workspace", "create", "acme", "--plan", "free")
    missing = tmp_path / "nope" / "chart.png"
    assert cli.error("usage", "acme", "--chart", str(missing)) == (
        f"error: cannot write the chart to {missing}: the folder {missing.parent} does not exist"
    )
    assert cli.error("usage", "acme", "--chart", str(tmp_path)) == (
        f"error: cannot write the chart to {tmp_path}: it is a folder; name a file"
    )
    assert not missing.parent.exists()
