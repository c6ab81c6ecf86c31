"""`/setget` in a DM (for the linked server the chat layer picks, as a DM message is), and the
sharded client (`SETGET_DISCORD_SHARDS`) answering in servers of every shard."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from adapters.discord.client import SetGetShardedClient
from bot.app import App
from bot.discord import discord_runtime, discord_shard_ids
from bot.settings import Settings
from core.errors import InvalidInput
from core.plans import Plan
from core.work.demo_data import demo_dataset
from core.workspaces import Platform
from tests.adapters.discord.discord_models import EPHEMERAL
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.adapters.discord.test_bot_support import (
    COUNT,
    READY_WAIT,
    DiscordBot,
    bot,
    linked_workspace,
    running,
)

__all__ = ["bot"]


async def followups(bot: DiscordBot, payload: dict[str, Any], count: int) -> list[Any]:
    done = len(bot.fake.calls_to("send_followup"))
    await bot.fake.dispatch("INTERACTION_CREATE", payload)
    calls = await bot.fake.wait_for("send_followup", count=done + count)
    return [c.json for c in calls[done:]]


async def test_setget_in_a_dm_runs_for_the_linked_server(bot: DiscordBot) -> None:
    await bot.mention(COUNT, author="bob")
    await bot.answered()

    [balance] = await followups(
        bot, bot.fake.slash_command("setget balance", user="bob", dm=True), 1
    )

    assert balance["flags"] == EPHEMERAL
    assert balance["content"].startswith("**AI credits — acme** (pro)\nRemaining: **499")


async def test_setget_in_a_dm_from_someone_in_two_linked_servers_names_the_one(
    bot: DiscordBot,
) -> None:
    other = bot.fake.add_guild("Other Guild", owner=bot.fake.user("olivia"))
    bot.fake.add_member(other, bot.fake.user("bob"))
    await bot.app.admin.create("beta", plan=Plan.PRO)
    await bot.app.admin.link("beta", Platform.DISCORD, other.id)
    await bot.fake.dispatch("GUILD_CREATE", other.create_payload())

    payload = bot.fake.slash_command("setget plan", user="bob", dm=True)
    plan, note = await followups(bot, payload, 2)

    assert plan["content"].startswith("**acme** is on the **pro** plan")
    assert note["content"] == (
        "Answering for **Fake Guild** (SetGet workspace acme): of the 2 linked Discord "
        "servers we share, the first of them."
    )


async def test_setget_in_a_dm_with_no_linked_server_says_how_to_link_one(
    app: App, discord_fake: FakeDiscord
) -> None:
    workspace = await app.admin.create("acme", plan=Plan.PRO)  # not linked to the guild
    async with running(app, discord_fake, workspace) as unlinked:
        payload = discord_fake.slash_command("setget balance", user="alice", dm=True)
        [told] = await followups(unlinked, payload, 1)

    assert told["content"] == (
        "I answer for the SetGet workspace of a Discord server we share, and none of yours is "
        "linked to one yet. An admin can link one with "
        "`setget-bot workspace link NAME --discord-guild ID`."
    )


@pytest.fixture
async def sharded(
    app: App, discord_fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[DiscordBot, str]]:
    """The bot on two shards (Discord's recommendation, from GET /gateway/bot) with a linked
    guild on each; yields the bot and the second guild's id."""

    async def at_once(self: SetGetShardedClient, shard_id: int | None, *, initial: bool) -> None:
        return None  # discord.py waits 5 s before every IDENTIFY but the first

    monkeypatch.setattr(SetGetShardedClient, "before_identify_hook", at_once)
    discord_fake.gateway.shard_count = 2
    settings = Settings.model_validate(
        {"database_url": app.settings.database_url, "discord_shards": "auto"}
    )
    app = replace(app, settings=settings)
    workspace = await linked_workspace(app, discord_fake)
    other = discord_fake.add_guild("Second Shard", owner=discord_fake.user("alice"))
    beta = await app.admin.create("beta", plan=Plan.PRO)
    await app.work_items.replace_all(beta.id, demo_dataset(app.clock.now().date()))
    await app.admin.link("beta", Platform.DISCORD, other.id)
    async with (
        discord_runtime(app, guild_ready_timeout=READY_WAIT) as runtime,
        discord_fake.connected(runtime.bot.client),
    ):
        yield DiscordBot(app=app, fake=discord_fake, runtime=runtime, workspace=workspace), other.id


async def test_a_sharded_bot_answers_in_the_servers_of_every_shard(
    sharded: tuple[DiscordBot, str],
) -> None:
    bot, second = sharded
    client = bot.runtime.bot.client
    assert isinstance(client, SetGetShardedClient)
    assert sorted(s.shard for s in bot.fake.gateway.sessions if s.shard) == [(0, 2), (1, 2)]
    shard_of = {str(g.id): g.shard_id for g in client.guilds}
    assert sorted(shard_of.values()) == [0, 1]  # one guild on each shard

    await bot.mention(COUNT)
    await bot.mention(COUNT, channel=bot.fake.world.guilds[second].channel("general"))
    await bot.answered(2)

    beta = await bot.app.admin.get("beta")
    assert await bot.remaining() == 499
    assert (await bot.app.pool.status(beta)).balance.remaining == 499


async def test_a_process_runs_only_the_shards_it_is_given(
    app: App, discord_fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two processes share one bot's shards: SETGET_DISCORD_SHARD_IDS picks this one's."""

    async def at_once(self: SetGetShardedClient, shard_id: int | None, *, initial: bool) -> None:
        return None

    monkeypatch.setattr(SetGetShardedClient, "before_identify_hook", at_once)
    discord_fake.gateway.shard_count = 2
    settings = Settings.model_validate(
        {
            "database_url": app.settings.database_url,
            "discord_shards": "2",
            "discord_shard_ids": "1",
        }
    )
    app = replace(app, settings=settings)
    await linked_workspace(app, discord_fake)
    async with (
        discord_runtime(app, guild_ready_timeout=READY_WAIT) as runtime,
        discord_fake.connected(runtime.bot.client),
    ):
        client = runtime.bot.client
        assert isinstance(client, SetGetShardedClient)
        assert client.shard_ids == [1]
        assert [s.shard for s in discord_fake.gateway.sessions if s.shard] == [(1, 2)]


@pytest.mark.parametrize(
    ("shards", "ids", "error"),
    [
        (None, "0", "needs SETGET_DISCORD_SHARDS set to the number of shards"),
        ("auto", "0", "needs SETGET_DISCORD_SHARDS set to the number of shards"),
        ("2", "2", "bad setting SETGET_DISCORD_SHARD_IDS: '2' (shard numbers from 0 to 1"),
        ("2", "0,x", "bad setting SETGET_DISCORD_SHARD_IDS: '0,x'"),
    ],
)
def test_shard_ids_that_cannot_be_run_are_refused_clearly(
    shards: str | None, ids: str, error: str
) -> None:
    settings = Settings.model_validate(
        {"database_url": "sqlite:///x.db", "discord_shards": shards, "discord_shard_ids": ids}
    )
    with pytest.raises(InvalidInput, match=re.escape(error)):
        discord_shard_ids(settings)
