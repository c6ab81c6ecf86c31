"""`setget-bot db backup FILE` and `db restore FILE`: a consistent online copy of a SQLite
database taken while another process charges answers, which then verifies clean and answers
`credits status`; and every refusal is one clear line.

The writer is this module run as a script (`python -m tests.ops.test_backup URL COUNT`): it
charges one credit per answer until told to stop, the way a serving bot would."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.cli import conftest as cli_conftest
from tests.cli.conftest import Cli

cli = cli_conftest.cli  # the CLI in-process, on an upgraded `cli.db` in tmp_path

ROOT_DIR = Path(__file__).resolve().parents[2]
BACKUPS = 4  # copies taken while the writer runs
GRANT = 100_000


def setget(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    """The CLI as an operator runs it, in its own process."""
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env={**os.environ, "SETGET_DATABASE_URL": url},
        cwd=ROOT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def charges_in(file: Path) -> int:
    with sqlite3.connect(file) as conn:
        return int(conn.execute("SELECT count(*) FROM interactions").fetchone()[0])


def sqlite_url(file: Path) -> str:
    return f"sqlite:///{file}"


@pytest.fixture
def live(tmp_path: Path) -> Path:
    """A database with one Pro workspace holding plenty of credits."""
    file = tmp_path / "live.db"
    for args in (
        ("db", "upgrade"),
        ("workspace", "create", "acme", "--plan", "pro"),
        ("credits", "grant", "acme", str(GRANT), "--reason", "backup test"),
    ):
        done = setget(*args, url=sqlite_url(file))
        assert done.returncode == 0, done.stderr
    return file


def test_a_backup_taken_while_answers_are_charged_verifies_clean_and_restores(
    live: Path, tmp_path: Path
) -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "tests.ops.test_backup", sqlite_url(live)],
        env=dict(os.environ),
        cwd=ROOT_DIR,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as writer:
        assert writer.stdin is not None
        assert writer.stdout is not None
        try:
            assert writer.stdout.readline().strip() == "charging"
            copies = []
            for n in range(BACKUPS):
                copy = tmp_path / f"backup-{n}.db"
                done = setget("db", "backup", str(copy), url=sqlite_url(live))
                assert done.returncode == 0, done.stderr
                assert done.stdout.startswith(f"backed up {live} to {copy} (")
                copies.append(copy)
            assert writer.poll() is None, "the writer stopped before the last backup"
            out, _ = writer.communicate("stop\n", timeout=60)  # a hang fails, not blocks
            assert writer.returncode == 0
            charged = int(out)
        finally:
            if writer.poll() is None:
                writer.kill()

    counts = [charges_in(copy) for copy in copies]
    print(f"charges in the copies: {counts}; in the live database: {charged}")
    assert 0 < counts[0] <= counts[-1] <= charged == charges_in(live)
    assert counts == sorted(counts)  # each copy is a later moment of the same ledger
    assert counts[-1] > counts[0], "the writer wrote nothing between the backups"
    for copy in copies:
        verified = setget("ledger", "verify", "--all", "--json", url=sqlite_url(copy))
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert json.loads(verified.stdout)["ok"] is True
        status = setget("credits", "status", "acme", "--json", url=sqlite_url(copy))
        assert status.returncode == 0, status.stderr
        assert json.loads(status.stdout)  # a readable status on the copy

    # Restored into place (a fresh location), the copy serves the same commands.
    restored = tmp_path / "restored" / "setget.db"
    restored.parent.mkdir()
    done = setget("db", "restore", str(copies[-1]), url=sqlite_url(restored))
    assert done.returncode == 0, done.stderr
    assert charges_in(restored) == counts[-1]
    verified = setget("ledger", "verify", "--all", url=sqlite_url(restored))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert setget("credits", "status", "acme", url=sqlite_url(restored)).returncode == 0


def test_restore_refuses_a_place_where_a_database_is(live: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    assert setget("db", "backup", str(copy), url=sqlite_url(live)).returncode == 0
    before = live.read_bytes()
    done = setget("db", "restore", str(copy), url=sqlite_url(live))
    assert done.returncode == 1
    assert done.stderr.startswith(f"error: a database is already at {live}: stop every bot")
    assert live.read_bytes() == before


@pytest.fixture
def empty(cli: Cli, tmp_path: Path) -> Path:
    return tmp_path / "cli.db"  # the `cli` fixture's upgraded database


def test_an_existing_file_is_kept_unless_forced(cli: Cli, empty: Path, tmp_path: Path) -> None:
    target = tmp_path / "kept.db"
    target.write_text("an earlier backup")
    assert cli.error("db", "backup", str(target)) == (
        f"error: {target} already exists: choose another file, or add --force to overwrite it"
    )
    assert target.read_text() == "an earlier backup"
    assert cli.ok("db", "backup", str(target), "--force").startswith(f"backed up {empty} to")
    assert charges_in(target) == 0  # a real database now
    assert not [p.name for p in tmp_path.iterdir() if ".partial-" in p.name]


def test_a_missing_source_and_an_unwritable_target_are_one_clear_line(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli.error("db", "backup", str(tmp_path / "no" / "such" / "x.db")) == (
        f"error: cannot write the copy to {tmp_path / 'no/such/x.db'}: folder "
        f"{tmp_path / 'no/such'} does not exist"
    )
    assert cli.error("db", "backup", str(tmp_path)).endswith("it is a folder; name a file")
    assert cli.error("db", "backup", str(tmp_path / "cli.db")) == (
        f"error: the copy cannot be written over the database itself ({tmp_path / 'cli.db'})"
    )
    monkeypatch.setenv("SETGET_DATABASE_URL", sqlite_url(tmp_path / "gone.db"))
    assert cli.error("db", "backup", str(tmp_path / "x.db")) == (
        f"error: there is no database at {tmp_path / 'gone.db'}: nothing to back up"
    )
    (tmp_path / "gone.db").write_text("not a database")
    assert "file is not a database" in cli.error("db", "backup", str(tmp_path / "x.db"))
    assert not (tmp_path / "x.db").exists()


def test_postgresql_gets_the_pg_dump_line_without_its_password(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SETGET_DATABASE_URL", "postgresql://setget:s3cret-pw@db:5432/setget")
    line = cli.error("db", "backup", "/backups/setget.dump")
    assert line == (
        "error: db backup copies SQLite files; for PostgreSQL run: pg_dump --format=custom "
        "--no-owner --file /backups/setget.dump postgresql://setget@db:5432/setget "
        "(password in PGPASSWORD or ~/.pgpass)"
    )
    assert cli.error("db", "restore", "/backups/setget.dump") == (
        "error: db restore copies SQLite files; for PostgreSQL run: pg_restore --clean "
        "--if-exists --no-owner --dbname postgresql://setget@db:5432/setget "
        "/backups/setget.dump (password in PGPASSWORD or ~/.pgpass)"
    )


async def _charge_until_stopped(url: str) -> int:
    """Charge one credit per answer, as fast as the pool allows, until a line on stdin."""
    from adapters.storage import open_database
    from bot.app import build_app
    from core.clock import SystemClock
    from tests.storage.race_worker import ask, settings

    stop = threading.Event()  # set by a thread: the charging loop may never wait for I/O

    def wait_for_the_stop_line() -> None:
        sys.stdin.readline()
        stop.set()

    threading.Thread(target=wait_for_the_stop_line, daemon=True).start()
    db = open_database(url, pool_size=2)
    try:
        app = build_app(settings(url), db=db, clock=SystemClock())
        workspace = await app.admin.get("acme")
        charged = 0
        while not stop.is_set():
            outcome = await ask(
                app, workspace, worker="w", key=f"w-{charged}", price=1, member=None
            )
            assert outcome.kind == "answered", outcome
            charged += 1
            if charged == 1:
                print("charging", flush=True)
        return charged
    finally:
        await db.dispose()


if __name__ == "__main__":
    print(asyncio.run(_charge_until_stopped(sys.argv[1])), flush=True)
