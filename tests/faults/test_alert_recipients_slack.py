"""Usage alerts through the real Slack sender on two "replicas" (two dispatchers, one
database): Slack failing half-way through the admins' DMs (500s, a 429 with Retry-After), the
retry on the other replica tells only the admins not yet told; an alert nobody could be told
is delivered once an alerts channel is set, in the same cycle."""

from __future__ import annotations

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.alerts import SlackAlertSender
from adapters.slack.app import web_client
from adapters.storage.alert_outbox import SqlAlertOutbox
from adapters.storage.channels import SqlChannelSettings
from bot.app import App
from core.chat.alerts import ChatNotifier
from core.chat.people import People
from core.credits.delivery import AlertDispatcher, DeliveryReport
from core.credits.pricing import InteractionType, TokenUsage
from core.plans import Plan
from core.workspaces import Platform, Workspace
from tests.adapters.slack.conftest import TEAM, slack_config
from tests.adapters.slack.conftest import slack as slack  # noqa: PLC0414  (the fixture)
from tests.adapters.slack.fake_slack import FakeSlack
from tests.faults.ledger import assert_ledger_clean

MONTHLY = 20


def replica(app: App, slack: FakeSlack) -> AlertDispatcher:
    """One replica's alert job: its own client, notifier and memory; the shared database."""
    client = web_client(slack_config(slack))

    async def client_for(_team: str) -> AsyncWebClient:
        return client

    told: dict[str, set[str]] = {}
    notifier = ChatNotifier(
        sender=SlackAlertSender(client_for=client_for),
        settings=SqlChannelSettings(app.db),
        people=People(workspaces=app.workspace_store),
        told=told,
    )
    return AlertDispatcher(
        outbox=SqlAlertOutbox(app.db),
        workspaces=app.workspace_store,
        pool=app.pool,
        notifier=notifier,
        clock=app.clock,
        told=told,
    )


async def workspace(app: App) -> Workspace:
    created = await app.admin.create("acme", plan=Plan.PRO, allocation=MONTHLY)
    await app.admin.link("acme", Platform.SLACK, TEAM)
    return created


async def use(app: App, w: Workspace, credits: int, key: str) -> None:
    await app.pool.reserve(w, key=key, member=None)
    usage = TokenUsage(4000 * credits, 0)
    await app.pool.settle(w, key=key, usage=usage, interaction_type=InteractionType.DATA_ANALYSIS)


def dms(slack: FakeSlack) -> list[str]:
    """Who got a DM that Slack took, in order."""
    return [str(c.args["channel"]) for c in slack.calls_to("chat.postMessage") if not c.failed]


@pytest.mark.parametrize(
    ("status", "retry_after"), [(500, None), (429, 2)], ids=["500s", "429 Retry-After"]
)
async def test_a_retry_on_the_other_replica_tells_only_the_admins_not_yet_told(
    app: App, slack: FakeSlack, status: int, retry_after: int | None
) -> None:
    slack.add_user("U0DAVE", "dave", admin=True)
    slack.add_user("U0ERIN", "erin", owner=True)
    acme = await workspace(app)
    for n, credits in enumerate((6, 6, 3)):  # 15 of 20: the 75 % alert
        await use(app, acme, credits, f"ev-{n}")
    first, second = replica(app, slack), replica(app, slack)
    # The first DM goes through; the second fails past the client's own two retries.
    slack.fail("chat.postMessage", status=status, times=3, after=1, retry_after=retry_after)

    assert await first.deliver_due() == DeliveryReport(retried=1)
    told_first = dms(slack)
    assert len(told_first) == 1
    assert await second.deliver_due() == DeliveryReport()  # backoff: not due yet
    app.clock.advance(seconds=31)  # type: ignore[attr-defined]
    assert await second.deliver_due() == DeliveryReport(delivered=1)

    assert dms(slack)[0] == told_first[0]
    assert sorted(dms(slack)) == sorted(set(dms(slack)))  # nobody told twice
    assert len(dms(slack)) == 3  # alice, dave and erin, the workspace's Slack admins
    app.clock.advance(hours=1)  # type: ignore[attr-defined]
    assert await first.deliver_due() == DeliveryReport()
    assert await second.deliver_due() == DeliveryReport()
    assert len(dms(slack)) == 3
    await assert_ledger_clean(app)


async def test_an_alert_with_nobody_to_tell_is_delivered_once_a_channel_is_set(
    app: App, slack: FakeSlack
) -> None:
    slack.users["U0ALICE"].is_admin = False  # no Slack admin known, no alerts channel
    acme = await workspace(app)
    for n, credits in enumerate((6, 6, 3)):
        await use(app, acme, credits, f"ev-{n}")
    first, second = replica(app, slack), replica(app, slack)

    assert await first.deliver_due() == DeliveryReport(waiting=1)
    app.clock.advance(days=3)  # type: ignore[attr-defined]
    assert await second.deliver_due() == DeliveryReport(waiting=1)
    await SqlChannelSettings(app.db).set_alerts_channel(Platform.SLACK, TEAM, "C0ALERTS")
    app.clock.advance(minutes=5)  # type: ignore[attr-defined]
    assert await first.deliver_due() == DeliveryReport(delivered=1)
    assert dms(slack) == ["C0ALERTS"]
    [posted] = [c for c in slack.calls_to("chat.postMessage") if not c.failed]
    assert str(posted.args["text"]).startswith("acme: 75% of monthly AI credits used")
    app.clock.advance(days=1)  # type: ignore[attr-defined]
    assert await second.deliver_due() == DeliveryReport()
    await assert_ledger_clean(app)
