"""Group commit on SQLite: concurrent units share a transaction, and one unit's failure
never fails the others (it runs alone instead); a failed commit fails the whole batch; rows
kept for write-behind are written at the batch's end, or, if that fails, each unit alone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.storage import open_database, upgrade_schema
from adapters.storage.database import Database
from adapters.storage.group_commit import GroupCommit
from adapters.storage.write_behind import WriteBehind
from bot.app import build_app
from bot.settings import Settings
from core.credits.pricing import InteractionType
from core.errors import MemberCapReached
from core.plans import Plan
from core.workspaces import Platform
from tests.storage.race_worker import usage_for


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

    async def batched(conn: AsyncConnection, _later: WriteBehind) -> str:
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

    async def orphan(
        conn: AsyncConnection, _later: WriteBehind
    ) -> str:  # a deferred foreign key: COMMIT refuses
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

    async def slow(conn: AsyncConnection, _later: WriteBehind) -> str:
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


INSERT_T = text("INSERT INTO t VALUES (:k, :via)")


def writing_behind(db: Database, key: str, behind: str):
    """A unit that writes `key` at once and `behind` at the batch's end."""

    async def batched(conn: AsyncConnection, later: WriteBehind) -> str:
        await conn.execute(INSERT_T, {"k": key, "via": "batch"})
        await later.add(INSERT_T, [{"k": behind, "via": "behind"}])
        return f"{key}:batch"

    async def alone() -> str:
        async with db.write() as conn:
            await conn.execute(INSERT_T, {"k": key, "via": "alone"})
        return f"{key}:alone"

    return batched, alone


async def test_write_behind_rows_of_a_batch_are_written_together_at_its_end(
    db: Database,
) -> None:
    group = GroupCommit(db)
    units = [writing_behind(db, f"k{i}", f"b{i}") for i in range(5)]
    assert await asyncio.gather(*(group.run(*u) for u in units)) == [
        f"k{i}:batch" for i in range(5)
    ]
    assert group.transactions == 1
    expected = {f"k{i}": "batch" for i in range(5)} | {f"b{i}": "behind" for i in range(5)}
    assert await rows(db) == expected


async def test_write_behind_that_fails_at_the_end_runs_every_unit_alone(db: Database) -> None:
    group = GroupCommit(db)
    # Two units keep the same key for the end: the batch cannot commit, and no unit alone
    # is to blame, so each runs alone.
    units = [writing_behind(db, f"k{i}", "same" if i in (1, 3) else f"b{i}") for i in range(4)]
    assert await asyncio.gather(*(group.run(*u) for u in units)) == [
        f"k{i}:alone" for i in range(4)
    ]
    assert group.transactions == 0
    assert await rows(db) == {f"k{i}": "alone" for i in range(4)}


async def test_a_hold_batched_after_a_settle_counts_that_settle_in_the_member_cap(
    tmp_path: Path,
) -> None:
    """The settle's rollup row is write-behind; the hold's cap check reads the rollup, so
    it writes what is kept first."""
    url = f"sqlite:///{tmp_path / 'cap.db'}"
    db = open_database(url, pool_size=4)
    try:
        await upgrade_schema(db)
        app = build_app(Settings(database_url=url), db=db)
        ws = await app.admin.create("acme", plan=Plan.ENTERPRISE, allocation=100)
        await app.admin.set_member_cap("acme", "slack:U1", 3)
        ann = await app.workspace_store.ensure_member(ws.id, Platform.SLACK, "U1", "ann")
        await app.pool.reserve(ws, key="first", member=ann)

        settle = app.pool.settle(
            ws, key="first", usage=usage_for(3), interaction_type=InteractionType.SIMPLE_QUESTION
        )
        second = app.pool.reserve(ws, key="second", member=ann)
        charge, refused = await asyncio.gather(settle, second, return_exceptions=True)

        assert not isinstance(charge, BaseException)
        assert charge.split.charged == 3
        assert isinstance(refused, MemberCapReached)  # 3 used + 1 held would pass the cap
        assert (await app.pool.status(ws)).balance.reserved == 0
    finally:
        await db.dispose()
