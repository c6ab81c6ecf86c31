"""`/setget` through the real bot: synced as one group, ephemeral answers, admin-only
commands, the pack purchase buttons, files attached."""

from __future__ import annotations

from typing import Any

from core.chat import COMMANDS
from tests.adapters.discord.discord_models import EPHEMERAL
from tests.adapters.discord.fake_rest import DiscordCall
from tests.adapters.discord.test_bot_support import DiscordBot, bot

__all__ = ["bot"]


async def command(
    bot: DiscordBot, path: str, options: dict[str, Any] | None = None, *, user: str
) -> DiscordCall:
    """Run `/setget PATH` as `user`; the follow-up that answered it."""
    done = len(bot.fake.calls_to("send_followup"))
    payload = bot.fake.slash_command(f"setget {path}", options, user=user)
    await bot.fake.dispatch("INTERACTION_CREATE", payload)
    calls = await bot.fake.wait_for("send_followup", count=done + 1)
    return calls[done]


async def click(bot: DiscordBot, custom_id: str, message_id: str, *, user: str) -> DiscordCall:
    done = len(bot.fake.calls_to("create_interaction_response"))
    payload = bot.fake.button_click(custom_id, message_id=message_id, user=user)
    await bot.fake.dispatch("INTERACTION_CREATE", payload)
    calls = await bot.fake.wait_for("create_interaction_response", count=done + 1)
    return calls[done]


def buttons(message: dict[str, Any]) -> list[str]:
    return [b["custom_id"] for row in message["components"] for b in row["components"]]


async def test_the_group_is_synced_with_a_subcommand_per_table_entry(bot: DiscordBot) -> None:
    [put] = bot.fake.calls_to("bulk_upsert_global_commands")
    [group] = put.json
    assert group["name"] == "setget"
    assert [o["name"] for o in group["options"]] == list(COMMANDS)
    project = next(o for o in group["options"] if o["name"] == "project")
    assert [(o["name"], o.get("required", False)) for o in project["options"]] == [("key", False)]
    alerts = next(o for o in group["options"] if o["name"] == "alerts-channel")
    assert [c["value"] for c in alerts["options"][0]["choices"]] == ["off"]


async def test_balance_is_an_ephemeral_deferred_answer(bot: DiscordBot) -> None:
    answer = await command(bot, "balance", user="bob")

    [deferred] = bot.fake.calls_to("create_interaction_response")
    assert deferred.json == {"type": 5, "data": {"flags": EPHEMERAL}}
    assert answer.json["flags"] == EPHEMERAL
    assert "AI credits — acme" in answer.json["content"]
    assert "Remaining: **500" in answer.json["content"]


async def test_an_admin_command_is_refused_to_a_member_and_run_for_an_admin(
    bot: DiscordBot,
) -> None:
    refused = await command(bot, "alerts-channel", user="bob")
    done = await command(bot, "alerts-channel", user="alice")
    general = bot.fake.guild.channel("general").id

    assert refused.json["content"] == "⛔ `/setget alerts-channel` is for workspace admins."
    assert done.json["content"].startswith(f"Usage alerts for acme now go to <#{general}>")
    off = await command(bot, "alerts-channel", {"off": "off"}, user="olivia")  # the owner
    assert "by direct message" in off.json["content"]


async def test_usage_for_an_admin_attaches_the_chart(bot: DiscordBot) -> None:
    answer = await command(bot, "usage", user="alice")
    assert [f.filename for f in answer.files] == ["setget-usage.png"]
    assert answer.files[0].data.startswith(b"\x89PNG")


async def test_buying_a_pack_takes_a_size_then_a_confirmation(bot: DiscordBot) -> None:
    offer = await command(bot, "buy", user="alice")
    message = bot.fake.message(bot.fake.interaction(offer.params["token"]).original_id or "")
    assert buttons(message) == [
        "setget:buy:size:100",
        "setget:buy:size:500",
        "setget:buy:size:1000",
    ]

    refused = await click(bot, "setget:buy:size:500", message["id"], user="bob")
    assert refused.json["data"]["flags"] == EPHEMERAL
    assert "Only workspace admins can buy credits." in refused.json["data"]["content"]

    sized = await click(bot, "setget:buy:size:500", message["id"], user="alice")
    assert sized.json["type"] == 7  # the ephemeral message becomes the confirmation
    assert "Buy a pack of **500 credits**" in sized.json["data"]["content"]
    assert buttons(bot.fake.message(message["id"])) == ["setget:buy:confirm:500"]

    bought = await click(bot, "setget:buy:confirm:500", message["id"], user="alice")
    assert bought.json["data"]["content"].startswith("✅ Added a pack of 500 credits to acme")
    assert bought.json["data"]["components"] == []
    assert await bot.remaining() == 1000
