"""Start-up stays fast: the CLI's entry point and its help import none of the heavy
libraries, and a command loads only what it needs (checked in fresh interpreters, through
`sys.modules`, so a later import at module level cannot slide back unnoticed)."""

from __future__ import annotations

import json
import subprocess
import sys

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
# chart, a tokenizer, a table renderer or a cipher
STATUS_MAY_LOAD = {"sqlalchemy"}
# what a command on a SQLite database never needs: the Slack SDK (its OAuth tables' schema is
# ours, in adapters/storage/slack_oauth_tables.py), the PostgreSQL dialect, cryptography (only
# a box that seals or opens a secret loads it)
NOT_ON_SQLITE = ("slack_sdk", "sqlalchemy.dialects.postgresql", "cryptography")


def loaded_after(
    code: str, env: dict[str, str] | None = None, *, watch: tuple[str, ...] = HEAVY
) -> list[str]:
    """The modules of `watch` in `sys.modules` after running `code` in a new process."""
    probe = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps(sorted(m for m in {watch!r} if m in sys.modules)))"
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


STATUS = (
    "from bot.cli.main import main\n"
    "import contextlib, io\n"
    "with contextlib.redirect_stdout(io.StringIO()):\n"
    "    assert main(['credits', 'status', 'acme', '--json']) == 0"
)


@pytest.fixture(scope="module")
def sqlite_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a SQLite database with the workspace `acme` in it."""
    import os

    path = tmp_path_factory.mktemp("startup") / "x.db"
    env = {**os.environ, "SETGET_DATABASE_URL": f"sqlite:///{path}"}
    for step in (["db", "upgrade"], ["workspace", "create", "acme", "--plan", "pro"]):
        subprocess.run(
            [sys.executable, "-m", "bot.cli", *step], env=env, check=True, capture_output=True
        )
    return env


def test_credits_status_loads_the_database_only(sqlite_env: dict[str, str]) -> None:
    loaded = set(loaded_after(STATUS, sqlite_env))
    assert loaded <= STATUS_MAY_LOAD, loaded


def test_credits_status_on_sqlite_loads_no_slack_postgresql_or_cipher(
    sqlite_env: dict[str, str],
) -> None:
    assert loaded_after(STATUS, sqlite_env, watch=NOT_ON_SQLITE) == []


def test_the_app_and_the_whole_storage_package_load_none_of_them() -> None:
    """What `credits status` imports, and every store with it (the package's `__init__`),
    whatever command it serves: the schema, including the Slack tables, comes without
    slack_sdk, and the stores without the PostgreSQL dialect or cryptography."""
    code = "import bot.app, adapters.storage, adapters.storage.tables, adapters.secrets"
    assert loaded_after(code, watch=NOT_ON_SQLITE) == []


def test_a_postgresql_database_loads_its_dialect_and_sqlite_does_not() -> None:
    """The probe sees a dialect when it is there: opening a PostgreSQL URL (no connection
    is made) loads the PostgreSQL dialect, and an INSERT for it is PostgreSQL's."""
    code = (
        "from adapters.storage.database import open_database\n"
        "from adapters.storage.tables import workspaces\n"
        "db = open_database('postgresql://nobody@127.0.0.1:1/none')\n"
        "assert type(db.insert(workspaces)).__module__.startswith("
        "'sqlalchemy.dialects.postgresql')"
    )
    assert loaded_after(code, watch=NOT_ON_SQLITE) == ["sqlalchemy.dialects.postgresql"]


def test_sealing_a_secret_loads_cryptography() -> None:
    code = "from adapters.secrets import SecretBox\nSecretBox('k' * 16).seal('sk-test')"
    assert loaded_after(code, watch=NOT_ON_SQLITE) == ["cryptography"]


@pytest.mark.parametrize(
    ("args", "code"),
    [(["credits", "status", "acme", "--json"], 0), (["credits", "status", "x"], 1)],
)
def test_a_command_exits_with_its_code_and_the_collector_frozen(
    sqlite_env: dict[str, str], args: list[str], code: int
) -> None:
    """`entry` freezes the garbage collector before the interpreter's exit (which would
    otherwise walk every object the libraries made), after the command's output."""
    program = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: print('frozen:', gc.get_freeze_count() > 0, file=sys.stderr))\n"
        "from bot.cli.main import entry\n"
        "entry()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program, *args],
        env=sqlite_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == code, done.stderr
    assert done.stderr.splitlines()[-1] == "frozen: True"
    if code == 0:
        assert json.loads(done.stdout)["workspace"] == "acme"
