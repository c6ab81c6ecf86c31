"""`/setget` through a real slack-bolt app over HTTP: what each person is told, what is
uploaded to whom, and what the database holds afterwards."""

from __future__ import annotations

import json

from adapters.storage.channels import SqlChannelSettings
from core.plans import Plan
from core.workspaces import Platform
from tests.adapters.slack.conftest import SlackBot
from tests.adapters.slack.signing import mention_event

COUNT = "How many open items are in the WEB project?"
ADMIN_COMMANDS = ("buy", "alerts-channel", "config", "audit")
PNG = b"\x89PNG\r\n\x1a\n"


async def reply(bot: SlackBot, text: str, *, user: str = "U0BOB", **kwargs: str) -> str:
    """Run `/setget text` and return the one reply; it must be ephemeral."""
    before = len(bot.slack.calls_to("response_url"))
    assert await bot.command(text, user=user, **kwargs) == 200
    replies = bot.slack.calls_to("response_url")[before:]
    assert len(replies) == 1, [r.args for r in replies]
    assert replies[0].args["response_type"] == "ephemeral"
    return str(replies[0].args["text"])


async def ask(bot: SlackBot, user: str, ts: str) -> None:
    """One AI question in a channel: charged to `user`, and written to the audit log."""
    assert await bot.event(mention_event(COUNT, user=user, ts=ts)) == 200


def uploaded(bot: SlackBot) -> list[tuple[str, str, bytes]]:
    """(channel, file name, bytes) of every completed upload, in order."""
    names = [c.args["filename"] for c in bot.slack.calls_to("files.getUploadURLExternal")]
    done = bot.slack.calls_to("files.completeUploadExternal")
    return [
        (str(call.args["channel_id"]), name, bot.slack.uploads[call.args["files"][0]["id"]])
        for name, call in zip(names, done, strict=True)
    ]


async def test_help_lists_admin_commands_only_to_admins(bot: SlackBot) -> None:
    member = await reply(bot, "help", user="U0BOB")
    admin = await reply(bot, "help", user="U0ALICE")

    assert "`/setget balance`" in member
    assert "`/setget project KEY`" in member
    assert not any(f"`/setget {name}" in member for name in ADMIN_COMMANDS)
    assert all(f"`/setget {name}" in admin for name in ADMIN_COMMANDS)
    assert await reply(bot, "", user="U0BOB") == member  # `/setget` alone is the help


async def test_balance_shows_remaining_monthly_used_packs_and_renewal(bot: SlackBot) -> None:
    await ask(bot, "U0BOB", "1700000000.000100")
    await bot.app.admin.buy_pack("acme", 100)

    text = await reply(bot, "balance", user="U0CAROL")

    assert "Remaining: *599 credits*" in text
    assert "monthly 499 of 500, packs 100" in text
    assert "Used this month: 1 monthly credit\n" in text
    assert "Renews on 2026-02-28" in text


async def test_plan_says_what_the_plan_includes(bot: SlackBot) -> None:
    text = await reply(bot, "plan")

    assert "*pro* plan: 500 credits a month, can buy credit packs" in text
    assert "renews on 2026-02-28" in text


async def test_an_admin_gets_the_dashboard_and_a_chart_by_day_in_a_dm(bot: SlackBot) -> None:
    await ask(bot, "U0BOB", "1700000000.000100")
    await ask(bot, "U0CAROL", "1700000000.000200")
    await ask(bot, "U0CAROL", "1700000000.000300")

    text = await reply(bot, "usage", user="U0ALICE", channel="C0GENERAL")

    assert "Remaining: *497 credits* · used this cycle: 3" in text
    assert "renews on 2026-02-28" in text
    lines = text.splitlines()
    assert "• bob: 1 credit in 1 interaction" in lines
    assert "• carol: 2 credits in 2 interactions" in lines
    ((channel, name, data),) = uploaded(bot)
    assert channel == "DU0ALICE"  # the admin's DM with the bot, not the channel
    assert name == "setget-usage.png"
    assert data.startswith(PNG)


