"""The database failing under a load of answers, seen from Slack: PostgreSQL connections
killed mid-transaction (`pg_terminate_backend`), the server "restarted" (a proxy in front of
it cuts every connection and refuses new ones for a while), and SQLite locked by another
process. Each answer is delivered or the person told "unavailable"; nothing is half-written
(the ledger verifies); the same process answers again once the database is back, and its
recovery job answers what the outage interrupted, charged once."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import asyncpg  # type: ignore[import-untyped]
import pytest
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.engine import make_url

from adapters.storage import open_database
from adapters.storage.database import sqlite_file
from bot.app import App, build_app
from bot.scheduler import release_expired_holds
from core.chat.telling import UNAVAILABLE
from core.workspaces import Workspace
from tests.adapters.slack.conftest import SlackBot
from tests.adapters.slack.conftest import slack as slack  # noqa: PLC0414  (the fixture)
from tests.adapters.slack.fake_slack import FakeSlack, SlackCall
from tests.adapters.slack.signing import mention_event
from tests.faults.ledger import assert_ledger_clean, charges
from tests.faults.llm_fakes import CountingModel, slack_bot
from tests.faults.slack_answers import is_final, process
from tests.faults.tcp_proxy import TcpProxy
from tests.faults.test_database_outage import dsn

COUNT = "How many open items are in the WEB project?"
ANSWERED = "open work items in WEB"
LOAD = 8  # answers in flight when the database goes


async def kill_backends(database_url: str) -> int:
    """`pg_terminate_backend` of every connection the bot has open now; how many."""
    admin = await asyncpg.connect(dsn(database_url))
    try:
        return int(
            await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    finally:
        await admin.close()


def ts(n: int) -> str:
    return f"1700000000.{n:06d}"


def outcome(slack: FakeSlack, n: int) -> str:
    """What the person who sent mention `n` sees last in its thread."""
    shown = placeholders(slack, n)
    mine = [
        c
        for c in slack.calls
        if (c.method == "chat.update" and c.args.get("ts") in shown)
        or (c.method == "chat.postMessage" and c.args.get("thread_ts") == ts(n))
    ]
    if not mine:
        return "nothing"
    last = mine[-1]
    if is_final(last):
        return "answered"
    if UNAVAILABLE in str(last.args.get("text")):
        return "unavailable"
    return f"other: {last.args.get('text')!r}"


def placeholders(slack: FakeSlack, n: int) -> set[str]:
    return {posted for posted, thread in slack.thread_of.items() if thread == ts(n)}


async def ask_all(bot: SlackBot, numbers: range) -> list[int]:
    return list(await asyncio.gather(*(bot.event(mention_event(COUNT, ts=ts(n))) for n in numbers)))


async def recover(app: App, slack: FakeSlack) -> int:
    """The recovery jobs of the same process, once the interrupted claims' leases ran out."""
    app.clock.advance(minutes=6)  # type: ignore[attr-defined]  # past leases and holds
    client = AsyncWebClient(token="xoxb-test-token", base_url=slack.api_url)

    async def client_for(_team: str) -> AsyncWebClient:
        return client

    answered = await process(app).answer_unfinished(client_for)
    await release_expired_holds(app)  # the job that gives back holds a failed release left
    return answered


def said(calls: Sequence[SlackCall]) -> str:
    return "\n".join(str(c.args) for c in calls)


@asynccontextmanager
async def proxied(database_url: str, app: App) -> AsyncIterator[tuple[TcpProxy, App]]:
    """The bot's own database handle, reaching PostgreSQL through a proxy the test can cut."""
    url = make_url(database_url)
    async with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        through = url.set(port=proxy.port).render_as_string(hide_password=False)
        db = open_database(through, pool_size=5, idle_check_after=0.0)
        try:
            yield proxy, build_app(app.settings, db=db, clock=app.clock)
        finally:
            await db.dispose()


@pytest.mark.parametrize("engine", ["postgres"])
async def test_a_server_restart_under_load_is_told_then_recovered_without_a_restart(
    app: App, acme: Workspace, slack: FakeSlack, database_url: str
) -> None:
    model = CountingModel(gated=True)
    async with proxied(database_url, app) as (proxy, bot_app):
        async with slack_bot(bot_app, slack, acme, model) as bot:
            asking = asyncio.create_task(ask_all(bot, range(LOAD)))
            await model.until(LOAD)  # every answer holds credits, waiting for the model
            restart = asyncio.create_task(proxy.cut(refuse_for=0.5))
            await asyncio.sleep(0.05)
            during = await ask_all(bot, range(LOAD, LOAD + 2))  # while the server is down
            model.gate.set()
            assert await asking == [200] * LOAD
            assert during == [200] * 2
            await restart
            assert await ask_all(bot, range(100, 101)) == [200]  # the same process, back

        outcomes = [outcome(slack, n) for n in range(LOAD + 2)]
        assert set(outcomes) <= {"answered", "unavailable"}, outcomes
        assert outcomes[LOAD:] == ["unavailable"] * 2
        assert outcome(slack, 100) == "answered"
        assert "postgresql" not in said(slack.calls)
        assert await recover(bot_app, slack) == outcomes[:LOAD].count("unavailable")

    assert [outcome(slack, n) for n in range(LOAD)] == ["answered"] * LOAD
    assert len(await charges(app)) == LOAD + 1  # the 8 in flight and the one after, once each
    assert (await app.pool.status(acme)).balance.remaining == 500 - (LOAD + 1)
    await assert_ledger_clean(app)


