"""The database handle: engine set-up per dialect and write/read transactions.

A pooled PostgreSQL connection the server dropped (a restart, a failover,
`pg_terminate_backend`) is replaced as it is checked out, before anything is sent on it, so
the transaction that wanted it runs on a fresh one. Two checks, both cheap: asyncpg's flag
for a socket it saw close (no round trip), and, for a connection unused for more than
`IDLE_CHECK_AFTER` (the state in which a restart finds them), a ping. A connection in steady
use is never pinged; `pool_pre_ping` pings every checkout (three round trips on asyncpg:
BEGIN, `;`, ROLLBACK), measured here at +0.8 to 1.6 ms on a 1.2 ms write transaction, of
which an answer makes about ten. The pool hands out the most recently used connection first,
so after a quiet spell one connection is pinged, not every one in turn. A failure inside a
transaction already under way is not retried (its statements would have to run again): it
raises `DatabaseUnavailable`, and the pool replaces its other connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Table, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from adapters.storage.sqlite_driver import BUSY_TIMEOUT_MS, SqliteConnection, connector
from core.errors import ServiceUnavailable

logger = logging.getLogger(__name__)

_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
IDLE_CHECK_AFTER = 1.0  # seconds unused after which a pooled connection is pinged first


class DatabaseUnavailable(ServiceUnavailable):
    """The database URL is malformed or the server cannot be reached.

    The message names the (masked) URL for operators and logs; people in chat are told only
    that the service is unavailable.
    """


class DatabaseMissing(DatabaseUnavailable):
    """The SQLite file does not exist, and only `db upgrade` (or `demo`) may create one."""


CREATE_HINT = "run `setget-bot db upgrade` to create it (or `setget-bot demo` for a demo)"


def normalize_url(raw: str) -> URL:
    """Accept plain `sqlite:///file.db` and `postgresql://...`; use the async drivers."""
    try:
        url = make_url(raw.replace("postgres://", "postgresql://", 1))
    except ArgumentError:
        raise DatabaseUnavailable(f"cannot parse database URL {raw!r}") from None
    backend = url.get_backend_name()
    if backend not in _DRIVERS:
        raise DatabaseUnavailable(
            f"unsupported database {backend!r}: use sqlite:///FILE or postgresql://..."
        )
    return url.set(drivername=_DRIVERS[backend])


def sqlite_file(url: URL) -> Path | None:
    """The SQLite file a URL names, made absolute; None for a server or an in-memory one."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(str(url.database)).expanduser().absolute()


def safe_url(url: URL) -> str:
    """Where the database is, for messages and logs: the SQLite file, or the server's URL
    with any password hidden."""
    file = sqlite_file(url)
    if file is not None:
        return str(file)
    return url.set(drivername=url.get_backend_name()).render_as_string(hide_password=True)


def refuse_missing_file(raw_url: str, *, folder_is_made: bool = False) -> None:
    """Raise `DatabaseMissing` when the URL names a SQLite file that does not exist.

    A file in a folder that does not exist is left to `Database` to refuse, unless
    `folder_is_made` (`db upgrade` would make the folder too, as for the default file)."""
    file = sqlite_file(normalize_url(raw_url))
    if file is not None and (folder_is_made or file.parent.is_dir()) and not file.exists():
        raise _missing(file)


def _missing(file: Path) -> DatabaseMissing:
    return DatabaseMissing(f"there is no database at {file}: {CREATE_HINT}")


def describe_database(raw_url: str) -> str:
    """`safe_url` of a URL as a person wrote it (for `--version`)."""
    return safe_url(normalize_url(raw_url))


class Database:
    """An async engine plus the transaction shapes the stores use."""

    def __init__(self, engine: AsyncEngine, *, create: bool = True) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        # SQLite has one writer at a time: queue this process's writers here instead of in
        # SQLite's sleeping busy handler (which still arbitrates between processes).
        self._sqlite_writer = asyncio.Lock() if self.is_sqlite else None
        self._prepared: dict[str, Any] = {}
        self._sqlite_file = sqlite_file(engine.url)
        self._create = create
        self.location = safe_url(engine.url)  # the file or server, password hidden

    def _check_file(self) -> None:
        """Say what is wrong with a SQLite file before trying to open it (a failed open leaves
        aiosqlite's thread behind): a folder that does not exist, or, when this handle may
        not create the file, a file that does not exist."""
        file = self._sqlite_file
        if file is None:
            return
        if not file.parent.is_dir():
            raise DatabaseUnavailable(
                f"cannot reach the database at {file}: the folder {file.parent} does not exist"
            )
        if not self._create and not file.exists():
            raise _missing(file)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A transaction that may write; on SQLite it takes the write lock at BEGIN.

        `BEGIN IMMEDIATE` makes writers queue on SQLite's busy timeout instead of failing
        when a reader upgrades to a writer, across threads and processes alike.
        """
        async with (
            _translate_errors(self),
            self._sqlite_writer or contextlib.nullcontext(),
            self._connection() as conn,
            conn.begin(),
        ):
            yield conn

    @asynccontextmanager
    async def read(self, *, offload: bool = False) -> AsyncIterator[AsyncConnection]:
        """A read-only transaction; `offload`: its statements may scan much data (reports,
        exports, verification), so on SQLite they run off the event loop."""
        async with _translate_errors(self), self._connection() as plain:
            conn = await plain.execution_options(sqlite_begin="DEFERRED", sqlite_offload=offload)
            async with conn.begin():
                yield conn

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[AsyncConnection]:
        """A pooled connection; failing to get one at all (refused, the database closed to
        connections, a file that cannot be opened) means the database is unavailable."""
        self._check_file()
        conn = self.engine.connect()
        try:
            await conn.start()
        except (SQLAlchemyError, OSError) as exc:
            raise DatabaseUnavailable(
                f"cannot reach the database at {self.location}: {_cause(exc)}"
            ) from exc
        try:
            yield conn
        finally:
            await conn.close()

    def prepared(self, name: str, build: Callable[[Database], Any]) -> Any:
        """A statement built once per database (hot paths skip rebuilding it per call)."""
        statement = self._prepared.get(name)
        if statement is None:
            statement = self._prepared[name] = build(self)
        return statement

    def insert(self, table: Table) -> Any:
        """The dialect's INSERT, which has `on_conflict_do_nothing/do_update`. Imported here:
        the engine has loaded its own dialect's package already, and only that one."""
        if self.is_sqlite:
            from sqlalchemy.dialects import sqlite

            return sqlite.insert(table)
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)

    async def ping(self) -> bool:
        """Whether the database answers (for health checks)."""
        try:
            self._check_file()
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (OSError, SQLAlchemyError, DatabaseUnavailable):
            return False
        return True

    async def dispose(self) -> None:
        await self.engine.dispose()