async def test_a_member_sees_only_their_own_usage_and_gets_no_chart(bot: SlackBot) -> None:
    await ask(bot, "U0BOB", "1700000000.000100")
    await ask(bot, "U0CAROL", "1700000000.000200")
    await ask(bot, "U0CAROL", "1700000000.000300")

    text = await reply(bot, "usage", user="U0CAROL")

    assert text.startswith("You used 2 credits in 2 AI interactions since 2026-01-31.")
    assert (await reply(bot, "usage", user="U0BOB")).startswith(
        "You used 1 credit in 1 AI interaction since"
    )
    assert "bob" not in text
    assert "renews on 2026-02-28" in text
    assert uploaded(bot) == []


async def test_members_are_refused_every_admin_command(bot: SlackBot) -> None:
    for name in ADMIN_COMMANDS:
        text = await reply(bot, name, user="U0BOB")
        assert text == f":no_entry: `/setget {name}` is for workspace admins."
    assert bot.slack.calls_to("views.open") == []
    assert await SqlChannelSettings(bot.app.db).alerts_channel(Platform.SLACK, "T0001") is None


async def test_an_admin_the_operator_added_may_use_admin_commands(bot: SlackBot) -> None:
    await bot.app.admin.add_admin("acme", Platform.SLACK, "U0BOB")

    text = await reply(bot, "alerts-channel", user="U0BOB", channel="C0ALERTS")

    assert "now go to <#C0ALERTS>" in text
    assert await SqlChannelSettings(bot.app.db).alerts_channel(Platform.SLACK, "T0001") == (
        "C0ALERTS"
    )


async def test_alerts_go_back_to_admin_dms_when_the_channel_is_turned_off(bot: SlackBot) -> None:
    await reply(bot, "alerts-channel", user="U0ALICE", channel="C0ALERTS")

    text = await reply(bot, "alerts-channel off", user="U0ALICE", channel="C0ALERTS")

    assert text == "Usage alerts for acme now go to the admins by direct message."
    assert await SqlChannelSettings(bot.app.db).alerts_channel(Platform.SLACK, "T0001") is None


async def test_slack_admin_flags_are_asked_once_and_cached(bot: SlackBot) -> None:
    await reply(bot, "plan", user="U0ALICE")
    await reply(bot, "audit", user="U0ALICE")
    await reply(bot, "alerts-channel", user="U0ALICE")

    assert [c.args["user"] for c in bot.slack.calls_to("users.info")] == ["U0ALICE"]


async def test_when_slack_cannot_say_who_is_admin_admin_commands_are_refused(
    bot: SlackBot,
) -> None:
    bot.slack.fail("users.info", error="user_not_found")

    text = await reply(bot, "audit", user="U0ALICE")

    assert text == ":no_entry: `/setget audit` is for workspace admins."


async def test_alerts_channel_is_set_to_the_channel_the_command_came_from(bot: SlackBot) -> None:
    text = await reply(bot, "alerts-channel", user="U0ALICE", channel="C0ALERTS")

    assert text.startswith("Usage alerts for acme now go to <#C0ALERTS>")
    assert await SqlChannelSettings(bot.app.db).alerts_channel(Platform.SLACK, "T0001") == (
        "C0ALERTS"
    )


async def test_project_binds_the_channel_and_shows_the_binding(bot: SlackBot) -> None:
    assert "not bound to a project" in await reply(bot, "project", channel="C0WEB")

    bound = await reply(bot, "project web", user="U0ALICE", channel="C0WEB")

    assert bound == "Questions in <#C0WEB> are now about project WEB."
    assert await reply(bot, "project", channel="C0WEB") == "This channel is bound to WEB."
    assert "not bound" in await reply(bot, "project", channel="C0OTHER")


async def test_binding_an_unknown_project_names_the_projects_there_are(bot: SlackBot) -> None:
    text = await reply(bot, "project NOPE", user="U0ALICE", channel="C0WEB")

    assert text == ":warning: No project NOPE in workspace acme (projects: API, WEB)."
    assert "not bound" in await reply(bot, "project", channel="C0WEB")