@pytest.mark.parametrize("engine", ["postgres"])
async def test_connections_killed_mid_transaction_under_load_leave_nothing_half_written(
    app: App, acme: Workspace, slack: FakeSlack, database_url: str
) -> None:
    model = CountingModel()
    kills = 0
    db = open_database(database_url, pool_size=5, idle_check_after=0.0)
    bot_app = build_app(app.settings, db=db, clock=app.clock)
    try:
        async with slack_bot(bot_app, slack, acme, model) as bot:
            stop = asyncio.Event()

            async def killer() -> None:
                nonlocal kills
                while not stop.is_set():
                    kills += await kill_backends(database_url)
                    await asyncio.sleep(0.02)

            killing = asyncio.create_task(killer())
            started = time.monotonic()
            statuses = await ask_all(bot, range(3 * LOAD))
            stop.set()
            await killing
            elapsed = time.monotonic() - started
            assert statuses == [200] * (3 * LOAD)
            assert await ask_all(bot, range(100, 101)) == [200]

        told = [outcome(slack, n) for n in range(3 * LOAD)]
        assert set(told) <= {"answered", "unavailable"}, told
        assert outcome(slack, 100) == "answered"
        recovered = await recover(bot_app, slack) + await recover(bot_app, slack)
        assert kills > 3 * LOAD  # the bot's connections went many times over
        assert elapsed < 30
    finally:
        await db.dispose()

    after = [outcome(slack, n) for n in range(3 * LOAD)]
    assert set(after) <= {"answered", "unavailable"}, after
    assert after.count("answered") == told.count("answered") + recovered
    settled = await charges(app)
    assert len(settled) == len({key for key, _ in settled})  # each event charged at most once
    assert len(settled) == after.count("answered") + 1  # every answer once, nothing else
    await assert_ledger_clean(app)


LOCKER = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("BEGIN IMMEDIATE")
db.execute("CREATE TABLE IF NOT EXISTS lock_holder (x)")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
db.execute("ROLLBACK")
"""


@asynccontextmanager
async def locked(file: str, seconds: float) -> AsyncIterator[subprocess.Popen[str]]:
    """Another process holding SQLite's write lock on `file` for `seconds`."""
    proc = subprocess.Popen(  # noqa: ASYNC220 - started once, read off the loop
        [sys.executable, "-c", LOCKER, file, str(seconds)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        assert await asyncio.to_thread(proc.stdout.readline) == "locked\n"
        yield proc
    finally:
        proc.kill()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.mark.parametrize("engine", ["sqlite"])
async def test_sqlite_locked_by_another_process_for_a_moment_waits_and_answers(
    app: App, acme: Workspace, slack: FakeSlack, database_url: str
) -> None:
    file = str(sqlite_file(make_url(database_url)))
    model = CountingModel()
    async with slack_bot(app, slack, acme, model) as bot, locked(file, 1.5):
        started = time.monotonic()
        assert await ask_all(bot, range(3)) == [200] * 3
        waited = time.monotonic() - started
    assert waited >= 1.0  # the writers queued behind the other process
    assert [outcome(slack, n) for n in range(3)] == ["answered"] * 3
    assert len(await charges(app)) == 3
    await assert_ledger_clean(app)


@pytest.mark.parametrize("engine", ["sqlite"])
async def test_sqlite_locked_for_longer_than_the_busy_timeout_is_told_then_recovers(
    app: App, acme: Workspace, slack: FakeSlack, database_url: str
) -> None:
    file = str(sqlite_file(make_url(database_url)))
    db = open_database(database_url, pool_size=5, sqlite_busy_timeout=0.3)
    bot_app = build_app(app.settings, db=db, clock=app.clock)
    model = CountingModel(gated=True)
    try:
        async with slack_bot(bot_app, slack, acme, model) as bot:
            asking = asyncio.create_task(ask_all(bot, range(2)))
            await model.until(2)  # holding credits, waiting for the model
            async with locked(file, 2.0):
                model.gate.set()
                assert await asking == [200] * 2  # settling met the lock for too long
                assert await ask_all(bot, range(2, 3)) == [200]
            assert await ask_all(bot, range(100, 101)) == [200]  # lock gone: the same process

        outcomes = [outcome(slack, n) for n in range(3)]
        assert outcomes[:2] == ["unavailable"] * 2  # in flight: their charge met the lock
        assert outcomes[2] in {"unavailable", "answered"}  # asked while locked: waits or told
        assert outcome(slack, 100) == "answered"
        recovered = await recover(bot_app, slack)  # the claims the outage kept from closing
    finally:
        await db.dispose()
    after = [outcome(slack, n) for n in range(3)]
    assert after.count("answered") == outcomes.count("answered") + recovered
    assert len(await charges(app)) == after.count("answered") + 1  # each answer once
    await assert_ledger_clean(app)
