"""Usage alerts from the database outbox to Slack, through the scheduler's delivery job and
the notifier `bot.slack` wires: to the alerts channel or the admins' DMs, retried with backoff
while Slack fails, and never sent twice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from bot.app import App
from bot.scheduler import alert_dispatcher, deliver_alerts, record_renewal_notices, renewal_notices
from bot.settings import Settings
from bot.slack import slack_runtime
from core.credits.delivery import AlertDispatcher, DeliveryReport
from core.credits.pricing import InteractionType, TokenUsage
from core.plans import Plan
from core.workspaces import Platform
from tests.adapters.slack.conftest import SECRET, TEAM, SlackBot, serve
from tests.adapters.slack.fake_slack import FakeSlack, SlackCall
from tests.fakes import FakeClock

MONTHLY = 20  # small, so a few charges cross 75, 90 and 100 %
TOKEN = "xoxb-test-token"


@dataclass
class Deployment:
    """The served bot (for `/setget`), and the alert job of the same deployment."""

    bot: SlackBot
    dispatcher: AlertDispatcher
    clock: FakeClock
    charges: int = 0

    @property
    def slack(self) -> FakeSlack:
        return self.bot.slack

    async def charge(self, credits: int) -> None:
        """One answered AI request costing `credits` (the pool records the alerts it crosses)."""
        self.charges += 1
        key, pool = f"ev-{self.charges}", self.bot.app.pool
        await pool.reserve(self.bot.workspace, key=key, member=None)
        await pool.settle(
            self.bot.workspace,
            key=key,
            usage=TokenUsage(4000 * credits, 0),
            interaction_type=InteractionType.DATA_ANALYSIS,
        )

    async def deliver(self) -> DeliveryReport | None:
        """One run of the scheduler's alert job."""
        return await deliver_alerts(self.dispatcher)

    async def alerts_channel(self, channel: str) -> None:
        assert await self.bot.command("alerts-channel", user="U0ALICE", channel=channel) == 200

    def sent(self) -> list[SlackCall]:
        """The messages Slack took (failed attempts left out)."""
        return [c for c in self.slack.calls_to("chat.postMessage") if not c.failed]


@pytest.fixture
async def deployment(app: App, slack: FakeSlack, clock: FakeClock) -> AsyncIterator[Deployment]:
    settings = Settings.model_validate(
        {
            "database_url": app.settings.database_url,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.api_url,
        }
    )
    app = replace(app, settings=settings)
    workspace = await app.admin.create("acme", plan=Plan.PRO, allocation=MONTHLY)
    await app.admin.link("acme", Platform.SLACK, TEAM)
    async with (
        serve(app, slack) as url,
        aiohttp.ClientSession() as http,
        slack_runtime(app) as runtime,
    ):
        bot = SlackBot(app=app, slack=slack, url=url, http=http, workspace=workspace)
        yield Deployment(bot=bot, dispatcher=alert_dispatcher(app, runtime.notifier), clock=clock)


def titles(calls: list[SlackCall]) -> list[str]:
    return [str(c.args["text"]).split(":", 2)[1].strip() for c in calls]


async def test_the_75_percent_alert_reaches_the_alerts_channel_once_after_slack_recovers(
    deployment: Deployment,
) -> None:
    await deployment.alerts_channel("C0ALERTS")
    await deployment.charge(6)
    await deployment.charge(6)
    await deployment.charge(3)  # 15 of 20: 75 %
    deployment.slack.fail("chat.postMessage", status=500)

    assert await deployment.deliver() == DeliveryReport(retried=1)
    assert await deployment.deliver() == DeliveryReport()  # not due again yet
    deployment.clock.advance(seconds=29)
    assert await deployment.deliver() == DeliveryReport()
    assert deployment.sent() == []
    deployment.clock.advance(seconds=2)  # past the first backoff (30 s)

    assert await deployment.deliver() == DeliveryReport(delivered=1)

    (alert,) = deployment.sent()
    assert alert.args["channel"] == "C0ALERTS"
    assert alert.token == TOKEN
    assert alert.args["text"].startswith("acme: 75% of monthly AI credits used:")
    assert "Credits renew on 2026-02-28." in alert.args["text"]
    assert "75% of monthly AI credits used" in str(alert.args["blocks"])
    assert await deployment.deliver() == DeliveryReport()
    deployment.clock.advance(hours=2)
    assert await deployment.deliver() == DeliveryReport()
    assert len(deployment.sent()) == 1
    assert len(deployment.slack.calls_to("chat.postMessage")) == 2  # one refused, one taken


