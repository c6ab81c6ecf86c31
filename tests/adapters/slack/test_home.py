"""The App Home tab through a real slack-bolt app: a member sees the pool and their own use;
an admin the whole dashboard with the chart and the admin buttons; the tab is drawn anew
when opened, after an admin action and after an alert that moved the pool."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

from adapters.slack.blocks import BUY_VIEW
from adapters.slack.home import HOME_ALERTS, HOME_AUDIT, HOME_BUY
from adapters.storage.channels import SqlChannelSettings
from core.workspaces import Platform
from tests.adapters.slack.conftest import TEAM, SlackBot
from tests.adapters.slack.fake_slack import SlackCall
from tests.adapters.slack.signing import mention_event
from tests.adapters.slack.test_alert_delivery import Deployment, deployment
from tests.adapters.slack.test_commands import uploaded

__all__ = ["deployment"]  # the alert job's fixture

COUNT = "How many open items are in the WEB project?"


def opened(user: str) -> dict[str, Any]:
    return {"type": "app_home_opened", "user": user, "channel": f"D{user}", "tab": "home"}


async def home_of(bot: SlackBot, user: str) -> list[dict[str, Any]]:
    """Open `user`'s Home tab; the blocks Slack was asked to publish there."""
    before = len(bot.slack.calls_to("views.publish"))
    assert await bot.event(opened(user)) == 200
    (published,) = bot.slack.calls_to("views.publish")[before:]
    return blocks_of(published, user)


def blocks_of(call: SlackCall, user: str) -> list[dict[str, Any]]:
    assert call.args["user_id"] == user
    view = call.args["view"]
    assert view["type"] == "home"
    blocks: list[dict[str, Any]] = view["blocks"]
    return blocks


def texts(blocks: list[dict[str, Any]]) -> str:
    out = []
    for b in blocks:
        if b["type"] in ("section", "header"):
            out.append(b["text"]["text"])
        elif b["type"] == "context":
            out += [e["text"] for e in b["elements"]]
    return "\n".join(out)


def elements(blocks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {e["action_id"]: e for b in blocks if b["type"] == "actions" for e in b["elements"]}


async def act(bot: SlackBot, user: str, action: dict[str, Any]) -> list[dict[str, Any]]:
    """Use an element of the Home tab; the blocks the tab was published with afterwards."""
    before = len(bot.slack.calls_to("views.publish"))
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": TEAM},
        "api_app_id": "A0APP",
        "token": "verification-token",
        "container": {"type": "view", "view_id": "V0HOME"},
        "trigger_id": "trig.home",
        "team": {"id": TEAM, "domain": "fake"},
        "view": {"id": "V0HOME", "type": "home", "team_id": TEAM},
        "actions": [{**action, "block_id": "home-admin", "action_ts": f"{int(time.time())}.0"}],
    }
    assert (await bot.post(urlencode({"payload": json.dumps(payload)}))).status == 200
    (published,) = bot.slack.calls_to("views.publish")[before:]
    return blocks_of(published, user)


async def test_a_member_sees_the_pool_the_renewal_and_their_own_use(bot: SlackBot) -> None:
    assert await bot.event(mention_event(COUNT, user="U0BOB", ts="1700000000.000100")) == 200
    renewal = (await bot.app.pool.status(bot.workspace)).cycle.renewal

    blocks = await home_of(bot, "U0BOB")

    shown = texts(blocks)
    assert "AI credits — acme" in shown
    assert "Remaining: *499 credits*" in shown
    assert f"Renews on {renewal.isoformat()}" in shown
    assert "You used 1 credit in 1 AI interaction" in shown
    assert "Dashboard" not in shown
    assert "By member" not in shown  # per-member figures are for admins
    assert elements(blocks) == {}
    assert not any(b["type"] == "image" for b in blocks)
    assert uploaded(bot) == []


