"""Feedback on Discord: 👍 and 👎 under the last message of an answer, persistent buttons that
record one verdict per person, free of charge, and refuse an answer of another workspace."""

from __future__ import annotations

from adapters.storage import SqlFeedbackStore
from bot.app import App
from tests.adapters.discord.discord_models import EPHEMERAL
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.adapters.discord.test_bot_proposals import buttons, click
from tests.adapters.discord.test_bot_support import (
    COUNT,
    DiscordBot,
    bot,
    linked_workspace,
    running,
)

__all__ = ["bot"]


async def test_an_answer_offers_feedback_recorded_once_per_person(bot: DiscordBot) -> None:
    event = await bot.mention(COUNT, author="bob")
    [final] = await bot.answered()
    answer = bot.fake.message(final.params["message_id"])
    guild = bot.fake.guild.id
    key = f"{guild}:{event['channel_id']}:{event['id']}"
    up, down = buttons(answer)
    assert up == f"setget:fb:up:{guild}:{key}"
    assert down == f"setget:fb:down:{guild}:{key}"
    assert [b["emoji"]["name"] for row in answer["components"] for b in row["components"]] == [
        "👍",
        "👎",
    ]
    left = await bot.remaining()

    thanked = await click(bot, up, answer["id"], user="bob")
    assert thanked.json["data"]["flags"] == EPHEMERAL
    assert "noted that this answer helped" in thanked.json["data"]["content"]
    again = await click(bot, up, answer["id"], user="bob")
    assert "already said this answer helped" in again.json["data"]["content"]
    await click(bot, down, answer["id"], user="alice")

    kept = await SqlFeedbackStore(bot.app.db).entries(bot.workspace.id, since=None)
    assert sorted(f.positive for f in kept) == [False, True]
    assert {f.event_id for f in kept} == {f"discord:{key}"}
    assert await bot.remaining() == left  # feedback is free


async def test_a_button_naming_an_answer_of_no_workspace_of_this_guild_is_refused(
    bot: DiscordBot,
) -> None:
    await bot.mention(COUNT, author="bob")
    [final] = await bot.answered()
    answer = bot.fake.message(final.params["message_id"])
    forged = f"setget:fb:up:{bot.fake.guild.id}:999:888:777"  # a message never answered here
    answer["components"][0]["components"][0]["custom_id"] = forged  # as a copied button shows
    told = await click(bot, forged, answer["id"], user="bob")
    assert told.json["data"]["flags"] == EPHEMERAL
    assert (
        told.json["data"]["content"] == "⛔ This is not an answer of acme's: no feedback recorded."
    )
    assert await SqlFeedbackStore(bot.app.db).entries(bot.workspace.id, since=None) == []


async def test_the_buttons_work_after_a_restart(app: App, discord_fake: FakeDiscord) -> None:
    workspace = await linked_workspace(app, discord_fake)
    async with running(app, discord_fake, workspace) as first:
        await first.mention(COUNT, author="bob")
        [final] = await first.answered()
    answer = discord_fake.message(final.params["message_id"])
    async with running(app, discord_fake, workspace) as restarted:  # a new process
        told = await click(restarted, buttons(answer)[1], answer["id"], user="bob")
    assert "noted that this answer missed" in told.json["data"]["content"]
    (kept,) = await SqlFeedbackStore(app.db).entries(workspace.id, since=None)
    assert kept.positive is False
