"""`/setget` through the chat layer: one table, one wording, refusals by role and plan."""

from __future__ import annotations

import logging

import pytest

from core.chat import COMMANDS, BuyForm, Reply, Tone
from core.chat.commands import help_text
from core.chat.replies import channel_ref
from core.plans import Plan
from core.workspaces import Platform
from tests.chat.conftest import ALICE, BOB, TEAM, Chat


async def run(chat: Chat, text: str, *, user: str = ALICE, team: str = TEAM) -> Reply:
    return await chat.layer.commands.run(
        team=team, channel="C1", user=user, text=text, directory=chat.directory
    )


async def test_help_is_generated_from_the_table_and_admins_see_their_commands(
    chat: Chat,
) -> None:
    member, admin = (await run(chat, "help", user=BOB)).text, (await run(chat, "")).text
    for command in COMMANDS.values():
        assert (f"`/setget {command.usage}`" in member) is not command.admin_only
        assert f"`/setget {command.usage}`" in admin
    assert member == help_text(platform=Platform.SLACK, admin=False)
    console = help_text(platform=Platform.CONSOLE, admin=False)
    assert "at the prompt" in console
    assert "mention me" not in console


async def test_admin_commands_refuse_members_and_unknown_ones_say_how_to_get_help(
    chat: Chat,
) -> None:
    for name in [c.name for c in COMMANDS.values() if c.admin_only]:
        refused = await run(chat, name, user=BOB)
        assert (refused.tone, refused.text) == (
            Tone.REFUSAL,
            f"`/setget {name}` is for workspace admins.",
        )
    unknown = await run(chat, "refund")
    assert unknown.text == "I don't know `/setget refund`. Try `/setget help`."


async def test_a_team_not_linked_is_told_how_to_link_it(chat: Chat) -> None:
    reply = await run(chat, "balance", team="T9")
    assert "`setget-bot workspace link NAME --slack-team T9`" in reply.text


async def test_balance_and_plan_read_the_pool(chat: Chat) -> None:
    assert "Remaining: **500 credits**" in (await run(chat, "balance", user=BOB)).text
    assert "**pro** plan: 500 credits a month" in (await run(chat, "plan", user=BOB)).text


async def test_usage_gives_admins_the_chart_and_members_their_own_figures(chat: Chat) -> None:
    admin = await run(chat, "usage")
    assert admin.text.startswith("**AI usage — demo**")
    assert [f.filename for f in admin.files] == ["setget-usage.png"]
    member = await run(chat, "usage", user=BOB)
    assert member.text.startswith("You used 0 credits in 0 AI interactions")
    assert member.files == ()


async def test_only_admins_bind_a_channel_and_everyone_reads_the_binding(chat: Chat) -> None:
    refused = await run(chat, "project WEB", user=BOB)
    assert refused.tone is Tone.REFUSAL
    assert "not bound" in (await run(chat, "project", user=BOB)).text
    bound = await run(chat, "project web")
    assert bound.text == f"Questions in {channel_ref('C1')} are now about project WEB."
    assert (await run(chat, "project", user=BOB)).text == "This channel is bound to WEB."
    wrong = await run(chat, "project NOPE")
    assert (wrong.tone, wrong.text) == (
        Tone.WARNING,
        "No project NOPE in workspace demo (projects: API, WEB).",
    )


@pytest.mark.parametrize(
    ("plan", "says"),
    [
        (Plan.FREE, "upgrade to Pro or Business"),
        (Plan.ENTERPRISE, "ask the operator for a grant"),
    ],
)
async def test_buy_refuses_plans_without_packs_in_the_plan_s_own_words(
    chat: Chat, plan: Plan, says: str
) -> None:
    await chat.team.admin.set_plan("demo", plan, allocation=50)
    refused = await run(chat, "buy")
    assert refused.tone is Tone.REFUSAL
    assert says in refused.text
    assert refused.form is None


async def test_buy_offers_the_pack_sizes(chat: Chat) -> None:
    assert (await run(chat, "buy")).form == BuyForm((100, 500, 1000))


async def test_alerts_channel_points_alerts_here_or_back_to_dms(chat: Chat) -> None:
    here = await run(chat, "alerts-channel")
    assert channel_ref("C1") in here.text
    assert await chat.settings.alerts_channel(Platform.SLACK, TEAM) == "C1"
    await run(chat, "alerts-channel off")
    assert await chat.settings.alerts_channel(Platform.SLACK, TEAM) is None


async def test_config_is_for_self_hosted_workspaces(chat: Chat) -> None:
    refused = await run(chat, "config")
    assert refused.tone is Tone.REFUSAL
    assert "cloud workspace" in refused.text


async def test_an_unexpected_failure_is_told_with_a_reference_and_logged(
    chat: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(_workspace: object) -> object:
        raise RuntimeError("disk on fire")

    chat.layer.commands._services.pool.status = broken  # type: ignore[method-assign]
    with caplog.at_level(logging.ERROR):
        reply = await run(chat, "balance")
    assert reply.tone is Tone.WARNING
    assert reply.text.startswith("Sorry, something went wrong on our side running /setget")
    ref = reply.text.rsplit("ref ", 1)[1].rstrip(").")
    assert any(ref in r.getMessage() and r.exc_info for r in caplog.records)
    assert "disk on fire" not in reply.text
