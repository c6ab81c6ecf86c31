"""A long answer on Discord: split into messages of at most 2,000 characters, in order,
nothing lost at the cuts, the usage footer only under the last."""

from __future__ import annotations

from typing import Any

from adapters.discord.render import MESSAGE_LIMIT
from adapters.discord.surface import PLACEHOLDER
from adapters.storage import SqlThreadStore
from core.workspaces import Platform
from tests.adapters.discord.test_bot_support import DiscordBot, bot

__all__ = ["bot"]

RETRO = "Write a detailed sprint retrospective for Sprint 11"
FOOTER = "\n-# "


async def footed(bot: DiscordBot) -> None:
    """Until a message with the usage footer was posted or edited in (the answer's last)."""
    while True:
        calls = [c for c in bot.fake.calls if c.name in ("send_message", "edit_message")]
        if any(FOOTER in (c.json or {}).get("content", "") for c in calls if not c.failed):
            return
        name = calls[-1].name if calls else "send_message"
        await bot.fake.wait_for(name, count=len(bot.fake.calls_to(name)) + 1)


def in_channel(bot: DiscordBot, channel_id: str) -> list[dict[str, Any]]:
    """The messages the bot left in a channel or thread, as people see them, oldest first."""
    me = bot.fake.bot.id
    found = [
        m
        for m in bot.fake.world.messages.values()
        if m["channel_id"] == channel_id and m["author"]["id"] == me
    ]
    return sorted(found, key=lambda m: int(m["id"]))


def words(text: str) -> list[str]:
    return text.split()


async def test_a_long_retrospective_is_split_into_messages_with_one_footer(
    bot: DiscordBot,
) -> None:
    event = await bot.mention(RETRO, author="bob")
    await footed(bot)

    messages = [m["content"] for m in in_channel(bot, event["id"])]  # the thread on the mention
    assert len(messages) >= 2
    assert all(len(m) <= MESSAGE_LIMIT for m in messages)
    assert PLACEHOLDER not in messages  # the placeholder became the first piece
    assert [FOOTER in m for m in messages] == [False] * (len(messages) - 1) + [True]
    *pieces, last = messages
    text, footer = last.rsplit(FOOTER, 1)
    assert "Sprint 11" in pieces[0]

    threads = SqlThreadStore(bot.app.db)
    thread = await threads.find_thread(bot.workspace.id, Platform.DISCORD, event["id"])
    assert thread is not None
    answer = (await threads.turns(thread.id, limit=10))[-1].text
    assert len(answer) > MESSAGE_LIMIT
    assert words("\n".join([*pieces, text])) == words(answer)  # nothing lost at the cuts
    charged = 500 - await bot.remaining()
    assert charged > 0
    assert f" · {charged} credit" in footer  # charged once, for the whole answer