async def test_buy_opens_the_pack_size_modal_for_an_admin(bot: SlackBot) -> None:
    assert await bot.command("buy", user="U0ALICE", channel="C0BILLING", trigger_id="t.9") == 200

    (opened,) = bot.slack.calls_to("views.open")
    assert opened.args["trigger_id"] == "t.9"
    view = opened.args["view"]
    assert view["private_metadata"] == "C0BILLING"
    (size,) = [b for b in view["blocks"] if b.get("block_id") == "size"]
    assert [o["value"] for o in size["element"]["options"]] == ["100", "500", "1000"]
    assert bot.slack.calls_to("response_url") == []


async def test_a_plan_without_packs_is_told_so_instead_of_a_modal(bot: SlackBot) -> None:
    await bot.app.admin.set_plan("acme", Plan.FREE)

    text = await reply(bot, "buy", user="U0ALICE")

    assert "free plan cannot buy credit packs" in text
    assert bot.slack.calls_to("views.open") == []


async def test_config_on_a_cloud_workspace_explains_it_is_for_self_hosted(bot: SlackBot) -> None:
    text = await reply(bot, "config", user="U0ALICE")

    assert "cloud workspace" in text
    assert "self-hosted" in text
    assert bot.slack.calls_to("views.open") == []


async def test_audit_lists_recent_interactions_and_sends_the_log_as_a_file(bot: SlackBot) -> None:
    await ask(bot, "U0BOB", "1700000000.000100")

    text = await reply(bot, "audit", user="U0ALICE")

    assert text.startswith("*AI audit log* — 1 interaction in the last 30 days; latest:")
    assert "2026-01-31 09:00 bob: simple question, 1 credit," in text
    ((channel, name, data),) = uploaded(bot)
    assert channel == "DU0ALICE"
    assert name == "setget-audit.jsonl"
    (line,) = data.decode().splitlines()
    record = json.loads(line)
    assert record["prompt"] == COUNT
    assert record["credits"] == 1
    assert record["outcome"] == "answered"


async def test_audit_with_nothing_to_show_uploads_nothing(bot: SlackBot) -> None:
    text = await reply(bot, "audit", user="U0ALICE")

    assert text == "No AI interactions in the last 30 days."
    assert uploaded(bot) == []


async def test_a_refused_upload_is_explained_and_the_figures_still_shown(bot: SlackBot) -> None:
    bot.slack.fail("files.getUploadURLExternal", error="not_allowed_token_type")
    before = len(bot.slack.calls_to("response_url"))

    assert await bot.command("usage", user="U0ALICE") == 200

    texts = [c.args["text"] for c in bot.slack.calls_to("response_url")[before:]]
    assert texts[0].startswith("*AI usage — acme*")
    assert texts[1] == (
        ":warning: Slack refused the file setget-usage.png; the figures above stand."
    )


async def test_an_unknown_subcommand_points_to_help(bot: SlackBot) -> None:
    assert await reply(bot, "refund") == "I don't know `/setget refund`. Try `/setget help`."


async def test_a_team_not_linked_to_a_workspace_is_told_how_to_link_it(bot: SlackBot) -> None:
    text = await reply(bot, "balance", user="U0ALICE", team_id="T0OTHER")

    assert "not linked to a SetGet workspace" in text
    assert "`setget-bot workspace link NAME --slack-team T0OTHER`" in text


async def test_the_dashboard_before_any_ai_use_says_so_and_still_charts(bot: SlackBot) -> None:
    text = await reply(bot, "usage", user="U0ALICE")

    assert "Remaining: *500 credits* · used this cycle: 0" in text
    assert "• no AI use yet this cycle" in text.splitlines()
    ((channel, _, data),) = uploaded(bot)
    assert (channel, data[:8]) == ("DU0ALICE", PNG)


async def test_a_form_slack_refuses_to_open_is_explained(bot: SlackBot) -> None:
    bot.slack.fail("views.open", error="expired_trigger_id")

    text = await reply(bot, "buy", user="U0ALICE")

    assert text == ":warning: Slack refused `/setget buy` just now; try again."


async def test_a_command_whose_text_says_payload_is_still_a_command(bot: SlackBot) -> None:
    """Bolt takes any form holding the word "payload" for an interaction; the server does not."""
    text = await reply(bot, "project payloads", user="U0ALICE", channel="C0WEB")
    assert text == ":warning: No project PAYLOADS in workspace acme (projects: API, WEB)."
