"""Concurrent requests never overspend the pool, never charge twice, and the ledger explains.

Real concurrency on SQLite and PostgreSQL: the system clock, many asyncio tasks on pooled
connections, OS processes sharing one SQLite file, and two app instances (replicas) on one
PostgreSQL database. Expiry of crash-left holds runs on the fake clock.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from adapters.storage import open_database, upgrade_schema
from bot.app import App, build_app
from core.clock import SystemClock
from core.credits.alerts import AlertKind
from core.credits.ledger import Bucket, EntryKind, LedgerEntry
from core.credits.pricing import InteractionType
from core.errors import MemberCapReached, OutOfCredits, PoolBusy, ReservationClosed
from core.plans import Plan
from core.workspaces import Platform, Workspace
from tests.databases import fresh_database
from tests.fakes import FakeClock
from tests.storage.race_worker import (
    ANSWERED,
    BUSY,
    DUPLICATE,
    OUT,
    RACE_TIMEOUT_SECONDS,
    Outcome,
    ask,
    drain,
    settings,
    usage_for,
)

ROOT = Path(__file__).resolve().parents[2]
QUESTION = InteractionType.SIMPLE_QUESTION


@asynccontextmanager
async def running_app(
    url: str, *, pool_size: int | None = None, migrate: bool = False
) -> AsyncIterator[App]:
    """The app on `url` with the real clock, as one replica of the bot would run.

    SQLite serialises writers anyway: a few connections race as hard as many, and faster.
    """
    if pool_size is None:
        pool_size = 4 if url.startswith("sqlite") else 10
    db = open_database(url, pool_size=pool_size)
    try:
        if migrate:
            await upgrade_schema(db)
        yield build_app(settings(url), db=db, clock=SystemClock())
    finally:
        await db.dispose()


async def assert_pool_explained(
    app: App, workspace: Workspace, outcomes: Iterable[Outcome], *, pool: int
) -> None:
    """The pool lost exactly what was charged; each key and interaction charged once;
    the ledger, replayed in order, explains the balance and never goes negative."""
    outcomes = list(outcomes)
    charges = [o for o in outcomes if o.kind in (ANSWERED, DUPLICATE)]
    first = [o for o in charges if o.kind == ANSWERED]

    keys = Counter(o.key for o in first)
    assert [k for k, n in keys.items() if n > 1] == [], "a key was charged twice"
    by_interaction = {o.interaction_id: o for o in first}
    assert len(by_interaction) == len(first), "an interaction was charged twice"
    for o in charges:
        original = by_interaction[o.interaction_id]
        assert o.key == original.key
        assert (o.charged, o.written_off) == (original.charged, original.written_off)
    for o in first:
        assert o.charged + o.written_off == o.price
        # Its hold was live: the answer pays at least that credit, whatever others spent.
        assert o.charged >= 1, f"{o.key} lost its hold to another answer"
    assert all(o.remaining_after is not None and o.remaining_after >= 0 for o in charges)

    balance = (await app.pool.status(workspace)).balance
    assert balance.reserved == 0
    assert balance.remaining >= 0
    assert pool - balance.remaining == sum(o.charged for o in first)

    ledger = await app.credit_store.ledger(workspace.id)
    charged: dict[int | None, int] = defaultdict(int)
    written_off: dict[int | None, int] = defaultdict(int)
    for e in ledger:
        if e.kind is EntryKind.CHARGE:
            charged[e.interaction_id] -= e.delta
        elif e.kind is EntryKind.WRITE_OFF:
            written_off[e.interaction_id] -= e.delta
    assert dict(charged) == {i: o.charged for i, o in by_interaction.items() if o.charged}
    assert dict(written_off) == {
        i: o.written_off for i, o in by_interaction.items() if o.written_off
    }
    assert_ledger_replays(ledger)

    totals = await app.credit_store.ledger_totals(app.pool.context(workspace))
    assert totals.monthly_this_cycle == balance.monthly_remaining
    assert totals.packs == balance.packs_remaining
    assert totals.written_off == sum(o.written_off for o in first)

    usage = await app.dashboard.report(workspace)
    assert usage.used == sum(o.charged for o in first)
    assert sum(t.interactions for t in usage.figures.by_type) == len(first)


def assert_ledger_replays(ledger: list[LedgerEntry]) -> None:
    """Replayed in order, no bucket goes negative, packs are drawn only once the monthly
    allocation is used up, and always from the oldest pack with credits left."""
    monthly: dict[date, int] = defaultdict(int)
    packs: dict[int, int] = {}
    for e in ledger:
        if e.bucket is Bucket.MONTHLY:
            monthly[e.cycle_start] += e.delta
            assert monthly[e.cycle_start] >= 0, f"monthly credits went negative at {e}"
        elif e.bucket is Bucket.PACKS:
            assert e.pack_id is not None
            if e.kind is EntryKind.CHARGE:
                assert monthly[e.cycle_start] == 0, f"a pack was drawn before monthly: {e}"
                older = {p: left for p, left in packs.items() if p < e.pack_id and left}
                assert older == {}, f"pack {e.pack_id} drawn while older packs had {older}"
            packs[e.pack_id] = packs.get(e.pack_id, 0) + e.delta
            assert packs[e.pack_id] >= 0, f"pack {e.pack_id} went negative at {e}"


# -- many tasks, one app ------------------------------------------------------------------


async def test_race_to_zero_answers_exactly_what_the_pool_holds(database_url: str) -> None:
    async with running_app(database_url, migrate=True) as app:
        ws = await app.admin.create("acme", plan=Plan.ENTERPRISE, allocation=45)
        async with asyncio.timeout(RACE_TIMEOUT_SECONDS):
            outcomes = await asyncio.gather(
                *(ask(app, ws, worker="t", key=f"q{i}", price=1, member=None) for i in range(60))
            )

        assert Counter(o.kind for o in outcomes) == {ANSWERED: 45, OUT: 15}
        if database_url.startswith("sqlite"):  # the holds and settles shared transactions
            assert 0 < app.credit_store.group_commit.transactions < 45
        status = await app.pool.status(ws)
        assert status.balance.remaining == 0
        assert status.balance.monthly_used == 45
        assert status.paused
        await assert_pool_explained(app, ws, outcomes, pool=45)

        alerts = await app.credit_store.alerts(ws.id)
        thresholds = [a.percent for a in alerts if a.kind is AlertKind.THRESHOLD]
        assert sorted(thresholds) == [75, 90, 100]
        assert [a.kind for a in alerts].count(AlertKind.PAUSED) == 1

        with pytest.raises(OutOfCredits):  # and stays paused for the next member
            await app.pool.reserve(ws, key="after", member=None)


async def test_mixed_prices_race_drains_monthly_then_packs_and_writes_off_the_rest(
    database_url: str,
) -> None:
    async with running_app(database_url, migrate=True) as app:
        ws = await app.admin.create("acme", plan=Plan.PRO, allocation=30)
        await app.admin.buy_pack("acme", 20)
        await app.admin.grant("acme", 10, reason="goodwill")
        outcomes = await drain(app, ws, worker="t", tasks=30, seed=7)

        assert BUSY not in {o.kind for o in outcomes}
        balance = (await app.pool.status(ws)).balance
        assert (balance.monthly_used, balance.packs_remaining, balance.remaining) == (30, 0, 0)
        await assert_pool_explained(app, ws, outcomes, pool=60)
        assert sum(o.written_off for o in outcomes if o.kind == ANSWERED) > 0, (
            "the race should end with answers that cost more than the pool had left"
        )


async def test_same_key_reserved_and_settled_concurrently_is_charged_once(
    database_url: str,
) -> None:
    async with running_app(database_url, migrate=True) as app:
        ws = await app.admin.create("acme", plan=Plan.ENTERPRISE, allocation=20)

        holds = await asyncio.gather(
            *(app.pool.reserve(ws, key="evt-1", member=None) for _ in range(25))
        )
        assert [h.duplicate for h in holds].count(False) == 1
        assert len({h.interaction.id for h in holds}) == 1
        assert (await app.pool.status(ws)).balance.reserved == 1

        charges = await asyncio.gather(
            *(
                app.pool.settle(ws, key="evt-1", usage=usage_for(3), interaction_type=QUESTION)
                for _ in range(25)
            )
        )
        assert [c.duplicate for c in charges].count(False) == 1
        assert {(c.split.charged, c.split.written_off) for c in charges} == {(3, 0)}

        # A platform retrying whole events: 8 events, each delivered 6 times at once.
        retried = await asyncio.gather(
            *(
                ask(app, ws, worker="t", key=f"evt-{n}", price=2, member=None)
                for n in range(2, 10)
                for _ in range(6)
            )
        )
        assert Counter(o.kind for o in retried) == {ANSWERED: 8, DUPLICATE: 40}

        balance = (await app.pool.status(ws)).balance
        assert (balance.monthly_used, balance.reserved) == (3 + 8 * 2, 0)
        first = Outcome("t", "evt-1", 3, ANSWERED, False, charges[0].interaction.id, 3, 0, 17)
        await assert_pool_explained(app, ws, [first, *retried], pool=20)


async def test_release_racing_settle_has_one_winner(database_url: str) -> None:
    async with running_app(database_url, migrate=True) as app:
        ws = await app.admin.create("acme", plan=Plan.ENTERPRISE, allocation=20)
        for n in range(6):
            key = f"evt-{n}"
            await app.pool.reserve(ws, key=key, member=None)

            async def settle(key: str = key) -> bool:
                try:
                    await app.pool.settle(
                        ws, key=key, usage=usage_for(2), interaction_type=QUESTION
                    )
                except ReservationClosed:
                    return False
                return True

            async def release(key: str = key) -> bool:
                return await app.pool.release(ws, key=key)

            results = await asyncio.gather(*(f() for _ in range(4) for f in (settle, release)))
            settled, released = any(results[0::2]), any(results[1::2])
            assert settled != released, "a hold was both charged and given back"
            assert sum(results[1::2]) <= 1, "a hold was given back twice"

        balance = (await app.pool.status(ws)).balance
        assert balance.reserved == 0
        ledger = await app.credit_store.ledger(ws.id)
        charges = [e for e in ledger if e.kind is EntryKind.CHARGE]
        assert balance.monthly_used == -sum(e.delta for e in charges)
        assert len({e.interaction_id for e in charges}) == len(charges)


async def test_one_member_racing_their_cap_gets_exactly_the_cap(database_url: str) -> None:
    async with running_app(database_url, migrate=True) as app:
        ws = await app.admin.create("acme", plan=Plan.ENTERPRISE, allocation=100)
        await app.admin.set_member_cap("acme", "slack:U1", 2)
        member = await app.workspace_store.ensure_member(ws.id, Platform.SLACK, "U1", "ann")

        async def question(i: int) -> str:
            try:
                outcome = await ask(app, ws, worker="t", key=f"q{i}", price=1, member=member)
            except MemberCapReached:
                return "cap"
            return outcome.kind

        async with asyncio.timeout(RACE_TIMEOUT_SECONDS):
            results = await asyncio.gather(*(question(i) for i in range(6)))

        assert Counter(results) == {ANSWERED: 2, "cap": 4}
        assert (await app.pool.status(ws)).balance.monthly_used == 2


# -- expiry of holds a crash left behind --------------------------------------------------


async def test_crash_left_holds_expire_and_a_late_settle_still_charges_once(
    app: App, clock: FakeClock
) -> None:
    ws = await app.admin.create("acme", plan=Plan.ENTERPRISE, allocation=3)
    for key in ("crash-1", "crash-2", "crash-3"):
        await app.pool.reserve(ws, key=key, member=None)  # then the process dies

    with pytest.raises(PoolBusy):  # credits remain, but live-looking holds take them all
        await app.pool.reserve(ws, key="next", member=None)
    assert (await app.pool.status(ws)).balance.reserved == 3

    clock.advance(seconds=app.settings.hold_ttl_seconds + 1)
    hold = await app.pool.reserve(ws, key="next", member=None)  # sweeps the dead holds
    assert not hold.duplicate
    balance = (await app.pool.status(ws)).balance
    assert (balance.remaining, balance.reserved) == (3, 1)

    late = await app.pool.settle(ws, key="crash-1", usage=usage_for(2), interaction_type=QUESTION)
    assert (late.duplicate, late.split.charged, late.split.written_off) == (False, 2, 0)
    again = await app.pool.settle(ws, key="crash-1", usage=usage_for(2), interaction_type=QUESTION)
    assert (again.duplicate, again.split.charged) == (True, 2)
    balance = (await app.pool.status(ws)).balance
    assert (balance.remaining, balance.reserved, balance.available) == (1, 1, 0)

    answered = await app.pool.settle(ws, key="next", usage=usage_for(1), interaction_type=QUESTION)
    assert answered.split.charged == 1

    # The pool is empty now: a late answer is still recorded once, as a write-off.
    empty = await app.pool.settle(ws, key="crash-2", usage=usage_for(3), interaction_type=QUESTION)
    assert (empty.split.charged, empty.split.written_off) == (0, 3)
    assert not await app.pool.release(ws, key="crash-3")  # expired: nothing held any more
    retry = await app.pool.reserve(ws, key="crash-2", member=None)
    assert retry.duplicate
    assert retry.already_answered

    balance = (await app.pool.status(ws)).balance
    assert (balance.remaining, balance.reserved, balance.monthly_used) == (0, 0, 3)
    totals = await app.credit_store.ledger_totals(app.pool.context(ws))
    assert (totals.monthly_this_cycle, totals.packs, totals.written_off) == (0, 0, 3)
    ledger = await app.credit_store.ledger(ws.id)
    charged = Counter(e.interaction_id for e in ledger if e.kind is EntryKind.CHARGE)
    assert sorted(charged.values()) == [1, 1]
    assert_ledger_replays(ledger)


# -- several processes on one SQLite file -------------------------------------------------


async def test_processes_racing_one_sqlite_file_never_overspend(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    pool = 80
    async with running_app(url, migrate=True) as app:
        ws = await app.admin.create("acme", plan=Plan.ENTERPRISE, allocation=pool)

    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.storage.race_worker",
            url,
            "acme",
            f"p{n}",
            "3",
            "11",
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for n in range(4)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            line = await asyncio.wait_for(proc.stdout.readline(), 60)
            assert line.strip() == b"ready", line
        for proc in procs:  # all are set up: start the race at once
            assert proc.stdin is not None
            proc.stdin.write(b"go\n")
            await proc.stdin.drain()
        finished = [
            await asyncio.wait_for(proc.communicate(), RACE_TIMEOUT_SECONDS + 30) for proc in procs
        ]
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()

    outcomes: list[Outcome] = []
    for proc, (out, err) in zip(procs, finished, strict=True):
        assert proc.returncode == 0, err.decode()
        outcomes += [Outcome(**o) for o in json.loads(out)]

    workers_per_key: dict[str, set[str]] = defaultdict(set)
    for o in outcomes:
        workers_per_key[o.key].add(o.worker)
    assert any(len(w) > 1 for w in workers_per_key.values()), "no key raced across processes"
    assert {o.worker for o in outcomes if o.kind == OUT} == {"p0", "p1", "p2", "p3"}

    async with running_app(url) as app:
        ws = await app.admin.get("acme")
        balance = (await app.pool.status(ws)).balance
        assert (balance.remaining, balance.monthly_used) == (0, pool)
        await assert_pool_explained(app, ws, outcomes, pool=pool)


# -- many connections and two replicas on PostgreSQL --------------------------------------


@pytest.fixture
async def postgres_url(tmp_path: Path) -> AsyncIterator[str]:
    async with fresh_database("postgres", tmp_path) as url:  # skips without PostgreSQL
        yield url


async def test_two_replicas_with_many_connections_share_one_pool(postgres_url: str) -> None:
    async with (
        running_app(postgres_url, pool_size=40, migrate=True) as replica_a,
        running_app(postgres_url, pool_size=20) as replica_b,
    ):
        ws = await replica_a.admin.create("acme", plan=Plan.BUSINESS, allocation=40)
        await replica_a.admin.buy_pack("acme", 25)
        await replica_b.admin.grant("acme", 15, reason="goodwill")
        ws_b = await replica_b.admin.get("acme")

        a, b = await asyncio.gather(
            drain(replica_a, ws, worker="a", tasks=40, seed=3),
            drain(replica_b, ws_b, worker="b", tasks=20, seed=5),
        )

        assert replica_a.db.engine.pool.checkedin() > 20, "the race did not use many connections"
        shared = {o.key for o in a} & {o.key for o in b}
        assert shared, "no key raced across replicas"
        for replica in (replica_a, replica_b):
            balance = (await replica.pool.status(ws)).balance
            assert (balance.monthly_used, balance.packs_remaining, balance.remaining) == (40, 0, 0)
            await assert_pool_explained(replica, ws, [*a, *b], pool=80)


async def _sessions_waiting_for_locks(app: App, count: int) -> bool:
    """Whether `count` sessions on this database wait for a lock (polled up to 5 s)."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    for _ in range(250):
        async with app.db.engine.connect() as conn:
            if (await conn.scalar(query) or 0) >= count:
                return True
        await asyncio.sleep(0.02)
    return False


