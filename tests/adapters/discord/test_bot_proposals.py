"""Proposed actions on Discord: an embed of what changes with persistent Confirm/Reject
buttons, who may decide, and buttons that work after a restart."""

from __future__ import annotations

from typing import Any

from bot.app import App
from core.work.model import ItemFilter, ItemState
from tests.adapters.discord.discord_models import EPHEMERAL
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.adapters.discord.fake_rest import DiscordCall
from tests.adapters.discord.test_bot_support import (
    DiscordBot,
    bot,
    linked_workspace,
    running,
)

__all__ = ["bot"]

CREATE = "Create a work item titled 'Fix header layout' in the WEB project"
BULK = "Update all Todo items in API project to In Progress"


async def propose(bot: DiscordBot, text: str, *, user: str) -> dict[str, Any]:
    """Ask for a change; the proposal message once it is posted."""
    await bot.mention(text, author=user)
    while True:
        sent = bot.fake.calls_to("send_message")
        offers = [c for c in sent if not c.failed and (c.json or {}).get("embeds")]
        if offers:
            posted = [m for m in bot.fake.world.messages.values() if m.get("embeds")]
            return posted[0]
        await bot.fake.wait_for("send_message", count=len(sent) + 1)


async def click(bot: DiscordBot, custom_id: str, message_id: str, *, user: str) -> DiscordCall:
    done = len(bot.fake.calls_to("create_interaction_response"))
    payload = bot.fake.button_click(custom_id, message_id=message_id, user=user)
    await bot.fake.dispatch("INTERACTION_CREATE", payload)
    calls = await bot.fake.wait_for("create_interaction_response", count=done + 1)
    return calls[done]


def buttons(message: dict[str, Any]) -> list[str]:
    return [b["custom_id"] for row in message["components"] for b in row["components"]]


async def test_only_an_admin_confirms_a_bulk_change(bot: DiscordBot) -> None:
    offer = await propose(bot, BULK, user="bob")
    guild = bot.fake.guild.id
    [embed] = offer["embeds"]
    assert "6 items: API-" in embed["description"]
    assert "Only an admin can confirm" in embed["description"]
    confirm, reject = buttons(offer)
    assert confirm.startswith("setget:confirm:")
    assert confirm.endswith(f":{guild}")
    assert reject.startswith("setget:reject:")
    charged = await bot.remaining()

    refused = await click(bot, confirm, offer["id"], user="bob")
    assert refused.json["type"] == 4
    assert refused.json["data"]["flags"] == EPHEMERAL
    assert refused.json["data"]["content"] == "⛔ Only an admin can confirm this action."

    decided = await click(bot, confirm, offer["id"], user="alice")
    alice = bot.fake.user("alice").id
    assert decided.json["type"] == 7
    [shown] = decided.json["data"]["embeds"]
    assert f"✅ Confirmed by <@{alice}>: API-" in shown["description"]
    assert decided.json["data"]["components"] == []
    todo = await bot.app.work_items.find(
        bot.workspace.id, ItemFilter(project="API", states=(ItemState.TODO,)), limit=50
    )
    assert todo.total == 0
    assert await bot.remaining() == charged  # deciding costs nothing


async def test_the_requester_confirms_after_a_restart(app: App, discord_fake: FakeDiscord) -> None:
    workspace = await linked_workspace(app, discord_fake)
    async with running(app, discord_fake, workspace) as first:
        offer = await propose(first, CREATE, user="bob")
    async with running(app, discord_fake, workspace) as restarted:  # a new process
        decided = await click(restarted, buttons(offer)[0], offer["id"], user="bob")
        page = await app.work_items.find(workspace.id, ItemFilter(text="Fix header"), limit=5)

    bob = discord_fake.user("bob").id
    assert decided.json["type"] == 7
    assert f"Confirmed by <@{bob}>:" in decided.json["data"]["embeds"][0]["description"]
    assert [i.title for i in page.items] == ["Fix header layout"]


def message_edits(bot: DiscordBot, message_id: str | None = None) -> list[DiscordCall]:
    """Edits Discord took (of `message_id`, or of any message)."""
    return [
        c
        for c in bot.fake.calls_to("edit_message")
        if not c.failed and message_id in (None, c.params.get("message_id"))
    ]


async def test_a_click_on_a_decided_proposal_tells_the_clicker_and_leaves_the_message(
    bot: DiscordBot,
) -> None:
    offer = await propose(bot, CREATE, user="bob")
    confirm, reject = buttons(offer)
    decided = await click(bot, confirm, offer["id"], user="bob")
    assert decided.json["type"] == 7
    edits = len(message_edits(bot))
    for custom_id in (confirm, reject):  # a copy that still shows the buttons (stale client)
        done = len(bot.fake.calls_to("create_interaction_response"))
        await bot.fake.dispatch(
            "INTERACTION_CREATE", bot.fake.button_click(custom_id, user="alice")
        )
        [again] = (await bot.fake.wait_for("create_interaction_response", count=done + 1))[done:]
        assert again.json["type"] == 4
        assert again.json["data"]["flags"] == EPHEMERAL
        assert again.json["data"]["content"].endswith("was already applied.")
    assert len(message_edits(bot)) == edits  # each message stays as it was
    page = await bot.app.work_items.find(bot.workspace.id, ItemFilter(text="Fix header"), limit=5)
    assert len(page.items) == 1


async def test_an_expired_proposal_loses_its_buttons_and_says_why(bot: DiscordBot) -> None:
    offer = await propose(bot, CREATE, user="bob")
    bot.app.clock.advance(hours=2)  # type: ignore[attr-defined]  # past the hour it is open
    refused = await click(bot, buttons(offer)[0], offer["id"], user="bob")
    assert refused.json["data"]["flags"] == EPHEMERAL
    assert refused.json["data"]["content"].endswith("expired; ask again for a fresh proposal.")
    while not message_edits(bot, offer["id"]):
        await bot.fake.wait_for("edit_message", count=len(bot.fake.calls_to("edit_message")) + 1)
    [closed] = message_edits(bot, offer["id"])
    assert closed.json["components"] == []
    assert "expired; ask again" in closed.json["embeds"][0]["description"]


async def test_a_decision_discord_will_not_show_is_told_to_the_person_who_decided(
    bot: DiscordBot,
) -> None:
    offer = await propose(bot, CREATE, user="bob")
    bot.fake.fail("create_interaction_response", status=400, message="Invalid Form Body")
    done = len(bot.fake.calls_to("create_interaction_response"))
    payload = bot.fake.button_click(buttons(offer)[0], message_id=offer["id"], user="bob")
    await bot.fake.dispatch("INTERACTION_CREATE", payload)
    failed, told = (await bot.fake.wait_for("create_interaction_response", count=done + 2))[done:]
    assert failed.failed
    assert failed.json["type"] == 7  # the edit of the proposal
    page = await bot.app.work_items.find(bot.workspace.id, ItemFilter(text="Fix header"), limit=5)
    [item] = page.items
    bob = bot.fake.user("bob").id
    assert told.json["type"] == 4
    assert told.json["data"]["flags"] == EPHEMERAL
    assert told.json["data"]["content"] == f"✅ Confirmed by <@{bob}>: {item.key} created."
