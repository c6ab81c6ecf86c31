"""Start-up stays fast: the CLI's entry point and its help import none of the heavy
libraries, and a command loads only what it needs (checked in fresh interpreters, through
`sys.modules`, so a later import at module level cannot slide back unnoticed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = (
    "sqlalchemy",
    "alembic",
    "openai",
    "anthropic",
    "httpx2",
    "slack_bolt",
    "slack_sdk",
    "discord",
    "aiohttp",
    "matplotlib",
    "bpe_openai",
    "rich",
    "prompt_toolkit",
    "apscheduler",
    "cryptography",
)
# (pydantic is not on the list: typer 0.29 itself loads it to check a command's arguments)
# what `credits status --json` needs: the database, nothing of a platform, a provider, a
# chart, a tokenizer or a table renderer; slack_sdk builds the Slack OAuth tables' schema and
# cryptography the workspace-key box, both still imported with the storage package
STATUS_MAY_LOAD = {"sqlalchemy", "slack_sdk", "cryptography"}


def loaded_after(code: str, env: dict[str, str] | None = None) -> list[str]:
    """The heavy top-level packages in `sys.modules` after running `code` in a new process."""
    probe = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
    )
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_importing_the_cli_loads_no_heavy_library() -> None:
    assert loaded_after("import bot.cli.main") == []


def test_help_loads_no_heavy_library() -> None:
    code = (
        "from bot.cli.main import main\n"
        "import contextlib, io\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['--help']); main(['credits', '--help']); main(['serve', 'slack', '--help'])"
    )
    assert loaded_after(code) == []


def test_credits_status_loads_the_database_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    env = {**os.environ, "SETGET_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    for step in (["db", "upgrade"], ["workspace", "create", "acme", "--plan", "pro"]):
        subprocess.run(
            [sys.executable, "-m", "bot.cli", *step], env=env, check=True, capture_output=True
        )
    code = (
        "from bot.cli.main import main\n"
        "import contextlib, io\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['credits', 'status', 'acme', '--json']) == 0"
    )
    loaded = set(loaded_after(code, env))
    assert loaded <= STATUS_MAY_LOAD, loaded