async def test_a_rate_limited_alert_waits_as_long_as_slack_asks(deployment: Deployment) -> None:
    await deployment.alerts_channel("C0ALERTS")
    await deployment.charge(6)
    await deployment.charge(6)
    await deployment.charge(3)
    deployment.slack.fail("chat.postMessage", status=429, retry_after=120)

    assert await deployment.deliver() == DeliveryReport(retried=1)
    deployment.clock.advance(seconds=31)  # past our own backoff, not past Slack's Retry-After
    assert await deployment.deliver() == DeliveryReport()
    assert len(deployment.slack.calls_to("chat.postMessage")) == 1
    deployment.clock.advance(seconds=90)

    assert await deployment.deliver() == DeliveryReport(delivered=1)
    (alert,) = deployment.sent()
    assert alert.args["channel"] == "C0ALERTS"


async def test_75_90_and_100_percent_alerts_each_arrive_once_in_order(
    deployment: Deployment,
) -> None:
    await deployment.alerts_channel("C0ALERTS")
    for credits in (6, 6, 3):
        await deployment.charge(credits)
    await deployment.deliver()
    await deployment.charge(3)  # 18 of 20: 90 %
    await deployment.deliver()
    await deployment.charge(2)  # 20 of 20: 100 %, and no packs: paused
    assert await deployment.deliver() == DeliveryReport(delivered=1, merged=1)
    await deployment.deliver()

    sent = titles(deployment.sent())
    # The paused notice says the pool is used up: one urgent message, not two.
    assert sent == [
        "75% of monthly AI credits used",
        "90% of monthly AI credits used",
        "AI paused, no credits left",
    ]
    assert {c.args["channel"] for c in deployment.sent()} == {"C0ALERTS"}


async def test_without_an_alerts_channel_every_admin_gets_a_dm(deployment: Deployment) -> None:
    await deployment.bot.app.admin.add_admin("acme", Platform.SLACK, "U0BOB")
    for credits in (6, 6, 3):
        await deployment.charge(credits)

    assert await deployment.deliver() == DeliveryReport(delivered=1)

    opened = {c.args["users"] for c in deployment.slack.calls_to("conversations.open")}
    assert opened == {"U0ALICE", "U0BOB"}  # the Slack admin and the one the operator made
    dms = sorted(c.args["channel"] for c in deployment.sent())
    assert dms == ["DU0ALICE", "DU0BOB"]
    assert titles(deployment.sent()) == ["75% of monthly AI credits used"] * 2
    assert await deployment.deliver() == DeliveryReport()
    assert len(deployment.sent()) == 2


async def test_admins_beyond_the_first_page_of_users_get_their_dm(
    deployment: Deployment,
) -> None:
    deployment.slack.users["U0ALICE"].is_admin = False
    deployment.slack.add_user("U0DAVE", "dave", owner=True)

    def pages(call: SlackCall) -> dict[str, Any]:
        people = [
            {"id": u.id, "is_admin": u.is_admin, "is_owner": u.is_owner, "is_bot": u.is_bot}
            for u in deployment.slack.users.values()
        ]
        first = not call.args.get("cursor")
        return {
            "ok": True,
            "members": [p for p in people if (p["id"] != "U0DAVE") == first],
            "response_metadata": {"next_cursor": "page2" if first else ""},
        }

    deployment.slack.answer("users.list", pages)
    for credits in (6, 6, 3):
        await deployment.charge(credits)

    assert await deployment.deliver() == DeliveryReport(delivered=1)

    assert [c.args["channel"] for c in deployment.sent()] == ["DU0DAVE"]


