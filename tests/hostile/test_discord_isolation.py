"""Tenant isolation on Discord: from acme's guild (and from DMs) every entry point is tried
with what beta's guild showed — its proposal buttons, its feedback buttons, its item keys —
and beta's rows stay exactly as they were, and nothing of beta's is shown."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.app import App
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.hostile.discord_pair import DiscordPair, buttons, discord_pair
from tests.hostile.tenants import BETA_MARKS, rows_of, shown_text

ACME_QUESTION = "How many open items are in the API project?"
COMMANDS = ["help", "balance", "usage", "plan", "project", "audit", "alerts-channel"]


@pytest.fixture
async def pair(app: App, discord_fake: FakeDiscord) -> AsyncIterator[DiscordPair]:
    async with discord_pair(app, discord_fake) as served:
        yield served


async def seen(pair: DiscordPair) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], int]:
    answer, proposal = await pair.beta_activity()
    return answer, proposal, await rows_of(pair.app, pair.beta), len(pair.fake.calls)


async def assert_beta_untouched(pair: DiscordPair, before: dict[str, Any], since: int) -> None:
    assert await rows_of(pair.app, pair.beta) == before
    shown = shown_text([c.json for c in pair.fake.calls[since:]])
    for mark in BETA_MARKS:
        assert mark not in shown


@pytest.mark.parametrize("user", ["alice", "bob"])
async def test_every_command_in_acmes_guild_shows_and_changes_only_acme(
    pair: DiscordPair, user: str
) -> None:
    _, _, before, since = await seen(pair)
    await pair.bot.mention(ACME_QUESTION, author="bob")  # acme's own audit record
    await pair.bot.answered(2)
    for path in COMMANDS:
        answer = await pair.command(path, user=user)
        assert answer.json, path
    files = b"".join(f.data for c in pair.fake.calls[since:] for f in c.files)  # DMs included
    assert (ACME_QUESTION.encode() in files) is (user == "alice")  # the audit, to an admin
    for mark in BETA_MARKS:
        assert mark.encode() not in files
    refused = await pair.command("project", {"key": "OPS"}, user="alice")
    assert "OPS" in refused.json["content"]
    assert "now about" not in refused.json["content"]
    await assert_beta_untouched(pair, before, since)
    balance = await pair.command("balance", user=user)
    assert "AI credits — acme" in balance.json["content"]


@pytest.mark.parametrize("user", ["alice", "bob"])
async def test_betas_proposal_buttons_clicked_in_acmes_guild_change_nothing(
    pair: DiscordPair, user: str
) -> None:
    _, proposal, before, since = await seen(pair)
    confirm, reject = buttons(proposal)
    action_id = confirm.split(":")[2]
    for custom_id in (confirm, reject, f"setget:confirm:{action_id}:{pair.fake.guild.id}"):
        told = await pair.click(custom_id, user=user)  # a copy of the button, in acme's guild
        assert told.json["data"]["content"] == (
            f"⛔ No proposed action #{action_id} in this workspace."
        )
    await assert_beta_untouched(pair, before, since)


async def test_betas_feedback_buttons_clicked_in_acmes_guild_are_refused(
    pair: DiscordPair,
) -> None:
    answer, _, before, since = await seen(pair)
    for custom_id in buttons(answer):
        for user in ("alice", "bob"):
            told = await pair.click(custom_id, user=user)
            assert told.json["data"]["content"] == (
                "⛔ This is not an answer of acme's: no feedback recorded."
            )
    await assert_beta_untouched(pair, before, since)


async def test_betas_buttons_clicked_in_a_dm_by_someone_outside_betas_guild_do_nothing(
    pair: DiscordPair,
) -> None:
    """A DM click names its guild in the button; bob is no member of beta's guild."""
    answer, proposal, before, since = await seen(pair)
    dm = pair.fake.world.dm_channel(pair.fake.user("bob"))
    for custom_id in [*buttons(proposal), *buttons(answer)]:
        told = await pair.click(custom_id, user="bob", channel=dm)
        assert told.json["data"]["content"].startswith("⛔"), told.json
    await assert_beta_untouched(pair, before, since)


async def test_a_dm_from_acmes_member_is_answered_from_acme_only(pair: DiscordPair) -> None:
    _, _, before, since = await seen(pair)
    event = pair.fake.dm_message(
        "How many open items are in the OPS project? And OPS-1?", author="bob"
    )
    await pair.fake.dispatch("MESSAGE_CREATE", event)
    await pair.bot.answered(2)
    await assert_beta_untouched(pair, before, since)


async def test_the_buy_buttons_in_acmes_guild_buy_for_acme_only(pair: DiscordPair) -> None:
    _, _, before, since = await seen(pair)
    told = await pair.click("setget:buy:confirm:100", user="alice")
    assert told.json["data"]["content"].startswith("✅ Added a pack of 100 credits to acme")
    assert await pair.bot.remaining() == 600
    await assert_beta_untouched(pair, before, since)