async def test_a_quick_and_a_pack_drawing_settle_of_one_member_both_charge(
    postgres_url: str,
) -> None:
    """Two answers of one member settle at once: one fits the monthly credits, the other
    draws on a pack. Both must be charged; neither may fail with a database error.

    An outside transaction briefly holds the pack row, so the pack-drawing settle waits
    while holding the balance lock; the quick settle then arrives. That is an interleaving
    of a busy replica, pinned down so that it happens on every run.
    """
    async with running_app(postgres_url, migrate=True) as app:
        ws = await app.admin.create("acme", plan=Plan.PRO, allocation=2)
        await app.admin.buy_pack("acme", 20)
        pack_id = next(e.pack_id for e in await app.credit_store.ledger(ws.id) if e.pack_id)
        for key in ("quick", "big"):
            await app.pool.reserve(ws, key=key, member=None)

        async with app.db.engine.connect() as outside:
            await outside.begin()
            await outside.execute(
                text("SELECT id FROM credit_packs WHERE id = :p FOR UPDATE"), {"p": pack_id}
            )
            big = asyncio.create_task(
                app.pool.settle(ws, key="big", usage=usage_for(5), interaction_type=QUESTION)
            )
            await _sessions_waiting_for_locks(app, 1)
            quick = asyncio.create_task(
                app.pool.settle(ws, key="quick", usage=usage_for(1), interaction_type=QUESTION)
            )
            await _sessions_waiting_for_locks(app, 2)
            await outside.rollback()

        async with asyncio.timeout(RACE_TIMEOUT_SECONDS):
            charges = await asyncio.gather(big, quick, return_exceptions=True)
        failures = [c for c in charges if isinstance(c, BaseException)]
        assert failures == [], f"a settle failed: {failures!r}"
        balance = (await app.pool.status(ws)).balance
        assert (balance.monthly_used, balance.packs_remaining, balance.reserved) == (2, 16, 0)
        totals = await app.credit_store.ledger_totals(app.pool.context(ws))
        assert (totals.monthly_this_cycle, totals.packs) == (0, 16)
