"""The SQL alert outbox on SQLite and PostgreSQL: what is due, leases raced, retries, dedupe,
who was told (shared by replicas), and alerts waiting for someone to tell."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from adapters.storage.alert_outbox import SqlAlertOutbox, list_alerts
from adapters.storage.channels import SqlChannelSettings
from adapters.storage.tables import alert_deliveries
from bot.app import App
from core.chat.alerts import ChatNotifier
from core.chat.people import Directory, People
from core.credits.alerts import AlertKind, UsageAlert, renewal_key, threshold_key
from core.credits.delivery import AlertDispatcher, DeliveryReport
from core.credits.notices import Notice
from core.credits.outbox import WAITING, DeliveryFailed, PendingAlert
from core.plans import Plan
from core.workspaces import Platform, Workspace
from tests.chat_fakes import FakeDirectory
from tests.fakes import FakeClock

WEEK = timedelta(days=7)
SLACK, DISCORD = Platform.SLACK, Platform.DISCORD


async def workspace(app: App, name: str, *links: tuple[Platform, str]) -> Workspace:
    created = await app.admin.create(name, plan=Plan.PRO)
    for platform, external_id in links:
        await app.admin.link(name, platform, external_id)
    return created


async def record(app: App, outbox: SqlAlertOutbox, w: Workspace, percent: int = 75) -> None:
    start = app.pool.context(w).cycle.start
    alert = UsageAlert(
        w.id,
        AlertKind.THRESHOLD,
        start,
        threshold_key(start, percent),
        percent,
        app.clock.now(),
        None,
    )
    assert await outbox.record(alert)


async def due(app: App, outbox: SqlAlertOutbox, platform: Platform = SLACK) -> list[PendingAlert]:
    return await outbox.due(platform, app.clock.now(), limit=50, max_age=WEEK)


def names(pending: list[PendingAlert], *workspaces: Workspace) -> list[tuple[str, int | None]]:
    by_id = {w.id: w.name for w in workspaces}
    return [(by_id[p.alert.workspace_id], p.alert.percent) for p in pending]


async def test_only_alerts_of_workspaces_linked_to_the_platform_are_due_oldest_first(
    app: App, clock: FakeClock
) -> None:
    outbox = SqlAlertOutbox(app.db)
    acme = await workspace(app, "acme", (SLACK, "T1"), (SLACK, "T2"))  # two teams, one alert
    beta = await workspace(app, "beta", (DISCORD, "G1"))
    solo = await workspace(app, "solo")
    for w in (acme, beta, solo):
        await record(app, outbox, w, 75)
    clock.advance(minutes=1)
    await record(app, outbox, acme, 90)

    slack = await due(app, outbox, SLACK)
    assert names(slack, acme, beta, solo) == [("acme", 75), ("acme", 90)]
    assert [p.attempts for p in slack] == [0, 0]
    assert names(await due(app, outbox, DISCORD), acme, beta, solo) == [("beta", 75)]
    limited = await outbox.due(SLACK, clock.now(), limit=1, max_age=WEEK)
    assert names(limited, acme) == [("acme", 75)]


async def test_exactly_one_of_many_concurrent_leases_wins(app: App, clock: FakeClock) -> None:
    outbox = SqlAlertOutbox(app.db)
    acme = await workspace(app, "acme", (SLACK, "T1"))
    await record(app, outbox, acme)
    [pending] = await due(app, outbox)
    now = clock.now()

    won = await asyncio.gather(
        *(outbox.lease(pending.id, SLACK, now, now + timedelta(minutes=2)) for _ in range(20))
    )
    assert won.count(True) == 1
    assert await due(app, outbox) == []  # leased: not due while the lease runs
    clock.advance(minutes=2, seconds=1)
    assert [p.id for p in await due(app, outbox)] == [pending.id]  # the sender crashed
    assert await outbox.lease(pending.id, SLACK, clock.now(), clock.now() + timedelta(minutes=2))


async def test_delivered_is_never_due_again_on_that_platform_but_still_on_another(
    app: App, clock: FakeClock
) -> None:
    outbox = SqlAlertOutbox(app.db)
    acme = await workspace(app, "acme", (SLACK, "T1"), (DISCORD, "G1"))
    await record(app, outbox, acme)
    [pending] = await due(app, outbox, SLACK)
    now = clock.now()
    assert await outbox.lease(pending.id, SLACK, now, now + timedelta(minutes=2))
    await outbox.delivered(pending.id, SLACK, now)

    clock.advance(days=1)
    assert await due(app, outbox, SLACK) == []
    assert not await outbox.lease(pending.id, SLACK, clock.now(), clock.now() + WEEK)
    assert [p.id for p in await due(app, outbox, DISCORD)] == [pending.id]
    [alert] = await list_alerts(app.db, acme.id)
    assert alert.delivered_at == now  # first delivered on any platform


async def test_a_failed_delivery_is_due_again_only_at_its_retry_time(
    app: App, clock: FakeClock
) -> None:
    outbox = SqlAlertOutbox(app.db)
    acme = await workspace(app, "acme", (SLACK, "T1"))
    await record(app, outbox, acme)
    [pending] = await due(app, outbox)
    now = clock.now()
    retry_at = now + timedelta(seconds=30)
    assert await outbox.lease(pending.id, SLACK, now, now + timedelta(minutes=2))
    await outbox.failed(pending.id, SLACK, now, error="slack is down", retry_at=retry_at)

    clock.advance(seconds=29)
    assert await due(app, outbox) == []
    assert not await outbox.lease(pending.id, SLACK, clock.now(), clock.now() + WEEK)
    clock.advance(seconds=1)
    [again] = await due(app, outbox)
    assert (again.id, again.attempts) == (pending.id, 1)
    assert await outbox.lease(pending.id, SLACK, clock.now(), clock.now() + timedelta(minutes=2))
    await outbox.failed(
        pending.id, SLACK, clock.now(), error="undeliverable: nobody", retry_at=None
    )
    clock.advance(days=2)
    assert await due(app, outbox) == []
    async with app.db.read() as conn:
        row = (await conn.execute(select(alert_deliveries))).one()
    assert (row.attempts, row.last_error, row.lease_until) == (2, "undeliverable: nobody", None)
    assert row.delivered_at is not None  # closed: given up


async def test_alerts_older_than_max_age_are_not_due(app: App, clock: FakeClock) -> None:
    outbox = SqlAlertOutbox(app.db)
    acme = await workspace(app, "acme", (SLACK, "T1"))
    await record(app, outbox, acme)
    clock.advance(days=7)
    assert len(await due(app, outbox)) == 1  # exactly max_age old is still due
    clock.advance(seconds=1)
    assert await due(app, outbox) == []


async def test_record_stores_an_alert_once_per_dedupe_key(app: App, clock: FakeClock) -> None:
    outbox = SqlAlertOutbox(app.db)
    acme = await workspace(app, "acme", (SLACK, "T1"))
    beta = await workspace(app, "beta", (SLACK, "T2"))
    start = date(2026, 2, 28)

    def renewed(w: Workspace) -> UsageAlert:
        return UsageAlert(
            w.id, AlertKind.RENEWED, start, renewal_key(start), None, clock.now(), None
        )

    results = await asyncio.gather(*(outbox.record(renewed(acme)) for _ in range(10)))
    assert results.count(True) == 1
    assert await outbox.record(renewed(beta))  # the key is unique per workspace only
    [alert] = await list_alerts(app.db, acme.id)
    assert (alert.kind, alert.cycle_start, alert.dedupe_key) == (
        AlertKind.RENEWED,
        start,
        "renewed:2026-02-28",
    )


@dataclass
class Sender:
    """A Slack alert sender whose `failing` recipients fail once each."""

    admins: set[str]
    sent: list[tuple[str, str]] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)

    @property
    def platform(self) -> Platform:
        return SLACK

    async def directory(self, team: str) -> Directory | None:
        return FakeDirectory(platform_admin_ids=self.admins)

    async def to_channel(self, team: str, channel: str, notice: Notice) -> None:
        await self._send(team, channel)

    async def to_user(self, team: str, user: str, notice: Notice) -> None:
        await self._send(team, user)

    async def _send(self, team: str, to: str) -> None:
        if to in self.failing:
            self.failing.discard(to)
            raise DeliveryFailed("slack is down")
        self.sent.append((team, to))


def replica(app: App, sender: Sender) -> AlertDispatcher:
    """One replica of the deployment: its own outbox object, notifier and memory."""
    told: dict[str, set[str]] = {}
    notifier = ChatNotifier(
        sender=sender,
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


async def test_a_retry_on_another_replica_tells_only_those_not_yet_told(
    app: App, clock: FakeClock
) -> None:
    acme = await workspace(app, "acme", (SLACK, "T1"), (SLACK, "T2"))
    await SqlChannelSettings(app.db).set_alerts_channel(SLACK, "T1", "C0ALERTS")
    await record(app, SqlAlertOutbox(app.db), acme)
    sender = Sender(admins={"U1", "U2", "U3"}, failing={"U2"})
    first, second = replica(app, sender), replica(app, sender)

    assert await first.deliver_due() == DeliveryReport(retried=1)
    [pending] = await SqlAlertOutbox(app.db).due(
        SLACK, clock.now() + timedelta(hours=1), limit=5, max_age=WEEK
    )
    assert await SqlAlertOutbox(app.db).told(pending.id, SLACK) == {"T1:C0ALERTS", "T2:dm:U1"}
    clock.advance(seconds=30)
    assert await second.deliver_due() == DeliveryReport(delivered=1)
    assert sender.sent == [("T1", "C0ALERTS"), ("T2", "U1"), ("T2", "U2"), ("T2", "U3")]
    clock.advance(hours=1)
    assert await first.deliver_due() == DeliveryReport()
    assert await second.deliver_due() == DeliveryReport()
    assert len(sender.sent) == 4


async def test_concurrent_replicas_tell_each_recipient_once(app: App, clock: FakeClock) -> None:
    acme = await workspace(app, "acme", (SLACK, "T1"))
    for percent in (75, 90):
        await record(app, SqlAlertOutbox(app.db), acme, percent)
    sender = Sender(admins={"U1", "U2"}, failing={"U1"})
    replicas = [replica(app, sender) for _ in range(4)]
    for _ in range(3):
        await asyncio.gather(*(r.deliver_due() for r in replicas))
        clock.advance(minutes=5)
    assert sorted(sender.sent) == [("T1", "U1"), ("T1", "U1"), ("T1", "U2"), ("T1", "U2")]
    async with app.db.read() as conn:
        rows = (await conn.execute(select(alert_deliveries))).all()
    assert [r.delivered_at is not None for r in rows] == [True, True]


async def test_an_alert_nobody_could_be_told_is_delivered_once_a_channel_is_set(
    app: App, clock: FakeClock
) -> None:
    acme = await workspace(app, "acme", (SLACK, "T1"))
    await record(app, SqlAlertOutbox(app.db), acme)
    sender = Sender(admins=set())
    first, second = replica(app, sender), replica(app, sender)

    assert await first.deliver_due() == DeliveryReport(waiting=1)
    assert await second.deliver_due() == DeliveryReport()  # looked at again in 5 minutes
    async with app.db.read() as conn:
        row = (await conn.execute(select(alert_deliveries))).one()
    assert row.last_error.startswith(WAITING)
    assert (row.attempts, row.delivered_at) == (0, None)
    clock.advance(days=8)  # older than `max_age`, still this cycle
    assert await second.deliver_due() == DeliveryReport(waiting=1)
    await SqlChannelSettings(app.db).set_alerts_channel(SLACK, "T1", "C0ALERTS")
    clock.advance(minutes=5)
    assert await first.deliver_due() == DeliveryReport(delivered=1)
    assert sender.sent == [("T1", "C0ALERTS")]
    clock.advance(hours=1)
    assert await second.deliver_due() == DeliveryReport()