async def test_an_admin_sees_the_dashboard_the_chart_and_the_admin_buttons(bot: SlackBot) -> None:
    await bot.event(mention_event(COUNT, user="U0BOB", ts="1700000000.000100"))

    blocks = await home_of(bot, "U0ALICE")

    shown = texts(blocks)
    assert "You used 0 credits" in shown
    assert "Dashboard" in shown
    assert "*By member*\n• bob: 1 credit in 1 interaction" in shown
    assert "Feedback on answers this cycle: none yet." in shown
    assert "packs left: 0" in shown
    assert "sent to you privately" not in shown  # the chart is right here
    ((channel, name, data),) = uploaded(bot)
    assert (channel, name) == ("DU0ALICE", "setget-usage.png")
    assert data.startswith(b"\x89PNG")
    (image,) = [b for b in blocks if b["type"] == "image"]
    (done,) = bot.slack.calls_to("files.completeUploadExternal")
    assert image["slack_file"] == {"id": done.args["files"][0]["id"]}
    assert set(elements(blocks)) == {HOME_BUY, HOME_ALERTS, HOME_AUDIT}
    assert elements(blocks)[HOME_ALERTS]["type"] == "conversations_select"
    assert "go to admins by DM" in shown

    again = await home_of(bot, "U0ALICE")
    assert len(uploaded(bot)) == 1  # the same chart is not uploaded twice
    assert [b for b in again if b["type"] == "image"] == [image]


async def test_a_refused_chart_leaves_the_dashboard_without_it(bot: SlackBot) -> None:
    bot.slack.fail("views.publish", error="invalid_blocks")
    before = len(bot.slack.calls_to("views.publish"))
    assert await bot.event(opened("U0ALICE")) == 200
    refused, published = bot.slack.calls_to("views.publish")[before:]
    assert any(b["type"] == "image" for b in blocks_of(refused, "U0ALICE"))
    blocks = blocks_of(published, "U0ALICE")
    assert not any(b["type"] == "image" for b in blocks)
    assert "Dashboard" in texts(blocks)


async def test_the_alerts_channel_is_picked_on_the_tab_by_an_admin_only(bot: SlackBot) -> None:
    settings = SqlChannelSettings(bot.app.db)
    pick = {"action_id": HOME_ALERTS, "type": "conversations_select"}

    refused = await act(bot, "U0BOB", {**pick, "selected_conversation": "C0ALERTS"})
    assert "`/setget alerts-channel` is for workspace admins." in texts(refused)
    assert await settings.alerts_channel(Platform.SLACK, TEAM) is None

    blocks = await act(bot, "U0ALICE", {**pick, "selected_conversation": "C0ALERTS"})
    assert await settings.alerts_channel(Platform.SLACK, TEAM) == "C0ALERTS"
    assert "Usage alerts for acme now go to <#C0ALERTS>" in texts(blocks)
    assert elements(blocks)[HOME_ALERTS]["initial_conversation"] == "C0ALERTS"
    assert "go in the channel picked here" in texts(blocks)


async def test_export_sends_the_audit_log_to_the_admins_dm(bot: SlackBot) -> None:
    await bot.event(mention_event(COUNT, user="U0BOB", ts="1700000000.000100"))

    blocks = await act(bot, "U0ALICE", {"action_id": HOME_AUDIT, "type": "button"})

    assert "The audit log is in your messages with me." in texts(blocks)
    files = [(c, n) for c, n, _ in uploaded(bot)]
    assert ("DU0ALICE", "setget-audit.jsonl") in files
    (summary,) = [
        c for c in bot.slack.calls_to("chat.postMessage") if c.args["channel"] == "DU0ALICE"
    ]
    assert summary.args["text"].startswith("*AI audit log* — 1 interaction in the last 30 days")


async def test_buy_opens_the_purchase_modal(bot: SlackBot) -> None:
    await act(bot, "U0ALICE", {"action_id": HOME_BUY, "type": "button"})
    (opened_view,) = bot.slack.calls_to("views.open")
    assert opened_view.args["trigger_id"] == "trig.home"
    assert opened_view.args["view"]["callback_id"] == BUY_VIEW


async def test_the_admins_tab_is_drawn_anew_after_a_threshold_alert(
    deployment: Deployment,
) -> None:
    bot = deployment.bot
    first = texts(await home_of(bot, "U0ALICE"))
    assert "Remaining: *20 credits*" in first
    before = len(bot.slack.calls_to("views.publish"))

    for credits in (6, 6):
        await deployment.charge(credits)
    await deployment.deliver()
    assert bot.slack.calls_to("views.publish")[before:] == []  # 60 %: no alert, no redraw
    await deployment.charge(3)  # 15 of 20: the 75 % alert
    await deployment.deliver()

    (redrawn,) = bot.slack.calls_to("views.publish")[before:]
    assert "Remaining: *5 credits*" in texts(blocks_of(redrawn, "U0ALICE"))
