"""The recovery job on Discord: a mention whose process crashed after claiming it (before it
started the thread) is answered by another process, in a thread on it, charged once."""

from __future__ import annotations

from adapters.storage.claims import SqlEventClaims
from core.chat import Incoming
from core.workspaces import Platform
from tests.adapters.discord.test_bot_support import COUNT, DiscordBot, bot

__all__ = ["bot"]


async def test_a_claimed_mention_of_a_crashed_process_is_answered_once(bot: DiscordBot) -> None:
    event = bot.fake.guild_message(COUNT, mention_bot=True)  # seen only by the crashed one
    guild, channel = bot.fake.guild.id, event["channel_id"]
    crashed = Incoming(
        team=guild,
        channel=channel,
        user=event["author"]["id"],
        text=COUNT,
        key=f"{guild}:{channel}:{event['id']}",
        thread_key=event["id"],
        place=event["id"],
    )
    claims = SqlEventClaims(bot.app.db)
    now = bot.app.clock.now()
    assert await claims.claim(Platform.DISCORD, crashed.key, now, message=crashed.to_json())
    bot.app.clock.advance(minutes=5)  # type: ignore[attr-defined]  # its lease ran out

    assert await bot.runtime.recover() == 1
    [final] = await bot.answered()
    assert await bot.runtime.recover() == 0

    [thread] = bot.fake.calls_to("start_thread_with_message")
    assert thread.params["message_id"] == event["id"]
    assert final.params["channel_id"] == event["id"]
    assert "open work items in WEB" in final.json["content"]
    assert await bot.remaining() == 499
