"""Delivering stored alerts to admins: once, with backoff, giving up, and renewal notices."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Set
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from core.admin import WorkspaceAdmin
from core.chat.alerts import ChatNotifier
from core.chat.people import Directory, People
from core.credits.alerts import AlertKind, UsageAlert, threshold_key
from core.credits.delivery import AlertDispatcher, DeliveryReport, RenewalNotices
from core.credits.notices import Notice
from core.credits.outbox import (
    UNDELIVERABLE,
    WAITING,
    DeliveryFailed,
    Elsewhere,
    NoRecipient,
    PendingAlert,
)
from core.credits.pool import CreditPool
from core.credits.pricing import InteractionType, PricingRule, TokenUsage
from core.plans import Plan
from core.workspaces import Mode, Platform, Workspace
from tests.alert_fakes import FakeNotifier, InMemoryAlertOutbox
from tests.chat_fakes import FakeDirectory, InMemoryChannelSettings
from tests.fakes import FakeClock, InMemoryStore

SIX = TokenUsage(24_000, 0)  # 6 credits


class RecipientsOutbox(InMemoryAlertOutbox):
    """The in-memory outbox that also waits for recipients and records who was told."""

    def __init__(self, store: InMemoryStore) -> None:
        super().__init__(store)
        self.recipients: dict[tuple[int, Platform], set[str]] = {}

    async def due(
        self, platform: Platform, now: datetime, *, limit: int, max_age: timedelta
    ) -> list[PendingAlert]:
        waiting = {
            alert_id
            for (alert_id, p), d in self.deliveries.items()
            if p is platform and (d.last_error or "").startswith(WAITING)
        }
        found = await super().due(platform, now, limit=limit, max_age=max_age)
        older = await super().due(platform, now, limit=limit, max_age=timedelta(days=3650))
        return [p for p in older if p in found or p.id in waiting][:limit]

    async def waiting(
        self, alert_id: int, platform: Platform, now: datetime, *, error: str, retry_at: datetime
    ) -> None:
        d = self.deliveries[(alert_id, platform)]
        d.lease_until, d.last_error, d.next_attempt_at = None, error, retry_at

    async def told(self, alert_id: int, platform: Platform) -> frozenset[str]:
        return frozenset(self.recipients.get((alert_id, platform), set()))

    async def mark_told(
        self, alert_id: int, platform: Platform, recipients: Set[str], now: datetime
    ) -> None:
        self.recipients.setdefault((alert_id, platform), set()).update(recipients)


@dataclass
class Setup:
    store: InMemoryStore
    outbox: RecipientsOutbox
    clock: FakeClock
    admin: WorkspaceAdmin
    pool: CreditPool
    notifier: FakeNotifier

    def dispatcher(self, **options: Any) -> AlertDispatcher:
        return AlertDispatcher(
            outbox=self.outbox,
            workspaces=self.store,
            pool=self.pool,
            notifier=self.notifier,
            clock=self.clock,
            **options,
        )

    def renewals(self) -> RenewalNotices:
        return RenewalNotices(outbox=self.outbox, workspaces=self.store, clock=self.clock)

    async def workspace(
        self,
        name: str,
        *,
        link: str | None = "T",
        anchor: date | None = None,
        mode: Mode = Mode.CLOUD,
    ) -> Workspace:
        """A Pro workspace of 8 monthly credits, linked to a Slack team unless `link` is None."""
        workspace = await self.admin.create(
            name, plan=Plan.PRO, allocation=8, anchor=anchor, mode=mode
        )
        if link:
            await self.admin.link(name, Platform.SLACK, f"{link}-{name}")
        return workspace

    async def threshold(self, workspace: Workspace, percent: int = 75) -> int:
        """Record a threshold alert of the current cycle; returns its id."""
        start = self.pool.context(workspace).cycle.start
        key = threshold_key(start, percent)
        alert = UsageAlert(
            workspace.id, AlertKind.THRESHOLD, start, key, percent, self.clock.now(), None
        )
        assert await self.outbox.record(alert)
        return len(self.store.outbox)


@pytest.fixture
def s(clock: FakeClock) -> Setup:
    store = InMemoryStore()
    return Setup(
        store=store,
        outbox=RecipientsOutbox(store),
        clock=clock,
        admin=WorkspaceAdmin(workspaces=store, credits=store, clock=clock),
        pool=CreditPool(store=store, clock=clock, pricing=PricingRule()),
        notifier=FakeNotifier(Platform.SLACK),
    )


class HangingNotifier(FakeNotifier):
    async def deliver(self, workspace: Workspace, notice: Notice) -> None:
        await asyncio.Event().wait()  # a platform that never answers


def texts(notifier: FakeNotifier) -> list[str]:
    return [f"{name}: {notice.text}" for name, notice in notifier.sent]


async def test_a_charge_crossing_75_percent_reaches_the_admins_once(s: Setup) -> None:
    acme = await s.workspace("acme")
    await s.pool.reserve(acme, key="ev1", member=None)
    await s.pool.settle(
        acme, key="ev1", usage=SIX, interaction_type=InteractionType.SIMPLE_QUESTION
    )
    dispatcher = s.dispatcher()

    assert await dispatcher.deliver_due() == DeliveryReport(delivered=1)
    assert texts(s.notifier) == [
        "acme: SetGet AI has used 75% of acme's 8 monthly credits (2 left). "
        "Credits renew on 2026-02-28."
    ]
    s.clock.advance(hours=1)
    assert await dispatcher.deliver_due() == DeliveryReport()
    assert s.notifier.tries == 1


async def test_emptying_the_pool_sends_the_paused_notice_alone(s: Setup) -> None:
    """The 100 % alert and the paused alert of one charge would say the same thing twice."""
    acme = await s.workspace("acme")
    for n, usage in enumerate((SIX, TokenUsage(8_000, 0))):  # 6 + 2 = 8 of 8, no packs
        await s.pool.reserve(acme, key=f"ev{n}", member=None)
        await s.pool.settle(
            acme, key=f"ev{n}", usage=usage, interaction_type=InteractionType.SIMPLE_QUESTION
        )
    dispatcher = s.dispatcher()

    assert await dispatcher.deliver_due() == DeliveryReport(delivered=3, merged=1)
    titles = [notice.title for _, notice in s.notifier.sent]
    assert titles == [
        "acme: 75% of monthly AI credits used",
        "acme: 90% of monthly AI credits used",
        "acme: AI paused, no credits left",
    ]
    assert "used all its AI credits" in s.notifier.sent[-1][1].text
    s.clock.advance(hours=2)
    assert await dispatcher.deliver_due() == DeliveryReport()  # the 100 % one is settled too


async def test_only_workspaces_linked_to_the_platform_are_told(s: Setup) -> None:
    await s.threshold(await s.workspace("acme"))
    await s.threshold(await s.workspace("solo", link=None))
    discord = FakeNotifier(Platform.DISCORD)

    assert await s.dispatcher().deliver_due() == DeliveryReport(delivered=1)
    assert [name for name, _ in s.notifier.sent] == ["acme"]
    s.notifier = discord
    assert await s.dispatcher().deliver_due() == DeliveryReport()
    await s.admin.link("solo", Platform.DISCORD, "G1")
    assert await s.dispatcher().deliver_due() == DeliveryReport(delivered=1)
    assert [name for name, _ in discord.sent] == ["solo"]


async def test_a_failing_platform_is_retried_with_growing_backoff_honouring_retry_after(
    s: Setup,
) -> None:
    alert_id = await s.threshold(await s.workspace("acme"))
    failures = [DeliveryFailed("slack is down"), DeliveryFailed("rate limited", retry_after=300)]

    def flaky(_w: Workspace, _n: Notice) -> None:
        if failures:
            raise failures.pop(0)

    s.notifier.script = flaky
    dispatcher = s.dispatcher()
    start = s.clock.now()

    assert await dispatcher.deliver_due() == DeliveryReport(retried=1)
    delivery = s.outbox.deliveries[(alert_id, Platform.SLACK)]
    assert delivery.next_attempt_at == start + timedelta(seconds=30)  # base delay
    assert delivery.last_error == "slack is down"
    s.clock.advance(seconds=29)
    assert await dispatcher.deliver_due() == DeliveryReport()
    s.clock.advance(seconds=1)
    assert await dispatcher.deliver_due() == DeliveryReport(retried=1)
    # the second delay would be 60 s, but the platform asked for 300 s
    assert delivery.next_attempt_at == s.clock.now() + timedelta(seconds=300)
    s.clock.advance(seconds=299)
    assert await dispatcher.deliver_due() == DeliveryReport()
    s.clock.advance(seconds=1)
    assert await dispatcher.deliver_due() == DeliveryReport(delivered=1)
    assert (s.notifier.tries, len(s.notifier.sent), delivery.attempts) == (3, 1, 2)


async def test_backoff_doubles_up_to_the_maximum_then_delivery_is_given_up(s: Setup) -> None:
    alert_id = await s.threshold(await s.workspace("acme"))

    def down(_w: Workspace, _n: Notice) -> None:
        raise DeliveryFailed("slack is down")

    s.notifier.script = down
    dispatcher = s.dispatcher(max_delay=timedelta(minutes=2), max_attempts=5)
    delivery = s.outbox.deliveries
    delays = []
    for _ in range(4):
        assert await dispatcher.deliver_due() == DeliveryReport(retried=1)
        retry_at = delivery[(alert_id, Platform.SLACK)].next_attempt_at
        assert retry_at is not None
        delays.append((retry_at - s.clock.now()).total_seconds())
        s.clock.set(retry_at)
    assert delays == [30, 60, 120, 120]
    assert await dispatcher.deliver_due() == DeliveryReport(given_up=1)
    last = delivery[(alert_id, Platform.SLACK)]
    assert last.last_error == UNDELIVERABLE + "slack is down"
    s.clock.advance(days=1)
    assert await dispatcher.deliver_due() == DeliveryReport()
    assert s.notifier.tries == 5


async def test_nobody_to_tell_waits_uncounted_and_is_delivered_once_someone_is_known(
    s: Setup,
) -> None:
    alert_id = await s.threshold(await s.workspace("acme"))
    admins: list[str] = []

    def to_admins(_w: Workspace, _n: Notice) -> None:
        if not admins:
            raise NoRecipient("no alerts channel and no admin known in T-acme")

    s.notifier.script = to_admins
    dispatcher = s.dispatcher(recheck=timedelta(minutes=5))
    for _ in range(20):  # more looks than `max_attempts`: waiting is no failed attempt
        assert await dispatcher.deliver_due() == DeliveryReport(waiting=1)
        assert await dispatcher.deliver_due() == DeliveryReport()  # not before the recheck
        s.clock.advance(minutes=5)
    delivery = s.outbox.deliveries[(alert_id, Platform.SLACK)]
    assert delivery.last_error == WAITING + "no alerts channel and no admin known in T-acme"
    assert (delivery.attempts, delivery.delivered_at) == (0, None)
    s.clock.advance(days=8)  # past `max_age`, still in the alert's cycle
    admins.append("U0ADMIN")  # an admin became known (or an alerts channel was set)
    assert await dispatcher.deliver_due() == DeliveryReport(delivered=1)
    assert len(s.notifier.sent) == 1
    s.clock.advance(hours=1)
    assert await dispatcher.deliver_due() == DeliveryReport()


async def test_an_alert_still_waiting_when_its_cycle_ends_is_given_up(s: Setup) -> None:
    alert_id = await s.threshold(await s.workspace("acme"))

    def nobody(_w: Workspace, _n: Notice) -> None:
        raise NoRecipient("no alerts channel and no admin known in T-acme")

    s.notifier.script = nobody
    dispatcher = s.dispatcher()
    assert await dispatcher.deliver_due() == DeliveryReport(waiting=1)
    s.clock.advance(days=32)  # the cycle renewed: its 75 % notice would only mislead now
    assert await dispatcher.deliver_due() == DeliveryReport(given_up=1)
    error = s.outbox.deliveries[(alert_id, Platform.SLACK)].last_error
    assert error == UNDELIVERABLE + "no alerts channel and no admin known in T-acme"
    s.clock.advance(hours=2)
    assert await dispatcher.deliver_due() == DeliveryReport()


@dataclass
class Recipients:
    """A Slack sender whose listed recipients fail (once each) or hang."""

    sent: list[str] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)
    hanging: set[str] = field(default_factory=set)
    directory_of: FakeDirectory = field(
        default_factory=lambda: FakeDirectory(platform_admin_ids={"U1", "U2", "U3"})
    )

    @property
    def platform(self) -> Platform:
        return Platform.SLACK

    async def directory(self, team: str) -> Directory | None:
        return self.directory_of

    async def to_channel(self, team: str, channel: str, notice: Notice) -> None:
        await self._send(channel)

    async def to_user(self, team: str, user: str, notice: Notice) -> None:
        await self._send(user)

    async def _send(self, to: str) -> None:
        if to in self.hanging:
            await asyncio.Event().wait()
        if to in self.failing:
            self.failing.discard(to)
            raise DeliveryFailed("slack is down", retry_after=1.0)
        self.sent.append(to)


def replica(s: Setup, sender: Recipients) -> AlertDispatcher:
    """One replica: its own notifier and memory, the shared outbox."""
    told: dict[str, set[str]] = {}
    chat = ChatNotifier(
        sender=sender,
        settings=InMemoryChannelSettings(s.store.links),
        people=People(workspaces=s.store),
        told=told,
    )
    return AlertDispatcher(
        outbox=s.outbox,
        workspaces=s.store,
        pool=s.pool,
        notifier=chat,
        clock=s.clock,
        told=told,
        lease=timedelta(seconds=2),
    )


async def test_a_retry_on_another_replica_tells_only_the_admins_not_yet_told(s: Setup) -> None:
    alert_id = await s.threshold(await s.workspace("acme"))
    sender = Recipients(failing={"U2"})
    first, second = replica(s, sender), replica(s, sender)

    assert await first.deliver_due() == DeliveryReport(retried=1)  # U1 told, U2 failed
    assert s.outbox.recipients[(alert_id, Platform.SLACK)] == {"T-acme:dm:U1"}
    s.clock.advance(seconds=30)
    assert await second.deliver_due() == DeliveryReport(delivered=1)
    assert sender.sent == ["U1", "U2", "U3"]  # each admin told once, U1 not again
    assert s.outbox.recipients[(alert_id, Platform.SLACK)] == {
        "T-acme:dm:U1",
        "T-acme:dm:U2",
        "T-acme:dm:U3",
    }


@dataclass
class ShardSender(Recipients):
    """A sender in one of two processes that each run some of a bot's shards."""

    serves: bool = True

    async def directory(self, team: str) -> Directory | None:
        if not self.serves:
            raise Elsewhere(f"{team} is on a shard another process runs")
        return self.directory_of


