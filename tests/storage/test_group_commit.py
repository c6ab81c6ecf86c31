"""Group commit on SQLite: concurrent units share a transaction, and one unit's failure
never fails the others (it runs alone instead); a failed commit fails the whole batch."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.storage import open_database
from adapters.storage.database import Database
from adapters.storage.group_commit import GroupCommit


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'group.db'}", pool_size=4)
    async with database.write() as conn:
        await conn.execute(text("CREATE TABLE t (k TEXT PRIMARY KEY, via TEXT NOT NULL)"))
        await conn.execute(text("CREATE TABLE parent (id INTEGER PRIMARY KEY)"))
        await conn.execute(
            text(
                "CREATE TABLE child (p INTEGER REFERENCES parent (id) "
                "DEFERRABLE INITIALLY DEFERRED)"
            )
        )
    try:
        yield database
    finally:
        await database.dispose()


async def rows(db: Database) -> dict[str, str]:
    async with db.read() as conn:
        result = await conn.execute(text("SELECT k, via FROM t"))
        return {row.k: row.via for row in result}


def inserting(db: Database, key: str, *, fail_batched: bool = False, fail_alone: bool = False):
    """A unit inserting `key`: in the shared transaction (then raising, if asked: its row
    must vanish with the rollback), or alone in a transaction of its own."""

    async def batched(conn: AsyncConnection) -> str:
        await conn.execute(text("INSERT INTO t VALUES (:k, 'batch')"), {"k": key})
        if fail_batched:
            raise LookupError(f"{key} refused in the batch")
        return f"{key}:batch"

    async def alone() -> str:
        if fail_alone:
            raise PermissionError(f"{key} refused alone")
        async with db.write() as conn:
            await conn.execute(text("INSERT INTO t VALUES (:k, 'alone')"), {"k": key})
        return f"{key}:alone"

    return batched, alone


async def test_concurrent_units_share_one_transaction_and_each_gets_its_own_result(
    db: Database,
) -> None:
    group = GroupCommit(db)
    results = await asyncio.gather(*(group.run(*inserting(db, f"k{i}")) for i in range(20)))
    assert results == [f"k{i}:batch" for i in range(20)]
    assert group.transactions == 1
    assert await rows(db) == {f"k{i}": "batch" for i in range(20)}


async def test_more_units_than_a_batch_holds_take_several_transactions(db: Database) -> None:
    group = GroupCommit(db, max_batch=8)
    results = await asyncio.gather(*(group.run(*inserting(db, f"k{i}")) for i in range(20)))
    assert results == [f"k{i}:batch" for i in range(20)]
    assert group.transactions == 3  # 8 + 8 + 4
    assert len(await rows(db)) == 20


async def test_a_unit_failing_in_the_batch_runs_alone_and_the_others_still_commit(
    db: Database,
) -> None:
    group = GroupCommit(db)
    units = [inserting(db, f"k{i}", fail_batched=i == 5) for i in range(10)]
    results = await asyncio.gather(*(group.run(*u) for u in units))
    assert results == [f"k{i}:{'alone' if i == 5 else 'batch'}" for i in range(10)]
    # The five before it again as one batch, then it alone, then the four after it.
    assert group.transactions == 2
    expected = {f"k{i}": "batch" for i in range(10)} | {"k5": "alone"}
    assert await rows(db) == expected  # nothing of its rolled-back attempt remains


async def test_a_unit_failing_alone_too_fails_only_its_caller(db: Database) -> None:
    group = GroupCommit(db)
    units = [inserting(db, f"k{i}", fail_batched=i in (0, 3), fail_alone=i == 3) for i in range(6)]
    results = await asyncio.gather(*(group.run(*u) for u in units), return_exceptions=True)
    assert isinstance(results[3], PermissionError)
    assert str(results[3]) == "k3 refused alone"
    assert [r for i, r in enumerate(results) if i != 3] == [
        "k0:alone",
        "k1:batch",
        "k2:batch",
        "k4:batch",
        "k5:batch",
    ]
    assert set(await rows(db)) == {"k0", "k1", "k2", "k4", "k5"}


async def test_a_failed_commit_fails_every_unit_of_its_batch_and_writes_nothing(
    db: Database,
) -> None:
    group = GroupCommit(db)

    async def orphan(conn: AsyncConnection) -> str:  # a deferred foreign key: COMMIT refuses
        await conn.execute(text("INSERT INTO child VALUES (999)"))
        return "orphan"

    async def never() -> str:
        raise AssertionError("a unit that ran in the batch is not run alone after COMMIT fails")

    units = [group.run(*inserting(db, f"k{i}")) for i in range(3)] + [group.run(orphan, never)]
    results = await asyncio.gather(*units, return_exceptions=True)
    assert all(isinstance(r, IntegrityError) for r in results), results
    assert group.transactions == 0
    assert await rows(db) == {}

    assert await group.run(*inserting(db, "after")) == "after:batch"  # the group goes on


async def test_a_caller_cancelled_while_waiting_has_its_unit_dropped(db: Database) -> None:
    group = GroupCommit(db, max_batch=1)
    entered, release = asyncio.Event(), asyncio.Event()

    async def slow(conn: AsyncConnection) -> str:
        await conn.execute(text("INSERT INTO t VALUES ('first', 'batch')"))
        entered.set()
        await release.wait()
        return "first"

    async def unused() -> str:
        raise AssertionError("not run")

    first = asyncio.create_task(group.run(slow, unused))
    await entered.wait()
    second = asyncio.create_task(group.run(*inserting(db, "second")))
    third = asyncio.create_task(group.run(*inserting(db, "third")))
    await asyncio.sleep(0)  # both are queued behind the first
    second.cancel()
    release.set()
    assert await first == "first"
    assert await third == "third:batch"
    with pytest.raises(asyncio.CancelledError):
        await second
    assert set(await rows(db)) == {"first", "third"}
