"""SIGTERM of a real `setget-bot serve discord` process (against the fake Discord's REST and
gateway) while it answers: its health port's `/readyz` turns 503, a message during the drain
is left to the recovery job, the answer in flight is delivered, the process exits 0, and
`ledger verify --all` finds nothing wrong."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from adapters.storage import Database, open_database, upgrade_schema
from adapters.storage.tables import interactions, platform_events
from bot.app import build_app
from bot.settings import Settings
from core.plans import Plan
from core.workspaces import Platform
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.adapters.llm.fake_servers import FakeOpenAI, Reply, Usage, chunks
from tests.ops.processes import (
    LLM_KEY,
    assert_no_secret,
    bot_process,
    exit_code,
    free_port,
    json_lines,
    ledger_verify,
    readiness,
    samples,
    scrape,
    until_logged,
    until_not_ready,
)

ANSWER = "There are 7 open work items in WEB."


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as found:
        olivia, _alice = found.add_user("olivia"), found.add_user("alice")
        guild = found.add_guild("Fake Guild", owner=olivia)
        found.add_member(guild, _alice)
        yield found


def bot_env(
    database_url: str, fake: FakeDiscord, llm: FakeOpenAI, *, health: int
) -> dict[str, str]:
    return {
        "SETGET_DATABASE_URL": database_url,
        "DISCORD_BOT_TOKEN": fake.token,
        "DISCORD_API_URL": fake.api_base,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
        "SETGET_LLM_PROVIDER": "openai-compatible",
        "SETGET_LLM_BASE_URL": llm.url,
        "SETGET_LLM_MODEL": "local",
        "SETGET_LLM_API_KEY": LLM_KEY,
        "SETGET_HEALTH_PORT": str(health),
        "SETGET_HEALTH_HOST": "127.0.0.1",
        "SETGET_LOG_FORMAT": "json",
        "SETGET_LOG_LEVEL": "info",
    }


def assert_logged_the_drain(log: Path, *, secrets: list[str]) -> None:
    """JSON lines: the drain's, the handed-over message's with its request id; no secret."""
    records = json_lines(log)
    assert "stopped: 1 answer(s) finished, 0 cancelled" in [r["message"] for r in records]
    [left] = [r for r in records if "left to the recovery job" in r["message"]]
    assert len(left["request_id"]) == 12  # set as the gateway event arrived
    assert_no_secret(log, secrets)


async def claim_states(db: Database) -> list[str]:
    async with db.read() as conn:
        return list(await conn.scalars(select(platform_events.c.state)))


async def until_claimed(db: Database, *, count: int) -> None:
    async with asyncio.timeout(20):
        while len(await claim_states(db)) < count:  # noqa: ASYNC110 - another process
            await asyncio.sleep(0.02)


async def test_sigterm_drains_the_discord_bot_and_exits_0(
    database_url: str, fake: FakeDiscord, tmp_path: Path
) -> None:
    go_on = asyncio.Event()
    async with FakeOpenAI() as llm:
        llm.script(Reply(text=chunks(ANSWER), usage=Usage(900, 12), gate=go_on))
        health = free_port()
        env = bot_env(database_url, fake, llm, health=health)
        db = open_database(database_url, pool_size=5)
        try:
            await upgrade_schema(db)
            setup = build_app(Settings.model_validate({"database_url": database_url}), db=db)
            workspace = await setup.admin.create("acme", plan=Plan.PRO)
            await setup.admin.link("acme", Platform.DISCORD, fake.guild.id)

            log = tmp_path / "bot.log"
            with bot_process(["serve", "discord"], env, log) as proc:
                await until_logged(log, "SetGet AI is answering Discord", proc)
                url = f"http://127.0.0.1:{health}"
                assert await readiness(url) == (200, {"status": "ready"})
                asked = fake.guild_message("How many open items are in WEB?", mention_bot=True)
                await fake.dispatch("MESSAGE_CREATE", asked)
                async with asyncio.timeout(20):
                    while not llm.requests:  # noqa: ASYNC110 - another process asks
                        await asyncio.sleep(0.01)

                os.kill(proc.pid, signal.SIGTERM)
                assert await until_not_ready(url) == {"status": "shutting down"}
                during = samples(await scrape(url))
                assert during["setget_answers_in_flight"] == 1
                assert during["setget_holds_in_flight"] == 1
                assert during["setget_holds_open"] == 1  # read from the database
                later = fake.guild_message("And in MOB?", mention_bot=True)
                await fake.dispatch("MESSAGE_CREATE", later)
                await until_claimed(db, count=2)  # the bot took it in (and left it)
                go_on.set()
                assert await exit_code(proc) == 0, log.read_text()

            finals = [
                c
                for c in fake.calls_to("edit_message")
                if "\n-# " in (c.json or {}).get("content", "")
            ]
            assert len(finals) == 1
            assert ANSWER.rstrip(".") in finals[0].json["content"]
            assert len(llm.requests) == 1  # the message sent during the drain: not answered
            async with db.read() as conn:
                held = list(await conn.scalars(select(interactions.c.state)))
            assert held == ["settled"]
            assert sorted(await claim_states(db)) == ["answered", "claimed"]  # for recovery
            assert (await setup.pool.status(workspace)).balance.remaining == 499
            verified = ledger_verify(env)
            assert verified.returncode == 0, verified.stdout + verified.stderr
            assert_logged_the_drain(log, secrets=[fake.token, LLM_KEY])
        finally:
            await db.dispose()
