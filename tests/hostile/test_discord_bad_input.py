"""Bad input on Discord: oversized messages, attachments alone, control characters, content
with lone surrogates, and replayed clicks (a Confirm, a purchase). Each gets a clear line,
nothing is charged, no traceback reaches anyone, and the bot answers the next person."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.app import App
from core.work.model import ItemFilter
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.hostile.discord_pair import COUNT, DiscordPair, buttons, discord_pair
from tests.hostile.tenants import rows_of

TOO_LONG = "⚠️ A message must have 1 to 4000 characters."
CREATE = "Create a work item titled 'Fix header layout' in the WEB project"


@pytest.fixture
async def pair(app: App, discord_fake: FakeDiscord) -> AsyncIterator[DiscordPair]:
    async with discord_pair(app, discord_fake) as served:
        yield served


def said(pair: DiscordPair, since: int) -> list[str]:
    """What the bot posted or edited after the first `since` REST calls."""
    names = {"send_message", "edit_message", "send_followup", "create_interaction_response"}
    calls = [c for c in pair.fake.calls[since:] if c.name in names and c.json]
    return [
        str(c.json.get("content") or c.json.get("data", {}).get("content") or "") for c in calls
    ]


async def until_said(pair: DiscordPair, since: int, text: str) -> list[str]:
    """Wait for a post or an edit that says `text`; every line said."""
    while not any(text in line for line in said(pair, since)):
        sends = len(pair.fake.calls_to("send_message"))
        edits = len(pair.fake.calls_to("edit_message"))
        waits = [
            asyncio.ensure_future(pair.fake.wait_for("send_message", count=sends + 1)),
            asyncio.ensure_future(pair.fake.wait_for("edit_message", count=edits + 1)),
        ]
        done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for task in done:
            task.result()
    return said(pair, since)


async def still_answers(pair: DiscordPair) -> None:
    before = await pair.bot.remaining()
    finals = len(await pair.bot.answered(0))
    await pair.bot.mention(COUNT, author="alice")
    await pair.bot.answered(finals + 1)
    assert await pair.bot.remaining() == before - 1


def attachment(n: int) -> dict[str, Any]:
    return {
        "id": str(900_000 + n),
        "filename": f"spec-{n}.pdf",
        "size": 1234,
        "url": f"https://cdn.invalid/spec-{n}.pdf",
        "proxy_url": f"https://cdn.invalid/spec-{n}.pdf",
        "content_type": "application/pdf",
    }


@pytest.mark.parametrize(
    "content",
    ["x" * 100_000, "é" * 50_000, "", "\x00\x01\x1b\x7f", "\udfff\ud800 \udc00"],
    ids=["100 KB", "100 KB UTF-8", "attachments only", "control only", "surrogates only"],
)
@pytest.mark.parametrize("where", ["mention", "dm"])
async def test_a_message_that_cannot_be_a_question_is_refused_and_not_charged(
    pair: DiscordPair, content: str, where: str
) -> None:
    before = await rows_of(pair.app, pair.acme)
    since = len(pair.fake.calls)
    if where == "mention":
        event = pair.fake.guild_message(content, author="bob", mention_bot=True)
    else:
        event = pair.fake.dm_message(content, author="bob")
    event["attachments"] = [attachment(1), attachment(2)]
    await pair.fake.dispatch("MESSAGE_CREATE", event)
    lines = await until_said(pair, since, TOO_LONG)
    assert not any("Traceback" in line for line in lines)
    after = await rows_of(pair.app, pair.acme)
    assert after["ledger_entries"] == before["ledger_entries"]
    assert after["credit_balances"] == before["credit_balances"]
    assert after["turns"] == []
    await still_answers(pair)


async def test_lone_surrogates_and_control_characters_in_a_question_are_dropped(
    pair: DiscordPair,
) -> None:
    noisy = "How many\x00 open items\ud800 are in the \x1bWEB\udfff project?\x7f"
    await pair.bot.mention(noisy, author="bob")
    (final,) = await pair.bot.answered()
    assert "open work items" in final.json["content"]
    assert await pair.bot.remaining() == 499
    rows = await rows_of(pair.app, pair.acme)
    assert all("\ud800" not in text and "\x00" not in text for row in rows["turns"] for text in row)


async def offer(pair: DiscordPair, text: str, *, author: str) -> dict[str, Any]:
    await pair.bot.mention(text, author=author)
    while not [m for m in pair.fake.world.messages.values() if m.get("embeds")]:
        await pair.fake.wait_for("send_message", count=len(pair.fake.calls_to("send_message")) + 1)
    return next(m for m in pair.fake.world.messages.values() if m.get("embeds"))


async def test_a_confirm_clicked_at_once_and_replayed_applies_once(pair: DiscordPair) -> None:
    proposal = await offer(pair, CREATE, author="bob")
    confirm = buttons(proposal)[0]
    clicks = [
        pair.fake.button_click(confirm, message_id=proposal["id"], user=user)
        for user in ("alice", "bob", "alice")
    ]
    replays = copy.deepcopy(clicks)  # as sent: the message still shows its buttons
    done = len(pair.fake.calls_to("create_interaction_response"))
    await asyncio.gather(*(pair.fake.dispatch("INTERACTION_CREATE", p) for p in clicks))
    answers = (await pair.fake.wait_for("create_interaction_response", count=done + 3))[done:]
    assert sorted(a.json["type"] for a in answers) == [4, 4, 7]  # one decision, two refusals
    refusals = [a.json["data"]["content"] for a in answers if a.json["type"] == 4]
    assert all("was already" in r for r in refusals), refusals

    for payload in replays:  # each interaction delivered again: Discord refuses a 2nd answer
        await pair.fake.dispatch("INTERACTION_CREATE", payload)
    again = (await pair.fake.wait_for("create_interaction_response", count=done + 6))[done + 3 :]
    assert all(a.json["type"] == 4 for a in again)  # refused as decided (never applied again)
    page = await pair.app.work_items.find(
        pair.acme.id, ItemFilter(text="Fix header layout"), limit=5
    )
    assert page.total == 1  # applied once


async def test_a_purchase_confirmation_clicked_twice_buys_one_pack(pair: DiscordPair) -> None:
    """Two clicks on one confirmation (a double click: both sent before the buttons went)."""
    custom_id = "setget:buy:confirm:100"
    first = pair.fake.button_click(custom_id, user="alice")
    shown = copy.deepcopy(pair.fake.message(first["message"]["id"]))
    second = pair.fake.button_click(custom_id, message_id=shown["id"], user="alice")
    second["message"] = shown  # the message as it was when the second click was sent
    done = len(pair.fake.calls_to("create_interaction_response"))
    for payload in (first, second):
        await pair.fake.dispatch("INTERACTION_CREATE", payload)
    answers = await pair.fake.wait_for("create_interaction_response", count=done + 2)
    refused, bought = sorted(a.json["data"]["content"] for a in answers[done:])  # either first
    assert bought.startswith("✅ Added a pack of 100 credits to acme")
    assert refused == "⛔ This purchase was already confirmed: nothing more was bought."
    assert await pair.bot.remaining() == 600