async def test_an_alert_for_a_team_another_process_serves_is_left_to_it_uncounted(
    s: Setup,
) -> None:
    alert_id = await s.threshold(await s.workspace("acme"))
    sent: list[str] = []
    other, own = ShardSender(sent=sent, serves=False), ShardSender(sent=sent)
    elsewhere, here = replica(s, other), replica(s, own)

    for _ in range(10):  # more looks than `max_attempts`: none is a failed attempt
        assert await elsewhere.deliver_due() == DeliveryReport(skipped=1)
        s.clock.advance(seconds=1)
    delivery = s.outbox.deliveries[(alert_id, Platform.SLACK)]
    assert (delivery.attempts, delivery.delivered_at, sent) == (0, None, [])
    assert await here.deliver_due() == DeliveryReport(delivered=1)
    assert sent == ["U1", "U2", "U3"]


async def test_a_send_cut_off_mid_way_records_who_was_told_before_it(s: Setup) -> None:
    alert_id = await s.threshold(await s.workspace("acme"))
    sender = Recipients(hanging={"U2"})
    first = replica(s, sender)

    assert await first.deliver_due() == DeliveryReport(retried=1)  # cut off at half the lease
    assert s.outbox.recipients[(alert_id, Platform.SLACK)] == {"T-acme:dm:U1"}
    sender.hanging.clear()
    s.clock.advance(seconds=30)
    assert await replica(s, sender).deliver_due() == DeliveryReport(delivered=1)
    assert sender.sent == ["U1", "U2", "U3"]


