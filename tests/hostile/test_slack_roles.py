"""Roles on Slack: a member (not a Slack admin, not made one by the operator) is refused every
admin-only command, modal, Home button and bulk confirmation, and nothing changes."""

from __future__ import annotations

import pytest

from adapters.slack.blocks import BUY_CONFIRM_VIEW, BUY_VIEW, CONFIG_VIEW, CONFIRM
from adapters.slack.home import HOME_ALERTS, HOME_AUDIT, HOME_BUY
from adapters.storage.channels import SqlChannelSettings
from core.plans import Plan
from core.workspaces import Mode, Platform, Role
from tests.hostile.slack_pair import ADMIN_A, MEMBER_A, TEAM_A, TEAM_B, SlackPair
from tests.hostile.tenants import rows_of

ADMIN_ONLY = ["buy", "alerts-channel", "alerts-channel off", "config", "audit"]
BULK = "Update all Todo items in API project to In Progress"


@pytest.mark.parametrize("text", ADMIN_ONLY)
async def test_a_member_is_refused_every_admin_command(pair: SlackPair, text: str) -> None:
    await pair.command("help", user=MEMBER_A)  # joined as a member (rows compared after)
    before = await rows_of(pair.app, pair.acme)
    (told,) = await pair.command(text, user=MEMBER_A)
    name = text.split(maxsplit=1)[0]
    assert told == f":no_entry: `/setget {name}` is for workspace admins."
    assert pair.slack.calls_to("views.open") == []  # no form opened either
    assert await rows_of(pair.app, pair.acme) == before


async def test_a_member_cannot_bind_a_channel(pair: SlackPair) -> None:
    (told,) = await pair.command("project WEB", user=MEMBER_A)
    assert told == ":no_entry: Only workspace admins can bind a channel to a project."
    channels = SqlChannelSettings(pair.app.db)
    assert await channels.project_for(pair.acme.id, Platform.SLACK, "C0ACME") is None


async def test_a_member_submitting_the_purchase_modals_buys_nothing(pair: SlackPair) -> None:
    size = {"size": {"value": {"type": "static_select", "selected_option": {"value": "100"}}}}
    status, text = await pair.bot.submit(BUY_VIEW, size, user=MEMBER_A, team_id=TEAM_A)
    assert status == 200
    assert "Only workspace admins can buy credits." in text
    status, _ = await pair.bot.submit(
        BUY_CONFIRM_VIEW, {}, user=MEMBER_A, team_id=TEAM_A, private_metadata="C0ACME|100"
    )
    assert status == 200
    (told,) = [c.args["text"] for c in pair.slack.calls_to("chat.postEphemeral")]
    assert told == ":no_entry: Only workspace admins can buy credits."
    assert await pair.bot.remaining() == 500


async def test_a_member_submitting_the_model_modal_of_a_self_hosted_workspace_saves_nothing(
    pair: SlackPair,
) -> None:
    solo = await pair.app.admin.create("solo", plan=Plan.PRO, mode=Mode.SELF_HOSTED)
    await pair.app.admin.link("solo", Platform.SLACK, "T0SOLO")
    values = {
        "provider": {"value": {"type": "static_select", "selected_option": {"value": "openai"}}},
        "model": {"value": {"type": "plain_text_input", "value": "gpt-evil"}},
        "api_key": {"value": {"type": "plain_text_input", "value": "sk-attacker"}},
    }
    await pair.command("help", user=MEMBER_A, team="T0SOLO")  # joined as a member
    before = await rows_of(pair.app, solo)
    status, text = await pair.bot.submit(CONFIG_VIEW, values, user=MEMBER_A, team_id="T0SOLO")
    assert status == 200
    assert "Only an admin of a self-hosted workspace can set the model." in text
    assert await rows_of(pair.app, solo) == before


@pytest.mark.parametrize("action", [HOME_BUY, HOME_ALERTS, HOME_AUDIT])
async def test_a_members_home_buttons_do_nothing_of_an_admins(pair: SlackPair, action: str) -> None:
    await pair.command("help", user=MEMBER_A)
    before = await rows_of(pair.app, pair.acme)
    picked = {"type": "conversations_select", "selected_conversation": "C0ACME"}
    await pair.click(action, "", user=MEMBER_A, extra=picked if action == HOME_ALERTS else None)
    published = pair.slack.calls_to("views.publish")[-1].args["view"]
    shown = repr(published)
    assert "is for workspace admins" in shown
    assert pair.slack.calls_to("views.open") == []
    assert pair.slack.uploads == {} or not pair.slack.calls_to("files.completeUploadExternal")
    assert await SqlChannelSettings(pair.app.db).alerts_channel(Platform.SLACK, TEAM_A) is None
    assert await rows_of(pair.app, pair.acme) == before


async def test_a_member_cannot_confirm_a_bulk_change_even_their_own(pair: SlackPair) -> None:
    await pair.mention(BULK, user=MEMBER_A, ts="1700000010.1")
    post = next(
        c
        for c in pair.slack.calls_to("chat.postMessage")
        if str(c.args.get("text", "")).startswith("Proposed action")
    )
    value = next(b for b in post.args["blocks"] if b["type"] == "actions")["elements"][0]["value"]
    await pair.command("help", user="U0CAROL")
    before = await rows_of(pair.app, pair.acme)
    for user in (MEMBER_A, "U0CAROL"):
        (told,) = await pair.click(CONFIRM, value, user=user)
        assert told == ":no_entry: Only an admin can confirm this action."
    assert await rows_of(pair.app, pair.acme) == before
    assert await pair.click(CONFIRM, value, user=ADMIN_A) == []  # an admin may: no refusal
    assert "Confirmed by <@U0ALICE>" in pair.slack.calls_to("chat.update")[-1].args["text"]


async def test_an_admin_of_acme_is_a_member_of_beta(pair: SlackPair) -> None:
    """bob, made acme's admin by the operator, writes from beta's team (a Slack Connect
    channel): beta's admin commands and modals are refused to him."""
    await pair.app.admin.add_admin("acme", Platform.SLACK, MEMBER_A)
    assert "`/setget audit`" in (await pair.command("help", user=MEMBER_A))[0]
    before = await rows_of(pair.app, pair.beta)
    for text in ADMIN_ONLY:
        (told,) = await pair.command(text, team=TEAM_B, user=MEMBER_A, channel="C0BETA")
        assert told.endswith("is for workspace admins."), told
    status, _ = await pair.bot.submit(
        BUY_CONFIRM_VIEW, {}, user=MEMBER_A, team_id=TEAM_B, private_metadata="C0BETA|100"
    )
    assert status == 200
    after = await rows_of(pair.app, pair.beta)
    assert after.pop("members") != before.pop("members")  # bob joined beta, as a member
    assert after == before
    assert [m.role for m in await pair.app.workspace_store.list_members(pair.beta.id)] == [
        Role.MEMBER
    ]
