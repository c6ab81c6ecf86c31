"""Every `/setget` subcommand through the real bot, as a member and as an admin: what each
person is shown."""

from __future__ import annotations

from typing import Any

import pytest

from core.chat import COMMANDS
from tests.adapters.discord.discord_models import EPHEMERAL
from tests.adapters.discord.test_bot_support import COUNT, DiscordBot, bot

__all__ = ["bot"]

ADMIN_ONLY = [name for name, c in COMMANDS.items() if c.admin_only]
FOR_EVERYONE = [name for name, c in COMMANDS.items() if not c.admin_only]


async def shown(
    bot: DiscordBot, path: str, options: dict[str, Any] | None = None, *, user: str
) -> dict[str, Any]:
    """Run `/setget PATH` as `user`; the first message they were shown (a follow-up of the
    deferred answer, or the interaction's own answer for a command that may open a modal)."""
    followups = len(bot.fake.calls_to("send_followup"))
    responses = len(bot.fake.calls_to("create_interaction_response"))
    payload = bot.fake.slash_command(f"setget {path}", options, user=user)
    await bot.fake.dispatch("INTERACTION_CREATE", payload)
    if path == "config":  # answered at once, never deferred (a modal must come first)
        calls = await bot.fake.wait_for("create_interaction_response", count=responses + 1)
        answer = calls[responses].json
        assert answer["type"] == 4
        data: dict[str, Any] = answer["data"]
    else:
        calls = await bot.fake.wait_for("send_followup", count=followups + 1)
        data = calls[followups].json
    assert data["flags"] == EPHEMERAL
    return data


def test_the_table_has_the_admin_commands_this_file_checks() -> None:
    assert ADMIN_ONLY == ["buy", "alerts-channel", "config", "audit"]
    assert FOR_EVERYONE == ["help", "balance", "usage", "plan", "project"]


@pytest.mark.parametrize("name", ADMIN_ONLY)
async def test_an_admin_command_is_refused_to_a_member(bot: DiscordBot, name: str) -> None:
    refused = await shown(bot, name, user="bob")
    assert refused["content"] == f"⛔ `/setget {name}` is for workspace admins."
    assert not refused.get("components")
    assert await bot.remaining() == 500  # commands never cost credits


async def test_help_lists_the_admin_commands_only_for_an_admin(bot: DiscordBot) -> None:
    member = (await shown(bot, "help", user="bob"))["content"]
    admin = (await shown(bot, "help", user="alice"))["content"]

    for name in FOR_EVERYONE:
        usage = COMMANDS[name].usage
        assert f"`/setget {usage}`" in member
        assert f"`/setget {usage}`" in admin
    for name in ADMIN_ONLY:
        usage = COMMANDS[name].usage
        assert f"`/setget {usage}`" not in member
        assert f"`/setget {usage}` — {COMMANDS[name].summary} _(admins)_" in admin
    assert "_(admins)_" not in member
    assert admin.startswith("**SetGet AI** — mention me in a channel or DM me")


@pytest.mark.parametrize("user", ["bob", "alice"])
async def test_balance_and_plan_show_the_pool_to_anyone(bot: DiscordBot, user: str) -> None:
    balance = (await shown(bot, "balance", user=user))["content"]
    plan = (await shown(bot, "plan", user=user))["content"]

    assert balance.startswith("**AI credits — acme** (pro)\nRemaining: **500")
    assert "(monthly 500 of 500, packs 0)" in balance
    assert "Used this month: 0 monthly credits" in balance
    assert "Renews on 2026-02-" in balance
    assert plan.startswith("**acme** is on the **pro** plan: 500 credits a month, ")
    assert "can buy credit packs" in plan


async def test_usage_shows_a_member_their_own_figures_and_an_admin_everyone(
    bot: DiscordBot,
) -> None:
    await bot.mention(COUNT, author="bob")
    await bot.answered()

    member = await shown(bot, "usage", user="bob")
    admin = await shown(bot, "usage", user="alice")

    assert member["content"].startswith("You used 1 credit in 1 AI interaction since ")
    assert "The workspace has 499 credits left" in member["content"]
    assert not member.get("attachments")
    assert admin["content"].startswith("**AI usage — acme**")
    assert "Remaining: **499 credits** · used this cycle: 1" in admin["content"]
    assert "• simple question: 1 credit" in admin["content"]
    assert [a["filename"] for a in admin["attachments"]] == ["setget-usage.png"]


async def test_audit_for_an_admin_lists_the_interactions_and_sends_the_log_by_dm(
    bot: DiscordBot,
) -> None:
    empty = await shown(bot, "audit", user="alice")
    assert empty["content"] == "No AI interactions in the last 30 days."

    await bot.mention(COUNT, author="bob")
    await bot.answered()
    audit = await shown(bot, "audit", user="alice")

    lines = audit["content"].splitlines()
    assert lines[0] == "**AI audit log** — 1 interaction in the last 30 days; latest:"
    assert "simple question, 1 credit, " in lines[1]
    assert not audit.get("attachments")  # the export is a file to keep: it goes by DM
    [told] = (await bot.fake.wait_for("send_followup", count=3))[2:]
    assert told.json["content"] == "✅ setget-audit.jsonl was sent to you by DM."
    assert told.json["flags"] == EPHEMERAL
    [opened] = bot.fake.calls_to("start_private_message")
    assert str(opened.json["recipient_id"]) == bot.fake.user("alice").id
    [sent] = [c for c in bot.fake.calls_to("send_message") if c.json.get("attachments")]
    assert sent.params["channel_id"] == bot.fake.world.dm_channel(bot.fake.user("alice")).id
    assert [a["filename"] for a in sent.json["attachments"]] == ["setget-audit.jsonl"]
    assert sent.files[0].data.decode().count("\n") == 1  # one JSON line: one interaction


async def test_project_binds_for_an_admin_and_is_refused_to_a_member(bot: DiscordBot) -> None:
    general = bot.fake.guild.channel("general").id

    unbound = await shown(bot, "project", user="bob")
    refused = await shown(bot, "project", {"key": "web"}, user="bob")
    still = await shown(bot, "project", user="alice")
    bound = await shown(bot, "project", {"key": "web"}, user="alice")
    shown_to_member = await shown(bot, "project", user="bob")

    assert unbound["content"] == (
        "This channel is not bound to a project. Bind it with `/setget project KEY`."
    )
    assert refused["content"].startswith("⛔ ")
    assert "only workspace admins can bind a channel to a project" in refused["content"].lower()
    assert still["content"] == unbound["content"]  # the refusal bound nothing
    assert bound["content"] == f"Questions in <#{general}> are now about project WEB."
    assert shown_to_member["content"] == "This channel is bound to WEB."


async def test_an_admin_is_answered_by_every_admin_command(bot: DiscordBot) -> None:
    general = bot.fake.guild.channel("general").id

    buy = await shown(bot, "buy", user="alice")
    alerts = await shown(bot, "alerts-channel", user="alice")
    config = await shown(bot, "config", user="alice")
    audit = await shown(bot, "audit", user="alice")

    assert buy["content"] == "Pick a pack size."
    assert buy["components"]
    assert alerts["content"].startswith(f"Usage alerts for acme now go to <#{general}>")
    assert config["content"].startswith("⛔ This is a cloud workspace")
    assert audit["content"] == "No AI interactions in the last 30 days."
