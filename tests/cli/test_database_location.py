"""Where the database is: one default file in the user data folder, created only by
`db upgrade` or `demo`, and named in every error about it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import Cli


@pytest.fixture
def elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Cli:
    """The CLI run from an unrelated folder with no SETGET_DATABASE_URL."""
    monkeypatch.delenv("SETGET_DATABASE_URL", raising=False)
    folder = tmp_path / "somewhere-else"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return Cli(capsys)


def default_file(user_data_home: Path) -> Path:
    return user_data_home / "setget-bot" / "setget.db"


def test_a_command_on_no_database_creates_nothing_and_says_what_to_run(
    elsewhere: Cli, user_data_home: Path
) -> None:
    line = elsewhere.error("credits", "status", "demo")
    assert str(default_file(user_data_home)) in line
    assert "setget-bot db upgrade" in line
    assert list(Path.cwd().iterdir()) == []
    assert not default_file(user_data_home).exists()


def test_the_default_database_is_the_same_from_any_folder(
    elsewhere: Cli, user_data_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert str(default_file(user_data_home)) in elsewhere.ok("db", "upgrade")
    elsewhere.ok("workspace", "create", "acme", "--plan", "pro")
    other = tmp_path / "another"
    other.mkdir()
    monkeypatch.chdir(other)
    assert [w["workspace"] for w in elsewhere.json("workspace", "list")] == ["acme"]  # type: ignore[index, union-attr]
    assert list(other.iterdir()) == []


def test_a_named_file_that_does_not_exist_is_refused_not_created(
    elsewhere: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    file = tmp_path / "mine.db"
    monkeypatch.setenv("SETGET_DATABASE_URL", f"sqlite:///{file}")
    for args in (("workspace", "list"), ("usage", "demo"), ("llm", "show", "demo")):
        line = elsewhere.error(*args)
        assert f"there is no database at {file}" in line
    assert not file.exists()
    elsewhere.ok("db", "upgrade")
    assert file.exists()


def test_a_file_in_a_missing_folder_is_one_clear_line(
    elsewhere: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SETGET_DATABASE_URL", f"sqlite:///{tmp_path / 'nope' / 'x.db'}")
    line = elsewhere.error("db", "upgrade")
    assert f"the folder {tmp_path / 'nope'} does not exist" in line


def test_version_names_the_database_and_the_data_folder(
    elsewhere: Cli, user_data_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = elsewhere.ok("--version")
    assert out.splitlines() == [
        "setget-bot 0.1.0",
        f"database: {default_file(user_data_home)}",
        f"data folder: {user_data_home / 'setget-bot'}",
    ]
    monkeypatch.setenv("SETGET_DATABASE_URL", "postgresql://bob:hunter2@db.example:5432/setget")
    assert "database: postgresql://bob:***@db.example:5432/setget" in elsewhere.ok("--version")


def test_demo_says_when_it_reuses_the_demo_workspace(elsewhere: Cli, user_data_home: Path) -> None:
    first = elsewhere.ok("demo")
    assert "created workspace 'demo'" in first
    assert str(default_file(user_data_home)) in first
    second = elsewhere.ok("demo")
    assert f"using the existing demo workspace in {default_file(user_data_home)}" in second
