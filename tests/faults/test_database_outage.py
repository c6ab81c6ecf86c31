"""The database going away, seen from Slack: connections the server dropped while the bot was
idle are replaced without anyone noticing; while the database is down, every message,
command and button is told "the service is unavailable" (never the database's address, nor
silence); an answer the outage interrupted is answered once the database is back, in the
same placeholder, charged once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import asyncpg  # type: ignore[import-untyped]
import pytest
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.engine import make_url

from adapters.slack.blocks import CONFIRM
from adapters.storage import open_database
from bot.app import App, build_app
from core.chat.telling import UNAVAILABLE
from core.workspaces import Workspace
from tests.adapters.slack.conftest import TEAM, SlackBot, serve
from tests.adapters.slack.fake_slack import FakeSlack, SlackCall
from tests.adapters.slack.signing import mention_event, message_event
from tests.faults.llm_fakes import CountingModel, slack_bot
from tests.faults.slack_answers import ROOT, is_final, placeholder_ts, process

COUNT = "How many open items are in the WEB project?"
SECRET_PASSWORD = "s3cret-pw"
DOWN = {  # a database that cannot be reached, with a password that must never be shown
    "sqlite": "sqlite:////nonexistent-dir/setget.db",
    "postgres": f"postgresql://postgres:{SECRET_PASSWORD}@127.0.0.1:1/setget",
}


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(team_id=TEAM) as fake:
        fake.add_user("U0ALICE", "alice", admin=True)
        fake.add_user("U0BOB", "bob")
        yield fake


@asynccontextmanager
async def served(
    app: App, slack: FakeSlack, workspace: Workspace, **kw: Any
) -> AsyncIterator[SlackBot]:
    async with serve(app, slack, **kw) as url, aiohttp.ClientSession() as http:
        yield SlackBot(app=app, slack=slack, url=url, http=http, workspace=workspace)


def dsn(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(False)


async def terminate_connections(database_url: str, *, refuse_new: bool = False) -> None:
    """Kill every server connection to the database (as a restart or failover does), from
    another connection; with `refuse_new`, the database also stops taking new ones."""
    name = make_url(database_url).database
    admin = await asyncpg.connect(dsn(database_url).rsplit("/", 1)[0] + "/postgres")
    try:
        if refuse_new:
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
        async with asyncio.timeout(5):  # until the server has closed them all
            while await admin.fetchval(  # noqa: ASYNC110 - polling the server, not a task
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1", name
            ):
                await asyncio.sleep(0.01)
    finally:
        await admin.close()


async def accept_connections(database_url: str) -> None:
    name = make_url(database_url).database
    admin = await asyncpg.connect(dsn(database_url).rsplit("/", 1)[0] + "/postgres")
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    finally:
        await admin.close()


def said(calls: Sequence[SlackCall]) -> str:
    """Everything the bot sent to Slack, as one text."""
    return "\n".join(str(call.args) for call in calls)


@pytest.mark.parametrize("engine", ["postgres"])
async def test_connections_the_server_dropped_while_idle_do_not_lose_the_next_mention(
    app: App, acme: Workspace, slack: FakeSlack, database_url: str
) -> None:
    # Connections that sat idle; here "idle" starts at once (in production: after a second).
    db = open_database(database_url, pool_size=5, idle_check_after=0.0)
    idle = build_app(app.settings, db=db, clock=app.clock)
    try:
        async with served(idle, slack, acme) as bot:
            assert await bot.command("balance") == 200  # the pool holds connections now
            await terminate_connections(database_url)

            assert await bot.event(mention_event(COUNT, ts=ROOT)) == 200
            assert await bot.command("balance") == 200
    finally:
        await db.dispose()

    (answer,) = [c for c in slack.calls_to("chat.update") if is_final(c)]
    assert "open work items in WEB" in answer.args["text"]
    assert "499" in slack.calls_to("response_url")[-1].args["text"]
    assert UNAVAILABLE not in said(slack.calls)


async def test_while_the_database_is_down_every_entry_point_says_the_service_is_unavailable(
    app: App,
    acme: Workspace,
    slack: FakeSlack,
    engine: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    db = open_database(DOWN[engine], pool_size=1)
    down = build_app(app.settings, db=db, clock=app.clock)
    try:
        async with served(down, slack, acme) as bot:
            assert await bot.event(mention_event(COUNT, ts=ROOT)) == 200
            dm = message_event(
                COUNT, user="U0BOB", channel="D0BOB", ts="1699999999.000200", channel_type="im"
            )
            assert await bot.event(dm) == 200
            follow_up = message_event(
                "and in API?",
                user="U0ALICE",
                channel="C0GENERAL",
                ts="1699999999.000300",
                thread_ts=ROOT,
            )
            assert await bot.event(follow_up) == 200
            assert await bot.command("balance") == 200
            assert await bot.click(CONFIRM, "1") == 200
    finally:
        await db.dispose()

    # The mention and the DM; not the reply in a thread, which may be among people only
    # (whether the bot is in that conversation is in the database).
    told = [c.args["text"] for c in slack.calls_to("chat.postMessage")]
    assert told == [f":warning: {UNAVAILABLE}"] * 2
    assert [c.args.get("thread_ts") for c in slack.calls_to("chat.postMessage")] == [ROOT, None]
    responses = [c.args["text"] for c in slack.calls_to("response_url")]
    assert responses == [f":warning: {UNAVAILABLE}"] * 2  # /setget balance, the button
    shown = said(slack.calls)
    for secret in (SECRET_PASSWORD, "postgresql", "sqlite", "127.0.0.1:1", "nonexistent-dir"):
        assert secret not in shown
    assert "cannot reach the database at" in caplog.text  # the details are in the log
    assert SECRET_PASSWORD not in caplog.text


@pytest.mark.parametrize("engine", ["postgres"])
async def test_an_answer_the_outage_interrupted_is_told_then_answered_once_it_is_back(
    app: App, acme: Workspace, slack: FakeSlack, database_url: str
) -> None:
    model = CountingModel(gated=True)
    try:
        async with slack_bot(app, slack, acme, model) as bot:
            asking = asyncio.create_task(bot.event(mention_event(COUNT, ts=ROOT)))
            await model.until(1)  # claimed, placeholder shown, credits held
            await terminate_connections(database_url, refuse_new=True)
            model.gate.set()
            assert await asking == 200
    finally:
        await accept_connections(database_url)

    notice = slack.calls_to("chat.update")[-1]  # after the progress edits
    assert notice.args["text"] == f":warning: {UNAVAILABLE}"
    assert notice.args["ts"] == placeholder_ts(slack)
    assert "postgresql" not in said(slack.calls)

    app.clock.advance(minutes=3)  # type: ignore[attr-defined]  # past the claim's lease
    client = AsyncWebClient(token="xoxb-test-token", base_url=slack.api_url)

    async def client_for(_team: str) -> AsyncWebClient:
        return client

    assert await process(app).answer_unfinished(client_for) == 1
    answer = slack.calls_to("chat.update")[-1]
    assert is_final(answer)
    assert "open work items in WEB" in answer.args["text"]
    assert answer.args["ts"] == placeholder_ts(slack)
    assert (await app.pool.status(acme)).balance.remaining == 499