async def test_one_failing_alert_never_stops_the_others(
    s: Setup, caplog: pytest.LogCaptureFixture
) -> None:
    for name in ("acme", "beta", "gamma"):
        await s.threshold(await s.workspace(name))

    def picky(workspace: Workspace, _n: Notice) -> None:
        if workspace.name == "acme":
            raise RuntimeError("POST https://hooks.example/T000/secret-token failed")
        if workspace.name == "beta":
            raise DeliveryFailed("channel archived")

    s.notifier.script = picky
    with caplog.at_level(logging.INFO):
        report = await s.dispatcher().deliver_due()
    assert report == DeliveryReport(delivered=1, retried=2)
    assert [name for name, _ in s.notifier.sent] == ["gamma"]
    assert s.outbox.deliveries[(1, Platform.SLACK)].last_error == "unexpected RuntimeError"
    assert "secret-token" not in caplog.text  # an unknown error's message may hold a URL
    assert "alert 2 (workspace 2, threshold) not delivered to slack" in caplog.text


async def test_a_send_that_hangs_is_cut_off_before_the_lease_ends(s: Setup) -> None:
    alert_id = await s.threshold(await s.workspace("acme"))
    s.notifier = HangingNotifier()
    dispatcher = s.dispatcher(lease=timedelta(milliseconds=100))
    assert await dispatcher.deliver_due() == DeliveryReport(retried=1)
    delivery = s.outbox.deliveries[(alert_id, Platform.SLACK)]
    assert delivery.last_error == "the platform did not answer in time"
    assert delivery.lease_until is None


