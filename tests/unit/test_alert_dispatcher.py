"""Delivering stored alerts to admins: once, with backoff, giving up, and renewal notices."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from core.admin import WorkspaceAdmin
from core.credits.alerts import AlertKind, UsageAlert, threshold_key
from core.credits.delivery import (
    UNDELIVERABLE,
    AlertDispatcher,
    DeliveryFailed,
    DeliveryReport,
    NoRecipient,
    PendingAlert,
    RenewalNotices,
)
from core.credits.notices import Notice
from core.credits.pool import CreditPool
from core.credits.pricing import InteractionType, PricingRule, TokenUsage
from core.plans import Plan
from core.workspaces import Mode, Platform, Workspace
from tests.alert_fakes import FakeNotifier, InMemoryAlertOutbox
from tests.fakes import FakeClock, InMemoryStore

SIX = TokenUsage(24_000, 0)  # 6 credits


@dataclass
class Setup:
    store: InMemoryStore
    outbox: InMemoryAlertOutbox
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
        outbox=InMemoryAlertOutbox(store),
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


async def test_nobody_to_tell_is_given_up_at_once(s: Setup) -> None:
    alert_id = await s.threshold(await s.workspace("acme"))

    def nobody(_w: Workspace, _n: Notice) -> None:
        raise NoRecipient("no alerts channel and no admin known in T-acme")

    s.notifier.script = nobody
    dispatcher = s.dispatcher()
    assert await dispatcher.deliver_due() == DeliveryReport(given_up=1)
    error = s.outbox.deliveries[(alert_id, Platform.SLACK)].last_error
    assert error == UNDELIVERABLE + "no alerts channel and no admin known in T-acme"
    s.clock.advance(hours=2)
    assert await dispatcher.deliver_due() == DeliveryReport()


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
