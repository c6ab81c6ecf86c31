"""Rejecting a proposed action on Discord: the proposal message says who rejected it and
that nothing changed, its buttons are gone, and the work items are as they were."""

from __future__ import annotations

from core.work.model import ItemFilter, ItemState
from core.work.ports import ItemPage
from tests.adapters.discord.test_bot_proposals import BULK, CREATE, buttons, click, propose
from tests.adapters.discord.test_bot_support import DiscordBot, bot

__all__ = ["bot"]


async def everything(bot: DiscordBot) -> ItemPage:
    return await bot.app.work_items.find(bot.workspace.id, ItemFilter(), limit=1000)


async def test_an_admin_rejects_a_bulk_change_and_nothing_changes(bot: DiscordBot) -> None:
    before = await everything(bot)
    assert len(before.items) == before.total > 0  # every item, to compare after
    offer = await propose(bot, BULK, user="bob")
    charged = await bot.remaining()
    _, reject = buttons(offer)
    assert reject.startswith("setget:reject:")

    decided = await click(bot, reject, offer["id"], user="alice")

    alice = bot.fake.user("alice").id
    assert decided.json["type"] == 7  # the proposal message itself is updated
    [embed] = decided.json["data"]["embeds"]
    assert embed["description"].endswith(f"\n\nRejected by <@{alice}>; nothing changed.")
    assert "6 items: API-" in embed["description"]  # what was proposed is still shown
    assert decided.json["data"]["components"] == []
    shown = bot.fake.message(offer["id"])
    assert shown["components"] == []
    assert shown["embeds"][0]["description"] == embed["description"]

    after = await everything(bot)
    assert after.total == before.total
    assert after.items == before.items
    todo = await bot.app.work_items.find(
        bot.workspace.id, ItemFilter(project="API", states=(ItemState.TODO,)), limit=50
    )
    assert todo.total == 6
    assert await bot.remaining() == charged  # deciding costs nothing


async def test_the_requester_withdraws_their_own_new_item(bot: DiscordBot) -> None:
    before = await everything(bot)
    offer = await propose(bot, CREATE, user="bob")
    [embed] = offer["embeds"]
    assert "Fix header layout" in embed["description"]

    decided = await click(bot, buttons(offer)[1], offer["id"], user="bob")

    bob = bot.fake.user("bob").id
    [shown] = decided.json["data"]["embeds"]
    assert shown["description"].endswith(f"Cancelled by <@{bob}>; nothing changed.")
    assert bot.fake.message(offer["id"])["components"] == []
    page = await bot.app.work_items.find(bot.workspace.id, ItemFilter(text="Fix header"), limit=5)
    assert page.total == 0
    assert (await everything(bot)).items == before.items
