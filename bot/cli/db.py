"""`setget-bot db upgrade|backup|restore`: the schema, and copies of a SQLite database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.runner import checked, fail, run

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

    from bot.app import App

app = typer.Typer(help="The database schema.", no_args_is_help=True)

File = Annotated[Path, typer.Argument(metavar="FILE", help="The copy's file.", show_default=False)]


@app.command("upgrade")
def upgrade() -> None:
    """Create the schema, or upgrade it to this version."""

    from adapters.storage import upgrade_schema

    async def action(a: App) -> None:
        before, after = await upgrade_schema(a.db)
        where = a.db.location
        if before == after:
            print(f"database at {where} is up to date ({', '.join(sorted(after))})")
        else:
            was = ", ".join(sorted(before)) or "empty"
            print(f"upgraded database at {where}: {was} -> {', '.join(sorted(after))}")

    run(action, require_schema=False)


@app.command("backup")
def backup(
    file: File,
    force: Annotated[bool, typer.Option("--force", help="Overwrite FILE if it exists.")] = False,
) -> None:
    """Copy the SQLite database to FILE while the bot runs (a consistent online copy).
    For PostgreSQL it prints the `pg_dump` command to use instead."""
    from adapters.storage.backup import backup_sqlite, pg_dump_line

    url = _database_url()
    source = _sqlite_source(url, pg_hint=lambda pg: pg_dump_line(pg, str(file)), verb="backup")
    copied = checked(lambda: backup_sqlite(source, file.expanduser().absolute(), force=force))
    print(
        f"backed up {source} to {copied.target} ({_size(copied.size_bytes)}, "
        f"schema {copied.revision or 'none'})"
    )


@app.command("restore")
def restore(
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="The backup to restore.", show_default=False)
    ],
) -> None:
    """Copy the backup FILE to SETGET_DATABASE_URL's file, which must not exist yet: stop the
    bot and move the old database (and its -wal, -shm) aside first."""
    from adapters.storage.backup import pg_restore_line, restore_sqlite

    url = _database_url()
    target = _sqlite_source(url, pg_hint=lambda pg: pg_restore_line(pg, str(file)), verb="restore")
    copied = checked(lambda: restore_sqlite(file.expanduser().absolute(), target))
    print(
        f"restored {file} to {copied.target} (schema {copied.revision or 'none'}); check it "
        "with `setget-bot ledger verify --all`"
    )


def _database_url() -> URL:
    from adapters.storage.database import normalize_url
    from bot.settings import load_settings

    return checked(lambda: normalize_url(load_settings().database_url))


def _sqlite_source(url: URL, *, pg_hint: Callable[[str], str], verb: str) -> Path:
    """The SQLite file of `url`; for PostgreSQL, fail with the command that does the job."""
    from adapters.storage.database import sqlite_file

    if url.get_backend_name() == "postgresql":
        from sqlalchemy.engine import URL as Url

        plain = Url.create(  # never the password: it would land in a shell history
            "postgresql",
            username=url.username,
            host=url.host,
            port=url.port,
            database=url.database,
            query=url.query,
        )
        hint = pg_hint(plain.render_as_string(hide_password=False))
        password = " (password in PGPASSWORD or ~/.pgpass)" if url.password else ""
        fail(f"db {verb} copies SQLite files; for PostgreSQL run: {hint}{password}")
    file = sqlite_file(url)
    if file is None:
        fail(f"db {verb} needs a SQLite file; SETGET_DATABASE_URL names an in-memory database")
    return file


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 1_000_000 else f"{n / 1000:.0f} kB"
