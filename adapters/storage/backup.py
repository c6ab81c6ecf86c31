"""Online copies of a SQLite database: `db backup` while the bot writes, `db restore` into
a place where nothing runs yet.

SQLite's online backup API (`sqlite3.Connection.backup`, all pages in one step) copies the
database as it was at one moment: in WAL mode the bot's writers go on while the copy reads,
and a commit that lands meanwhile is either wholly in the copy or not at all. The copy is
written to a temporary file beside the target, checked (`PRAGMA integrity_check`), then put
in place in one step, so a failed or interrupted backup never leaves a half-written FILE.
Standard library only: no engine, no pool, nothing the bot's writers wait for.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shlex
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from core.errors import InvalidInput, SetGetError

BUSY_TIMEOUT_MS = 30_000  # how long the copy waits for a writer's checkpoint, at most
NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK}


class BackupFailed(SetGetError):
    """The copy could not be made or checked; the message says why and what to do."""


@dataclass(frozen=True)
class Copied:
    """A finished copy: where, how big, and the schema revision it holds."""

    target: Path
    size_bytes: int
    revision: str | None


def backup_sqlite(source: Path, target: Path, *, force: bool = False) -> Copied:
    """Copy the live database `source` to `target` (refused if it exists, unless `force`)."""
    if not source.is_file():
        raise BackupFailed(f"there is no database at {source}: nothing to back up")
    _check_target(source, target, force=force)
    return _copy(source, target, replace=force)


def restore_sqlite(backup: Path, target: Path) -> Copied:
    """Copy `backup` to `target`, the configured database, which must not exist yet.

    Overwriting a database file that a running bot may hold open would corrupt it or lose its
    newest writes, and this process cannot see every other one: the operator stops the bot
    and moves the old file (with its `-wal` and `-shm`) aside first."""
    if not backup.is_file():
        raise BackupFailed(f"there is no backup at {backup}")
    leftovers = [p for p in _family(target) if p.exists()]
    if leftovers:
        raise BackupFailed(
            f"a database is already at {target}: stop every bot process that uses it, move "
            + ", ".join(str(p) for p in leftovers)
            + " aside, then run `setget-bot db restore` again"
        )
    _check_target(backup, target, force=False)
    return _copy(backup, target, replace=False)


def pg_dump_line(url: str, file: str) -> str:
    """The `pg_dump` command that backs up the PostgreSQL database at `url` (password hidden:
    give it in PGPASSWORD or ~/.pgpass)."""
    return f"pg_dump --format=custom --no-owner --file {_quoted(file)} {_quoted(url)}"


def pg_restore_line(url: str, file: str) -> str:
    return f"pg_restore --clean --if-exists --no-owner --dbname {_quoted(url)} {_quoted(file)}"


def _quoted(text: str) -> str:
    return shlex.quote(text)


def _family(file: Path) -> list[Path]:
    return [file, file.with_name(file.name + "-wal"), file.with_name(file.name + "-shm")]


def _check_target(source: Path, target: Path, *, force: bool) -> None:
    if target.resolve() in {p.resolve() for p in _family(source)}:
        raise InvalidInput(f"the copy cannot be written over the database itself ({target})")
    if target.is_dir():
        raise BackupFailed(f"cannot write the copy to {target}: it is a folder; name a file")
    if target.exists() and not force:
        raise BackupFailed(
            f"{target} already exists: choose another file, or add --force to overwrite it"
        )
    folder = target.parent
    if not folder.is_dir():
        raise BackupFailed(f"cannot write the copy to {target}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise BackupFailed(f"cannot write the copy to {target}: folder {folder} is not writable")


def _copy(source: Path, target: Path, *, replace: bool) -> Copied:
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        _backup_pages(source, partial)
        revision = _checked(partial)
        _put_in_place(partial, target, replace=replace)
    except OSError as exc:
        raise BackupFailed(f"cannot write the copy to {target}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return Copied(target=target, size_bytes=target.stat().st_size, revision=revision)


def _backup_pages(source: Path, partial: Path) -> None:
    try:
        # mode=rw: never create a source that is not there; the bot's pragmas are its own.
        src = sqlite3.connect(f"{source.absolute().as_uri()}?mode=rw", uri=True)
    except sqlite3.Error as exc:
        raise BackupFailed(f"cannot open the database at {source}: {exc}") from None
    try:
        src.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst, pages=-1)  # every page in one step: one consistent moment
            dst.execute("PRAGMA journal_mode = DELETE")  # the copy is one self-contained file
        finally:
            dst.close()
    except sqlite3.DatabaseError as exc:
        raise BackupFailed(f"cannot copy {source}: {exc}") from None
    finally:
        src.close()


def _checked(copy: Path) -> str | None:
    """The copy's schema revision, after SQLite's own integrity check passes."""
    conn = sqlite3.connect(f"{copy.absolute().as_uri()}?mode=ro", uri=True)
    try:
        verdict = conn.execute("PRAGMA integrity_check").fetchone()
        if verdict is None or verdict[0] != "ok":
            raise BackupFailed(f"the copy failed SQLite's integrity check: {verdict}")
        try:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.OperationalError:  # not a SetGet database (or never upgraded)
            return None
        return str(row[0]) if row else None
    except sqlite3.DatabaseError as exc:
        raise BackupFailed(f"the copy cannot be read back: {exc}") from None
    finally:
        conn.close()


def _put_in_place(partial: Path, target: Path, *, replace: bool) -> None:
    if replace:
        partial.replace(target)
        return
    try:
        os.link(partial, target)  # fails if target appeared meanwhile: never overwrite
    except FileExistsError:
        raise BackupFailed(
            f"{target} already exists: choose another file, or add --force to overwrite it"
        ) from None
    except OSError as exc:  # a file system without hard links: claim the name, then rename
        if exc.errno not in NO_HARD_LINKS:
            raise
        try:
            os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except FileExistsError:
            raise BackupFailed(f"{target} already exists: choose another file") from None
        partial.replace(target)
