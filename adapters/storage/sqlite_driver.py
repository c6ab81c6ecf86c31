"""SQLite for SQLAlchemy's aiosqlite dialect, with statements run in place on the event loop.

aiosqlite runs every call on the connection's own thread: making a cursor, executing, fetching
and closing are each a round trip through a queue, a thread switch and a wake-up of the event
loop — measured here at about 0.6 ms of CPU for a two-statement transaction, against 0.2 ms
when the same statements run in place. Worse, under load each round trip waits its turn on a
busy loop while the transaction holds the database's write lock. The statements this bot runs
touch a few rows by index and take microseconds, so they run in place. What may wait or take
long goes to the connection's thread, so the loop never stalls on it:

- a statement that finds the database locked by another process (SQLite's busy timeout is 0
  in place): it is tried again on the thread, waiting up to the connection's busy timeout
  (`BUSY_TIMEOUT_MS` unless `open_database` is told otherwise) for the lock. A
  statement refused as busy has done nothing, so trying it again is safe;
- every statement of a transaction begun with the `sqlite_offload` execution option
  (`Database.read(offload=True)`): reports that scan a cycle's data, exports, verification.

A COMMIT that passes the WAL's auto-checkpoint size (1,000 pages) checkpoints in place: a few
milliseconds, every few hundred answers.

A connection is used by one transaction at a time (SQLAlchemy's pool), and each call finishes
before the next starts, so the sqlite3 connection is never used by two threads at once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

import aiosqlite

T = TypeVar("T")
BUSY_TIMEOUT_MS = 30_000  # by default, how long a statement waits on the thread for a lock
_BUSY = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
_Result = tuple[Any, int, Any, list[Any]]  # description, rowcount, lastrowid, rows


def _run(db: sqlite3.Connection, sql: str, parameters: Any, many: bool) -> _Result:
    """One statement and all its rows, in one call (RETURNING rows are read to the end)."""
    cursor = db.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


def _patiently(db: sqlite3.Connection, busy_ms: int, fn: Callable[..., T], *args: Any) -> T:
    """`fn` on the connection's thread, waiting for another process's lock if need be."""
    db.execute(f"PRAGMA busy_timeout={busy_ms}")
    try:
        return fn(*args)
    finally:
        db.execute("PRAGMA busy_timeout=0")


class SqliteConnection(aiosqlite.Connection):
    """aiosqlite's connection (its thread, its queue) whose calls run in place."""

    def __init__(
        self, connector: Callable[[], sqlite3.Connection], *, busy_ms: int = BUSY_TIMEOUT_MS
    ) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self.busy_ms = busy_ms
        self.offload = False  # this transaction's statements go to the thread (set at BEGIN)

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        if not self.offload:
            if not self._running or not self._connection:
                raise ValueError("Connection closed")
            try:
                return fn(*args)
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode not in _BUSY:
                    raise
        result: T = await self._execute(_patiently, self._conn, self.busy_ms, fn, *args)  # type: ignore[no-untyped-call]
        return result

    def cursor(self) -> _Cursor:  # type: ignore[override]
        return _Cursor(self)

    async def commit(self) -> None:
        await self.call(self._conn.commit)

    async def rollback(self) -> None:
        await self.call(self._conn.rollback)


class _Cursor:
    """The DB-API cursor the dialect drives: each execute runs and fetches in one call."""

    arraysize = 1

    def __init__(self, connection: SqliteConnection) -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: Any = None
        self._rows: list[Any] = []

    async def __aenter__(self) -> _Cursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def execute(self, sql: str, parameters: Any = ()) -> _Cursor:
        conn = self._connection
        self._take(await conn.call(_run, conn._conn, sql, parameters, False))
        return self

    async def executemany(self, sql: str, parameters: Any) -> _Cursor:
        conn = self._connection
        self._take(await conn.call(_run, conn._conn, sql, list(parameters), True))
        return self

    def _take(self, result: _Result) -> None:
        self.description, self.rowcount, self.lastrowid, self._rows = result

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        count = size or self.arraysize
        rows, self._rows = self._rows[:count], self._rows[count:]
        return rows

    async def close(self) -> None:
        self._rows = []

    async def nextset(self) -> None:
        return None


def connector(
    database: str, *, uri: bool = False, busy_ms: int = BUSY_TIMEOUT_MS
) -> Callable[[], SqliteConnection]:
    """What `create_async_engine(async_creator=...)` calls for each new connection."""

    def make() -> sqlite3.Connection:
        # used from the loop's thread and the connection's own, never at once (see above);
        # in place a locked database is refused at once (timeout 0), then waited for there
        return sqlite3.connect(database, uri=uri, timeout=0, check_same_thread=False)

    def connect() -> SqliteConnection:
        return SqliteConnection(make, busy_ms=busy_ms)

    return connect
