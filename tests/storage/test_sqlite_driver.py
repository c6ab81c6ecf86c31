"""The SQLite driver: statements run in place; waiting for a lock and scans run off the loop."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from adapters.storage import Database, open_database, upgrade_schema
from adapters.storage.sqlite_driver import SqliteConnection
from adapters.storage.tables import workspaces


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'driver.db'}", pool_size=2)
    await upgrade_schema(database)
    yield database
    await database.dispose()


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The calls that went to a connection's thread, by the name of what ran there."""
    sent: list[str] = []
    original = SqliteConnection._execute

    async def counted(self: SqliteConnection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        sql = [a for a in args if isinstance(a, str)]
        inner = [a for a in args if callable(a) and not isinstance(a, sqlite3.Connection)]
        sent.append(sql[0] if sql else (inner[0] if inner else fn).__name__)
        return await original(self, fn, *args, **kwargs)  # type: ignore[no-untyped-call]

    monkeypatch.setattr(SqliteConnection, "_execute", counted)
    return sent


async def test_a_read_runs_in_place(db: Database, hops: list[str]) -> None:
    async with db.read() as conn:
        await conn.execute(select(workspaces))
        await conn.execute(text("SELECT 1"))
    assert hops == []


async def test_a_write_runs_in_place(db: Database, hops: list[str]) -> None:
    async with db.write() as conn:
        await conn.execute(
            text(
                "INSERT INTO workspaces (name, plan, allocation, anchor, mode, created_at) "
                "VALUES ('acme', 'pro', 100, '2026-01-01', 'metered', '2026-01-01 00:00:00')"
            )
        )
        await conn.execute(select(workspaces))
    assert hops == []
    async with db.read() as conn:
        assert (await conn.execute(select(workspaces.c.name))).scalars().all() == ["acme"]


async def test_a_write_that_fails_rolls_back(db: Database, hops: list[str]) -> None:
    async def fail() -> None:
        async with db.write() as conn:
            await conn.execute(select(workspaces))
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        await fail()
    assert hops == []
    async with db.read() as conn:
        assert (await conn.execute(select(workspaces))).all() == []


async def test_an_offloaded_read_runs_every_statement_on_the_thread(
    db: Database, hops: list[str]
) -> None:
    async with db.read(offload=True) as conn:
        await conn.execute(select(workspaces))
    assert hops[0] == "BEGIN DEFERRED"
    assert len(hops) >= 3  # begin, the select, the commit
    hops.clear()
    async with db.read() as conn:  # the next transaction on that connection is in place again
        await conn.execute(select(workspaces))
    assert hops == []


async def test_waiting_for_another_process_write_lock_does_not_stall_the_loop(
    db: Database, tmp_path: Path, hops: list[str]
) -> None:
    """Another connection (as another process would) holds the write lock for 0.6 s: the
    bot's write waits for it, and the event loop keeps running meanwhile."""
    locked, release = threading.Event(), threading.Event()

    def hold_lock() -> None:
        other = sqlite3.connect(tmp_path / "driver.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        locked.set()
        release.wait(5)
        other.execute("COMMIT")
        other.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    assert locked.wait(5)
    threading.Timer(0.6, release.set).start()

    async def write() -> float:
        started = time.perf_counter()
        async with db.write() as conn:
            await conn.execute(select(workspaces))
        return time.perf_counter() - started

    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while not release.is_set():
            await asyncio.sleep(0.01)
            ticks += 1

    waited, _ = await asyncio.gather(write(), tick())
    holder.join(5)
    assert waited >= 0.5  # it really waited for the lock
    assert ticks >= 20  # ...while the loop went on (0.6 s of 10 ms ticks: about 60)
    assert hops == ["BEGIN IMMEDIATE"]  # refused in place at once, then waited for on the thread


async def test_returning_rows_and_rowcounts_come_back(db: Database) -> None:
    async with db.write() as conn:
        inserted = await conn.execute(
            text(
                "INSERT INTO workspaces (name, plan, allocation, anchor, mode, created_at) "
                "VALUES ('a', 'pro', 1, '2026-01-01', 'metered', '2026-01-01 00:00:00'), "
                "('b', 'pro', 2, '2026-01-01', 'metered', '2026-01-01 00:00:00') RETURNING name"
            )
        )
        assert sorted(inserted.scalars().all()) == ["a", "b"]
        updated = await conn.execute(text("UPDATE workspaces SET allocation = allocation + 1"))
        assert updated.rowcount == 2