class InStepOutbox(InMemoryAlertOutbox):
    """Holds each dispatcher after it read what is due until all have: they race the leases."""

    def __init__(self, store: InMemoryStore, barrier: asyncio.Barrier) -> None:
        super().__init__(store)
        self._barrier = barrier

    async def due(
        self, platform: Platform, now: datetime, *, limit: int, max_age: timedelta
    ) -> list[PendingAlert]:
        found = await super().due(platform, now, limit=limit, max_age=max_age)
        await self._barrier.wait()
        return found


async def test_dispatchers_racing_for_the_same_alerts_send_each_once(s: Setup) -> None:
    for name in ("acme", "beta", "gamma"):
        await s.threshold(await s.workspace(name))
    s.outbox = InStepOutbox(s.store, asyncio.Barrier(4))
    reports = await asyncio.gather(*(s.dispatcher().deliver_due() for _ in range(4)))
    assert sum(r.delivered for r in reports) == 3
    assert sum(r.skipped for r in reports) == 9  # every dispatcher saw all three due
    assert sorted(name for name, _ in s.notifier.sent) == ["acme", "beta", "gamma"]


async def test_alerts_older_than_max_age_are_no_longer_sent(s: Setup) -> None:
    await s.threshold(await s.workspace("acme"))
    s.clock.advance(days=2, seconds=1)
    assert await s.dispatcher(max_age=timedelta(days=2)).deliver_due() == DeliveryReport()
    assert await s.dispatcher(max_age=timedelta(days=3)).deliver_due() == DeliveryReport(
        delivered=1
    )


