"""The database handle: engine set-up per dialect and write/read transactions."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from core.errors import SetGetError

logger = logging.getLogger(__name__)

_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


class DatabaseUnavailable(SetGetError):
    """The database URL is malformed or the server cannot be reached."""


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


def safe_url(url: URL) -> str:
    """The URL with any password hidden, for messages and logs."""
    return url.render_as_string(hide_password=True)


class Database:
    """An async engine plus the transaction shapes the stores use."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        # SQLite has one writer at a time: queue this process's writers here instead of in
        # SQLite's sleeping busy handler (which still arbitrates between processes).
        self._sqlite_writer = asyncio.Lock() if self.is_sqlite else None
        self._prepared: dict[str, Any] = {}

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
            self.engine.connect() as conn,
            conn.begin(),
        ):
            yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with _translate_errors(self), self.engine.connect() as plain:
            conn = await plain.execution_options(sqlite_begin="DEFERRED")
            async with conn.begin():
                yield conn

    def prepared(self, name: str, build: Callable[[Database], Any]) -> Any:
        """A statement built once per database (hot paths skip rebuilding it per call)."""
        statement = self._prepared.get(name)
        if statement is None:
            statement = self._prepared[name] = build(self)
        return statement

    def insert(self, table: Table) -> Any:
        """The dialect's INSERT, which has `on_conflict_do_nothing/do_update`."""
        module = sqlite if self.is_sqlite else postgresql
        return module.insert(table)

    async def ping(self) -> bool:
        """Whether the database answers (for health checks)."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (OSError, SQLAlchemyError):
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
                f"cannot reach the database at {safe_url(db.engine.url)}"
            ) from exc
        raise
    except (ConnectionError, OSError) as exc:
        raise DatabaseUnavailable(
            f"cannot reach the database at {safe_url(db.engine.url)}"
        ) from exc
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise DatabaseUnavailable(
                f"lost the connection to the database at {safe_url(db.engine.url)}"
            ) from exc
        raise


def open_database(raw_url: str, *, pool_size: int = 10, echo: bool = False) -> Database:
    url = normalize_url(raw_url)
    if url.get_backend_name() == "sqlite":
        engine = create_async_engine(
            url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_timeout=60
        )
        _configure_sqlite(engine)
    else:
        engine = create_async_engine(
            url,
            echo=echo,
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_recycle=1800,
            connect_args={"timeout": 10},
        )
    return Database(engine)


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "busy_timeout=30000",
            "synchronous=NORMAL",
            "foreign_keys=ON",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")


def utc(value: datetime) -> datetime:
    """SQLite hands timestamps back naive; every stored time is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)
