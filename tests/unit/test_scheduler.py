"""The scheduler's jobs on the whole app: alerts reach admins once across replicas, renewal
notices, expired holds released, old event claims forgotten; a failing job is only logged."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from adapters.storage import Database, open_database
from adapters.storage.alert_outbox import SqlAlertOutbox
from adapters.storage.claims import SqlEventClaims
from bot.app import App, build_app
from bot.scheduler import (
    alert_dispatcher,
    answer_unfinished,
    build_scheduler,
    deliver_alerts,
    forget_old_events,
    record_renewal_notices,
    release_expired_holds,
    renewal_notices,
)
from bot.settings import BadSettings, Settings, load_settings
from core.credits.alerts import AlertKind
from core.credits.delivery import AlertDispatcher, DeliveryReport
from core.credits.outbox import Notifier, PendingAlert
from core.credits.pricing import InteractionType, TokenUsage
from core.plans import Plan
from core.workspaces import Mode, Platform, Workspace
from tests.alert_fakes import FakeNotifier
from tests.fakes import FakeClock

SIX = TokenUsage(24_000, 0)  # 6 credits with the default pricing


async def linked_workspace(app: App, name: str = "acme", **kw: object) -> Workspace:
    workspace = await app.admin.create(name, plan=Plan.PRO, allocation=8, **kw)  # type: ignore[arg-type]
    await app.admin.link(name, Platform.SLACK, f"T-{name}")
    return workspace


@asynccontextmanager
async def replica(app: App, database_url: str) -> AsyncIterator[App]:
    """A second bot process on the same database, with its own connections."""
    db = open_database(database_url, pool_size=5)
    try:
        yield build_app(app.settings, db=db, clock=app.clock)
    finally:
        await db.dispose()


class InStep(SqlAlertOutbox):
    """Holds each replica after it read what is due until all have: then they race the lease."""

    def __init__(self, db: Database, barrier: asyncio.Barrier) -> None:
        super().__init__(db)
        self._barrier = barrier

    async def due(
        self, platform: Platform, now: datetime, *, limit: int, max_age: timedelta
    ) -> list[PendingAlert]:
        found = await super().due(platform, now, limit=limit, max_age=max_age)
        await self._barrier.wait()
        return found


def racing_dispatcher(app: App, notifier: Notifier, barrier: asyncio.Barrier) -> AlertDispatcher:
    return AlertDispatcher(
        outbox=InStep(app.db, barrier),
        workspaces=app.workspace_store,
        pool=app.pool,
        notifier=notifier,
        clock=app.clock,
    )


async def test_the_scheduler_runs_five_jobs_none_overlapping_itself(app: App) -> None:
    scheduler = build_scheduler(app, notifier=FakeNotifier(), poll_seconds=15)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    intervals = {name: job.trigger.interval for name, job in jobs.items()}
    assert intervals == {
        "deliver_alerts": timedelta(seconds=15),
        "record_renewal_notices": timedelta(minutes=10),
        "record_forecast_alerts": timedelta(hours=1),
        "release_expired_holds": timedelta(minutes=1),
        "forget_old_events": timedelta(days=1),
    }
    assert all(job.max_instances == 1 and job.coalesce for job in jobs.values())
    scheduler.start(paused=True)
    try:
        pending = {job.id: job.next_run_time for job in scheduler.get_jobs()}
        assert pending["record_renewal_notices"] < pending["release_expired_holds"]  # at start
        assert pending["record_forecast_alerts"] < pending["release_expired_holds"]
    finally:
        scheduler.shutdown(wait=False)


async def test_a_platform_adds_the_job_that_answers_what_a_crashed_process_claimed(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    async def recover() -> int:
        return 2

    scheduler = build_scheduler(app, notifier=FakeNotifier(), poll_seconds=15, recover=recover)
    (job,) = [job for job in scheduler.get_jobs() if job.id == "answer_unfinished"]
    assert job.trigger.interval == timedelta(minutes=1)
    caplog.set_level(logging.INFO)
    assert await answer_unfinished(recover) == 2
    assert "answered 2 messages again that a crashed process had claimed" in caplog.text

    async def broken() -> int:
        raise OSError("slack unreachable")

    assert await answer_unfinished(broken) is None  # logged; the next run tries again
    assert "scheduled job answer_unfinished failed" in caplog.text


async def test_a_threshold_alert_reaches_the_admins_once_across_two_replicas(
    app: App, database_url: str
) -> None:
    acme = await linked_workspace(app)
    await app.pool.reserve(acme, key="ev1", member=None)
    await app.pool.settle(
        acme, key="ev1", usage=SIX, interaction_type=InteractionType.SIMPLE_QUESTION
    )
    notifier = FakeNotifier(Platform.SLACK)
    in_step = asyncio.Barrier(2)

    async with replica(app, database_url) as other:
        reports = await asyncio.gather(
            deliver_alerts(racing_dispatcher(app, notifier, in_step)),
            deliver_alerts(racing_dispatcher(other, notifier, in_step)),
        )
        app.clock.advance(minutes=5)  # past any lease: still nothing left to send
        again = await deliver_alerts(alert_dispatcher(other, notifier))

    assert [(name, n.kind, n.title) for name, n in notifier.sent] == [
        ("acme", AlertKind.THRESHOLD, "acme: 75% of monthly AI credits used")
    ]
    assert set(reports) == {DeliveryReport(delivered=1), DeliveryReport(skipped=1)}
    assert again == DeliveryReport()


async def test_a_renewal_is_recorded_once_and_delivered(app: App, clock: FakeClock) -> None:
    await linked_workspace(app)
    await linked_workspace(app, "own", mode=Mode.SELF_HOSTED)
    notifier = FakeNotifier(Platform.SLACK)
    assert await record_renewal_notices(renewal_notices(app)) == 0

    clock.advance(days=28)  # 2026-02-28: acme's second cycle
    assert await record_renewal_notices(renewal_notices(app)) == 1
    assert await record_renewal_notices(renewal_notices(app)) == 0
    assert await deliver_alerts(alert_dispatcher(app, notifier)) == DeliveryReport(delivered=1)
    assert [n.text for _, n in notifier.sent] == [
        "Credits renewed: 8 monthly credits available to acme until the next renewal on 2026-03-31."
    ]


async def test_expired_holds_are_released(app: App, clock: FakeClock) -> None:
    acme = await linked_workspace(app)
    own = await app.admin.create("own", plan=Plan.PRO, mode=Mode.SELF_HOSTED)
    await app.pool.reserve(acme, key="crashed", member=None)
    await app.pool.reserve(own, key="crashed", member=None)
    assert (await app.pool.status(acme)).balance.reserved == 1
    assert await release_expired_holds(app) == 0  # still within their time to live

    clock.advance(seconds=app.settings.hold_ttl_seconds + 1)
    assert await release_expired_holds(app) == 2  # the self-hosted one is closed too
    assert (await app.pool.status(acme)).balance.reserved == 0
    assert await release_expired_holds(app) == 0


async def test_event_claims_older_than_two_days_are_forgotten(app: App, clock: FakeClock) -> None:
    claims = SqlEventClaims(app.db)
    first = await claims.claim(Platform.SLACK, "T1:C1:1", clock.now())
    assert first is not None
    assert await claims.finish(first)
    clock.advance(days=1)
    second = await claims.claim(Platform.SLACK, "T1:C1:2", clock.now())
    assert second is not None
    assert await claims.finish(second)  # answered: a retry finds it taken
    clock.advance(days=1, seconds=1)

    assert await forget_old_events(app) == 1
    assert not await claims.claim(Platform.SLACK, "T1:C1:2", clock.now())  # still remembered
    assert await claims.claim(Platform.SLACK, "T1:C1:1", clock.now())


async def test_a_failing_job_is_logged_and_the_scheduler_goes_on(
    clock: FakeClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'missing' / 'setget.db'}"  # its directory does not exist
    db = open_database(url, pool_size=1)
    try:
        broken = build_app(Settings(database_url=url), db=db, clock=clock)
        with caplog.at_level(logging.ERROR, logger="bot.scheduler"):
            assert await forget_old_events(broken) is None
            assert await deliver_alerts(alert_dispatcher(broken, FakeNotifier())) is None
    finally:
        await db.dispose()
    assert "scheduled job forget_old_events failed" in caplog.text
    assert "scheduled job deliver_alerts failed" in caplog.text


def test_the_alert_poll_interval_is_a_positive_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SETGET_ALERT_POLL_SECONDS", raising=False)
    assert Settings().alert_poll_seconds == 15
    monkeypatch.setenv("SETGET_ALERT_POLL_SECONDS", "2.5")
    assert Settings().alert_poll_seconds == 2.5
    monkeypatch.setenv("SETGET_ALERT_POLL_SECONDS", "0")
    with pytest.raises(BadSettings, match="SETGET_ALERT_POLL_SECONDS"):
        load_settings()