@asynccontextmanager
async def _translate_errors(db: Database) -> AsyncIterator[None]:
    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        if isinstance(exc.orig, ConnectionError | OSError) or "connect" in str(exc).lower():
            raise DatabaseUnavailable(
                f"cannot reach the database at {db.location}: {_cause(exc)}"
            ) from exc
        if db.is_sqlite and "locked" in str(exc.orig).lower():  # past the busy timeout
            raise DatabaseUnavailable(
                f"the database at {db.location} is locked by another process"
            ) from exc
        raise
    except (ConnectionError, OSError) as exc:
        raise DatabaseUnavailable(
            f"cannot reach the database at {db.location}: {_cause(exc)}"
        ) from exc
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise DatabaseUnavailable(
                f"lost the connection to the database at {db.location}"
            ) from exc
        raise


def _cause(exc: BaseException) -> str:
    """Why a connection failed, in a few words (the driver's first line, never the URL)."""
    inner: BaseException = exc
    while True:
        nested = getattr(inner, "orig", None) or inner.__cause__
        if not isinstance(nested, BaseException):
            break
        inner = nested
    if isinstance(inner, ConnectionRefusedError):
        return "connection refused"
    if isinstance(inner, TimeoutError):
        return "no answer in time"
    if isinstance(inner, socket.gaierror):
        return "unknown host"
    first = str(inner).strip().splitlines()[0] if str(inner).strip() else ""
    return first[:200] or type(inner).__name__


def open_database(
    raw_url: str,
    *,
    pool_size: int = 10,
    echo: bool = False,
    idle_check_after: float = IDLE_CHECK_AFTER,
    create: bool = True,
    sqlite_busy_timeout: float = BUSY_TIMEOUT_MS / 1000,
) -> Database:
    """`idle_check_after`: seconds unused after which a pooled PostgreSQL connection is
    pinged as it is checked out (0: every time one is reused). `create=False`: a SQLite file
    that does not exist is refused (`DatabaseMissing`), never created. `sqlite_busy_timeout`:
    seconds a SQLite statement waits for another process's lock before the database counts
    as unavailable."""
    url = normalize_url(raw_url)
    if url.get_backend_name() == "sqlite":
        engine = create_async_engine(
            url,
            echo=echo,
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_timeout=60,
            async_creator=_sqlite_connector(
                sqlite_file(url), create=create, busy_ms=round(sqlite_busy_timeout * 1000)
            ),
        )
        _configure_sqlite(engine)
    else:
        engine = create_async_engine(
            url,
            echo=echo,
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_recycle=1800,
            pool_use_lifo=True,  # after a quiet spell one connection is checked, not all
            connect_args={"timeout": 10},
        )
        _replace_dead_connections(engine, idle_check_after)
    return Database(engine, create=create)


def _sqlite_connector(
    file: Path | None, *, create: bool, busy_ms: int
) -> Callable[[], Awaitable[Any]]:
    """Connections that run quick statements in place (`sqlite_driver`). Without `create`
    the file is opened read-write, never created (SQLite's `mode=rw`), even if it vanished
    after `Database` checked that it exists."""
    if file is None:
        return connector(":memory:", busy_ms=busy_ms)
    if create:
        return connector(str(file), busy_ms=busy_ms)
    return connector(f"{file.as_uri()}?mode=rw", uri=True, busy_ms=busy_ms)


def _replace_dead_connections(engine: AsyncEngine, idle_check_after: float) -> None:
    """Raising `DisconnectionError` at checkout makes the pool discard the connection and
    check out a freshly opened one in its place."""
    dialect = engine.dialect

    @event.listens_for(engine.sync_engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        driver = record.driver_connection
        if driver is not None and driver.is_closed():
            logger.info("database: replacing a connection the server closed")
            raise DisconnectionError("the server closed this pooled connection")
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < idle_check_after:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as exc:
            logger.info("database: replacing an idle connection that no longer answers")
            raise DisconnectionError("an idle pooled connection no longer answers") from exc


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "busy_timeout=0",  # in place; `sqlite_driver` waits on its thread when locked
            "synchronous=NORMAL",
            "foreign_keys=ON",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        driver = conn.connection.driver_connection
        if isinstance(driver, SqliteConnection):
            driver.offload = options.get("sqlite_offload", False)
        conn.exec_driver_sql(f"BEGIN {options.get('sqlite_begin', 'IMMEDIATE')}")


def utc(value: datetime) -> datetime:
    """SQLite hands timestamps back naive; every stored time is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)