async def test_a_renewal_is_noticed_once_per_cycle_but_not_for_the_first_cycle(s: Setup) -> None:
    await s.workspace("acme")  # anchor 2026-01-31: the first cycle starts with it
    await s.workspace("early", anchor=date(2026, 1, 25))  # created mid-cycle
    await s.workspace("own", mode=Mode.SELF_HOSTED)  # no credits, nothing renews
    renewals = s.renewals()
    assert await renewals.record() == 0

    s.clock.set(datetime(2026, 2, 25, 0, 5, tzinfo=UTC))
    assert await renewals.record() == 1  # early's second cycle
    s.clock.set(datetime(2026, 2, 28, 0, 5, tzinfo=UTC))
    assert await renewals.record() == 1  # acme's second cycle
    assert await renewals.record() == 0
    assert await s.renewals().record() == 0  # another replica finds it recorded
    renewed = [a for a in s.store.outbox.values() if a.kind is AlertKind.RENEWED]
    assert [(a.workspace_id, a.cycle_start) for a in renewed] == [
        (2, date(2026, 2, 25)),
        (1, date(2026, 2, 28)),
    ]

    assert await s.dispatcher().deliver_due() == DeliveryReport(delivered=2)
    assert texts(s.notifier) == [
        "early: Credits renewed: 8 monthly credits available to early until the next renewal "
        "on 2026-03-25.",
        "acme: Credits renewed: 8 monthly credits available to acme until the next renewal on "
        "2026-03-31.",
    ]
    s.clock.set(datetime(2026, 3, 31, 0, 5, tzinfo=UTC))
    assert await renewals.record() == 2  # early's March cycle (03-25) and acme's (03-31)
