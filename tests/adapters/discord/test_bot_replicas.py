"""Two bot processes on one database, a guild not linked, no credits left: what people see."""

from __future__ import annotations

from bot.app import App
from core.credits.pricing import InteractionType, TokenUsage
from core.plans import Plan
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.adapters.discord.test_bot_support import (
    COUNT,
    DiscordBot,
    bot,
    linked_workspace,
    running,
)

__all__ = ["bot"]


async def test_two_processes_answer_and_charge_a_mention_once(
    app: App, discord_fake: FakeDiscord
) -> None:
    workspace = await linked_workspace(app, discord_fake)
    async with (
        running(app, discord_fake, workspace) as first,
        running(app, discord_fake, workspace),
    ):
        event = discord_fake.guild_message(COUNT, mention_bot=True)
        assert await discord_fake.dispatch("MESSAGE_CREATE", event) == 2
        await first.answered()
    assert len(discord_fake.calls_to("start_thread_with_message")) == 1
    assert await first.remaining() == 499


async def test_a_guild_not_linked_is_told_how_to_link_it(
    app: App, discord_fake: FakeDiscord
) -> None:
    workspace = await app.admin.create("acme", plan=Plan.PRO)
    async with running(app, discord_fake, workspace) as bot:
        await bot.mention(COUNT)
        edits = await discord_fake.wait_for("edit_message")
    guild = discord_fake.guild.id
    assert edits[-1].json["content"] == (
        "This Discord server is not linked to a SetGet workspace yet. An admin can link it "
        f"with `setget-bot workspace link NAME --discord-guild {guild}`."
    )


async def test_a_dm_from_someone_in_no_linked_guild_says_how_to_link_one(
    app: App, discord_fake: FakeDiscord
) -> None:
    workspace = await app.admin.create("acme", plan=Plan.PRO)
    async with running(app, discord_fake, workspace):
        await discord_fake.dispatch("MESSAGE_CREATE", discord_fake.dm_message(COUNT))
        [told] = await discord_fake.wait_for("send_message")
    assert "none of yours is linked" in told.json["content"]
    assert "--discord-guild" in told.json["content"]


async def test_out_of_credits_is_told_by_dm_and_nothing_is_charged(bot: DiscordBot) -> None:
    n = 0
    while await bot.remaining() > 0:
        n += 1
        await bot.app.pool.reserve(bot.workspace, key=f"drain-{n}", member=None)
        await bot.app.pool.settle(
            bot.workspace,
            key=f"drain-{n}",
            usage=TokenUsage(40_000, 0),
            interaction_type=InteractionType.DATA_ANALYSIS,
        )
    bot.app.clock.advance(minutes=2)  # type: ignore[attr-defined]  # past the rate limit

    event = await bot.mention(COUNT, author="bob")
    await bot.fake.wait_for("delete_message")  # the placeholder goes
    sent = await bot.fake.wait_for("send_message", count=2)
    bob_dm = bot.fake.world.dm_channel(bot.fake.user("bob")).id
    assert sent[-1].params["channel_id"] == bob_dm
    assert "out of AI credits" in sent[-1].json["content"]
    assert sent[0].params["channel_id"] == event["id"]  # the placeholder, in the thread
    assert await bot.remaining() == 0
