"""`setget-bot data import|export`: the workspace's tracker data as a JSON file."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from core.work.dataset import dataset_to_json
from core.work.demo_data import demo_dataset
from tests.cli.test_commands import Cli


def _write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    monkeypatch.setenv("SETGET_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.chdir(tmp_path)
    run = Cli(capsys)
    run.ok("db", "upgrade")
    return run


@pytest.fixture
def demo_file(tmp_path: Path) -> Path:
    return _write(tmp_path / "demo.json", dataset_to_json(demo_dataset(date(2026, 1, 31))))


def _export(cli: Cli, name: str = "acme") -> Any:
    return json.loads(cli.ok("data", "export", name))


def test_import_then_export_gives_the_file_back(cli: Cli, demo_file: Path) -> None:
    cli.ok("workspace", "create", "acme", "--plan", "pro")
    out = cli.ok("data", "import", "acme", str(demo_file))
    assert out.strip() == "imported into 'acme': 2 projects, 8 sprints, 69 work items"
    assert _export(cli) == json.loads(demo_file.read_text())
    cli.ok("workspace", "create", "other", "--plan", "free")
    assert _export(cli, "other") == {"projects": [], "sprints": [], "items": []}


def test_export_to_a_file(cli: Cli, demo_file: Path, tmp_path: Path) -> None:
    cli.ok("workspace", "create", "acme", "--plan", "pro")
    cli.ok("data", "import", "acme", str(demo_file))
    target = tmp_path / "out.json"
    out = cli.ok("data", "export", "acme", "--output", str(target))
    assert "2 projects, 8 sprints, 69 work items" in out
    assert json.loads(target.read_text()) == json.loads(demo_file.read_text())


def _bad_state(path: Path, demo_file: Path) -> Path:
    data = json.loads(demo_file.read_text())
    data["items"][3]["state"] = "doing"
    data["items"][7]["id"] = "XYZ-1"
    return _write(path, data)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, "items[3] (API-4): unknown state 'doing' (choose one of: backlog,"),
        ('{"projects": [', "is not valid JSON: Expecting value at line 1, column 15"),
        ("[1, 2]", "the file must hold a JSON object"),
        (b"\xff\xfe", "is not UTF-8 text"),
    ],
)
def test_a_bad_file_gets_one_line_and_changes_nothing(
    cli: Cli, demo_file: Path, tmp_path: Path, content: str | bytes | None, words: str
) -> None:
    cli.ok("workspace", "create", "acme", "--plan", "pro")
    cli.ok("data", "import", "acme", str(demo_file))
    before = _export(cli)
    bad = tmp_path / "bad.json"
    if content is None:
        _bad_state(bad, demo_file)
    elif isinstance(content, bytes):
        bad.write_bytes(content)
    else:
        bad.write_text(content)
    assert words in cli.error("data", "import", "acme", str(bad))
    assert _export(cli) == before


def test_missing_files_and_workspaces_are_named(cli: Cli, demo_file: Path, tmp_path: Path) -> None:
    cli.ok("workspace", "create", "acme", "--plan", "pro")
    assert "cannot read" in cli.error("data", "import", "acme", str(tmp_path / "nope.json"))
    assert "unknown workspace 'ghost'" in cli.error("data", "import", "ghost", str(demo_file))
    assert "unknown workspace 'ghost'" in cli.error("data", "export", "ghost")
    line = cli.error("data", "export", "acme", "--output", str(tmp_path / "no" / "such" / "x"))
    assert "cannot write" in line
