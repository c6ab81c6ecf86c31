"""Roles on Discord: bob (no Manage Server, not made an admin by the operator) is refused every
admin-only command, the pack buttons, the model-settings modal and a bulk confirmation."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.storage.channels import SqlChannelSettings
from bot.app import App
from core.plans import Plan
from core.workspaces import Mode, Platform, Role
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.hostile.discord_pair import DiscordPair, buttons, discord_pair
from tests.hostile.tenants import rows_of

ADMIN_ONLY = [
    ("buy", None),
    ("alerts-channel", None),
    ("alerts-channel", {"off": "off"}),
    ("config", None),
    ("audit", None),
]
BULK = "Update all Todo items in API project to In Progress"


@pytest.fixture
async def pair(app: App, discord_fake: FakeDiscord) -> AsyncIterator[DiscordPair]:
    async with discord_pair(app, discord_fake) as served:
        await served.command("help", user="bob")  # bob joins acme as a member
        yield served


@pytest.mark.parametrize(("path", "options"), ADMIN_ONLY)
async def test_a_member_is_refused_every_admin_command(
    pair: DiscordPair, path: str, options: dict[str, str] | None
) -> None:
    before = await rows_of(pair.app, pair.acme)
    answer = await pair.command(path, options, user="bob")
    assert answer.json["content"] == f"⛔ `/setget {path}` is for workspace admins."
    assert await rows_of(pair.app, pair.acme) == before
    settings = SqlChannelSettings(pair.app.db)
    assert await settings.alerts_channel(Platform.DISCORD, pair.fake.guild.id) is None


async def test_a_member_cannot_bind_a_channel(pair: DiscordPair) -> None:
    answer = await pair.command("project", {"key": "WEB"}, user="bob")
    assert answer.json["content"] == "⛔ Only workspace admins can bind a channel to a project."


@pytest.mark.parametrize(
    "custom_id", ["setget:buy:size:100", "setget:buy:confirm:100", "setget:buy:confirm:1000000"]
)
async def test_a_member_clicking_a_pack_button_buys_nothing(
    pair: DiscordPair, custom_id: str
) -> None:
    before = await rows_of(pair.app, pair.acme)
    told = await pair.click(custom_id, user="bob")
    assert "Only workspace admins can buy credits." in told.json["data"]["content"]
    assert await rows_of(pair.app, pair.acme) == before


async def test_a_member_submitting_the_model_modal_saves_nothing(
    app: App, discord_fake: FakeDiscord
) -> None:
    """In a guild linked to a self-hosted workspace, where bob is a plain member."""
    guild = discord_fake.add_guild("Solo Guild", owner=discord_fake.user("olivia"))
    discord_fake.add_member(guild, discord_fake.user("bob"))
    solo = await app.admin.create("solo", plan=Plan.PRO, mode=Mode.SELF_HOSTED)
    await app.admin.link("solo", Platform.DISCORD, guild.id)
    async with discord_pair(app, discord_fake):
        fields = {"provider": "openai", "model": "gpt-evil", "api_key": "sk-attacker-key"}
        channel = next(c for c in guild.channels.values() if not c.is_thread)
        payload = discord_fake.modal_submit("setget:config", fields, user="bob", channel=channel)
        done = len(discord_fake.calls_to("create_interaction_response"))
        before = await rows_of(app, solo)
        await discord_fake.dispatch("INTERACTION_CREATE", payload)
        calls = await discord_fake.wait_for("create_interaction_response", count=done + 1)
        told = calls[done].json["data"]["content"]
        assert "Only an admin of a self-hosted workspace can set the model." in told
        assert "sk-attacker-key" not in told
        after = await rows_of(app, solo)
        assert after.pop("members") != before.pop("members")  # bob joined, as a member
        assert after == before
        (bob,) = await app.workspace_store.list_members(solo.id)
        assert bob.role is Role.MEMBER


async def test_a_member_cannot_confirm_a_bulk_change_even_their_own(pair: DiscordPair) -> None:
    await pair.bot.mention(BULK, author="bob")
    while not [m for m in pair.fake.world.messages.values() if m.get("embeds")]:
        await pair.fake.wait_for("send_message", count=len(pair.fake.calls_to("send_message")) + 1)
    offer = next(m for m in pair.fake.world.messages.values() if m.get("embeds"))
    confirm = buttons(offer)[0]
    before = await rows_of(pair.app, pair.acme)
    told = await pair.click(confirm, user="bob", message_id=offer["id"])
    assert told.json["data"]["content"] == "⛔ Only an admin can confirm this action."
    assert await rows_of(pair.app, pair.acme) == before
    decided = await pair.click(confirm, user="alice", message_id=offer["id"])
    assert decided.json["type"] == 7  # an admin may


async def test_an_admin_of_acmes_guild_is_a_member_in_betas(pair: DiscordPair) -> None:
    """alice has Manage Server in acme's guild only; in beta's guild she is refused."""
    pair.fake.add_member(pair.beta_guild, pair.fake.user("alice"))
    before = await rows_of(pair.app, pair.beta)
    for path, options in ADMIN_ONLY:
        followups = len(pair.fake.calls_to("send_followup"))
        first = len(pair.fake.calls_to("create_interaction_response"))
        payload = pair.fake.slash_command(
            f"setget {path}", options, user="alice", channel=pair.beta_channel
        )
        await pair.fake.dispatch("INTERACTION_CREATE", payload)
        answers = await pair.fake.wait_for("create_interaction_response", count=first + 1)
        if answers[first].json["type"] == 4:
            told = answers[first].json["data"]["content"]
        else:
            told = (await pair.fake.wait_for("send_followup", count=followups + 1))[followups].json[
                "content"
            ]
        assert told == f"⛔ `/setget {path}` is for workspace admins."
    told_buy = await pair.click("setget:buy:confirm:100", user="alice", channel=pair.beta_channel)
    assert "Only workspace admins can buy credits." in told_buy.json["data"]["content"]
    after = await rows_of(pair.app, pair.beta)
    assert after.pop("members") != before.pop("members")  # alice joined beta, as a member
    assert after == before
    roles = [m.role for m in await pair.app.workspace_store.list_members(pair.beta.id)]
    assert Role.ADMIN not in roles
