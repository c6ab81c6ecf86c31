"""A flood from one member: many questions at once. What goes past the limit is refused with a
clear line and charged nothing, and another member of the same workspace, and a member of
another workspace, are still answered meanwhile."""

from __future__ import annotations

import asyncio

from bot.app import App
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.hostile.discord_pair import DiscordPair, discord_pair
from tests.hostile.slack_pair import (
    CHANNEL_A,
    CHANNEL_B,
    MEMBER_A,
    MEMBER_B,
    TEAM_B,
    SlackPair,
)

COUNT = "How many open items are in the WEB project?"
FLOOD = 45  # over acme's Pro limit of 30 AI requests a minute
SHARE = 15  # what one member may take of it (SETGET_RATE_LIMIT_MEMBER_SHARE, a half)
LIMITED = (
    f":warning: Bob reached the limit of {SHARE} AI requests a minute for one member of "
    "workspace 'acme'; try again in a moment."
)


def final_texts(pair: SlackPair, channel: str) -> list[str]:
    """The last text of each message the bot posted in `channel` (placeholders included)."""
    last: dict[str, str] = {}
    for call in pair.slack.calls:
        args = call.args
        if call.method in ("chat.postMessage", "chat.update") and args.get("channel") == channel:
            last[str(args.get("thread_ts") or args.get("ts"))] = str(args.get("text", ""))
    return list(last.values())


async def flood(pair: SlackPair) -> tuple[list[str], list[str]]:
    """bob's questions, all at once: (answered, refused) final texts."""
    sent = [
        pair.mention(f"{COUNT} ({n})", user=MEMBER_A, ts=f"1700000100.{n:04d}")
        for n in range(FLOOD)
    ]
    assert set(await asyncio.gather(*sent)) == {200}
    texts = final_texts(pair, CHANNEL_A)
    answered = [t for t in texts if "open work items" in t]
    refused = [t for t in texts if t == LIMITED]
    assert len(answered) + len(refused) == FLOOD, texts
    return answered, refused


async def test_a_flood_is_refused_clearly_past_the_limit_and_refusals_cost_nothing(
    pair: SlackPair,
) -> None:
    answered, refused = await flood(pair)
    assert (len(answered), len(refused)) == (SHARE, FLOOD - SHARE)
    assert 500 - await pair.bot.remaining() == len(answered)  # a refusal costs nothing
    # a member of another workspace is answered meanwhile
    await pair.mention(COUNT, team=TEAM_B, user=MEMBER_B, channel=CHANNEL_B, ts="1700000200.2")
    bruno = final_texts(pair, CHANNEL_B)[-1]
    assert "work items" in bruno, bruno


async def test_another_member_of_the_flooded_workspace_is_still_answered(
    pair: SlackPair,
) -> None:
    await flood(pair)
    await pair.mention(COUNT, user="U0CAROL", ts="1700000200.1")
    carol = final_texts(pair, CHANNEL_A)[-1]
    assert "open work items" in carol, carol


async def test_a_flood_on_discord_is_refused_past_the_limit_and_another_guild_is_answered(
    app: App, discord_fake: FakeDiscord
) -> None:
    async with discord_pair(app, discord_fake) as pair:
        for n in range(FLOOD):
            await pair.bot.mention(f"{COUNT} ({n})", author="bob")
        edits = await until_final(pair, FLOOD)
        answered = [e for e in edits if "\n-# " in e]
        refused = [e for e in edits if "AI requests a minute" in e]
        assert (len(answered), len(refused)) == (SHARE, FLOOD - SHARE)
        assert await pair.bot.remaining() == 500 - SHARE  # refusals cost nothing
        await pair.bot.mention(COUNT, author="bruno", channel=pair.beta_channel)
        edits = await until_final(pair, FLOOD + 1)
        assert len([e for e in edits if "\n-# " in e]) == SHARE + 1  # bruno answered
        assert (await app.pool.status(pair.beta)).balance.remaining == 499


async def until_final(pair: DiscordPair, count: int) -> list[str]:
    """The last content of every answer message once `count` of them are final (a usage
    footer or a refusal)."""
    while True:
        last: dict[str, str] = {}
        for call in pair.fake.calls_to("edit_message"):
            last[call.params["message_id"]] = str((call.json or {}).get("content", ""))
        final = [t for t in last.values() if "\n-# " in t or "AI requests a minute" in t]
        if len(final) >= count:
            return final
        await pair.fake.wait_for("edit_message", count=len(pair.fake.calls_to("edit_message")) + 1)