async def test_an_alerts_channel_closed_to_the_bot_falls_back_to_admin_dms(
    deployment: Deployment,
) -> None:
    await deployment.alerts_channel("C0GONE")
    deployment.slack.fail("chat.postMessage", error="channel_not_found")
    for credits in (6, 6, 3):
        await deployment.charge(credits)

    assert await deployment.deliver() == DeliveryReport(delivered=1)

    assert [c.args["channel"] for c in deployment.sent()] == ["DU0ALICE"]


async def test_an_admin_who_cannot_get_a_dm_does_not_hold_up_the_others(
    deployment: Deployment,
) -> None:
    await deployment.bot.app.admin.add_admin("acme", Platform.SLACK, "U0GONE")
    for credits in (6, 6, 3):
        await deployment.charge(credits)

    def opening(call: SlackCall) -> dict[str, Any]:
        user = call.args["users"]
        if user == "U0GONE":
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "channel": {"id": f"D{user}"}}

    deployment.slack.answer("conversations.open", opening)

    assert await deployment.deliver() == DeliveryReport(delivered=1)

    assert [c.args["channel"] for c in deployment.sent()] == ["DU0ALICE"]
    assert await deployment.deliver() == DeliveryReport()


async def test_with_nobody_to_tell_the_alert_waits_for_someone(deployment: Deployment) -> None:
    """No alerts channel and no admin: the alert waits (not a failed attempt) until a channel
    or an admin is known in its cycle (tests/faults/test_alert_recipients_slack.py)."""
    deployment.slack.users["U0ALICE"].is_admin = False
    for credits in (6, 6, 3):
        await deployment.charge(credits)

    assert await deployment.deliver() == DeliveryReport(waiting=1)
    deployment.clock.advance(hours=2)
    assert await deployment.deliver() == DeliveryReport(waiting=1)
    assert deployment.slack.calls_to("chat.postMessage") == []


async def test_pack_purchases_and_renewals_are_announced_in_the_alerts_channel(
    deployment: Deployment,
) -> None:
    await deployment.alerts_channel("C0ALERTS")
    await deployment.bot.app.admin.buy_pack("acme", 100)

    assert await deployment.deliver() == DeliveryReport(delivered=1)
    deployment.clock.set(datetime(2026, 2, 28, 9, 5, tzinfo=UTC))  # the cycle renewed
    assert await record_renewal_notices(renewal_notices(deployment.bot.app)) == 1
    assert await deployment.deliver() == DeliveryReport(delivered=1)

    pack, renewal = deployment.sent()
    assert pack.args["text"].startswith("acme: credit pack added:")
    assert "120 credits are available now (20 monthly, 100 in packs)" in pack.args["text"]
    assert renewal.args["text"].startswith("acme: AI credits renewed:")
    assert "20 monthly credits available to acme" in renewal.args["text"]
    assert "100 credits in packs carry over" in renewal.args["text"]
    assert {pack.args["channel"], renewal.args["channel"]} == {"C0ALERTS"}


async def test_a_retry_after_a_partial_failure_tells_only_the_admins_not_yet_told(
    deployment: Deployment,
) -> None:
    await deployment.bot.app.admin.add_admin("acme", Platform.SLACK, "U0BOB")
    failed_once: list[str] = []

    def flaky(call: SlackCall) -> dict[str, Any]:
        user = str(call.args["users"])
        if user == "U0ALICE" and not failed_once:
            failed_once.append(user)
            return {"ok": False, "error": "internal_error"}
        return {"ok": True, "channel": {"id": f"D{user}"}}

    deployment.slack.answer("conversations.open", flaky)
    for credits in (6, 6, 3):
        await deployment.charge(credits)

    assert await deployment.deliver() == DeliveryReport(retried=1)
    assert [c.args["channel"] for c in deployment.sent()] == ["DU0BOB"]  # told before the failure
    deployment.clock.advance(seconds=31)
    assert await deployment.deliver() == DeliveryReport(delivered=1)

    assert sorted(c.args["channel"] for c in deployment.sent()) == ["DU0ALICE", "DU0BOB"]
