"""The forecast alert in the SQL outbox: recorded once per cycle, also when two replicas
check at the same moment, and delivered to admins with the day the pool runs out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from adapters.storage import Database, open_database
from adapters.storage.alert_outbox import SqlAlertOutbox, list_alerts
from bot.app import App, build_app
from bot.scheduler import alert_dispatcher, deliver_alerts, forecast_alerts, record_forecast_alerts
from core.credits.alerts import AlertKind, UsageAlert
from core.credits.delivery import DeliveryReport
from core.credits.forecast_alerts import ForecastAlerts
from core.credits.pricing import InteractionType, TokenUsage
from core.plans import Plan
from core.workspaces import Mode, Platform, Workspace
from tests.alert_fakes import FakeNotifier
from tests.fakes import FakeClock

SIX = TokenUsage(24_000, 0)  # 6 credits with the default pricing


async def workspace(
    app: App, name: str = "acme", *, allocation: int = 60, mode: Mode = Mode.CLOUD
) -> Workspace:
    """Pro, 60 credits a month from 31 Jan (the clock's day): renews 28 Feb."""
    created = await app.admin.create(name, plan=Plan.PRO, allocation=allocation, mode=mode)
    await app.admin.link(name, Platform.SLACK, f"T-{name}")
    return created


async def spend(app: App, ws: Workspace, clock: FakeClock, *, days: int, per_day: int) -> None:
    """`per_day` answers of 6 credits on each of `days` days, the last one today."""
    for day in range(days):
        if day:
            clock.advance(days=1)
        for n in range(per_day):
            key = f"{ws.name}-{clock.now().date()}-{n}"
            await app.pool.reserve(ws, key=key, member=None)
            await app.pool.settle(
                ws, key=key, usage=SIX, interaction_type=InteractionType.SIMPLE_QUESTION
            )


def kinds(alerts: list[UsageAlert]) -> list[tuple[AlertKind, str]]:
    return [(a.kind, a.dedupe_key) for a in alerts if a.kind is AlertKind.FORECAST]


async def test_a_fast_pace_records_one_alert_per_cycle_and_admins_read_the_day(
    app: App, clock: FakeClock
) -> None:
    acme = await workspace(app)
    await spend(app, acme, clock, days=3, per_day=1)  # 6 a day; 42 left on 2 Feb: 7 days
    assert await record_forecast_alerts(forecast_alerts(app)) == 1
    assert await record_forecast_alerts(forecast_alerts(app)) == 0  # another process: taken
    assert kinds(await list_alerts(app.db, acme.id)) == [
        (AlertKind.FORECAST, "forecast:2026-01-31")
    ]

    notifier = FakeNotifier(Platform.SLACK)
    assert await deliver_alerts(alert_dispatcher(app, notifier)) == DeliveryReport(delivered=1)
    [(name, notice)] = notifier.sent
    assert (name, notice.kind, notice.urgent) == ("acme", AlertKind.FORECAST, False)
    assert notice.title == "acme: AI credits on course to run out on 9 Feb"
    assert notice.text == (
        "At this pace (about 6 credits a day over the last 3 days) the pool runs out on 9 Feb, "
        "19 days before the renewal on 28 Feb. To keep AI answering until then, an admin can "
        "buy a credit pack."
    )

    clock.advance(days=28)  # 2 Mar: the next cycle (28 Feb to 31 Mar), the same pace again
    checks = forecast_alerts(app)
    await spend(app, acme, clock, days=3, per_day=1)
    assert await checks.record() == 1
    assert kinds(await list_alerts(app.db, acme.id))[1:] == [
        (AlertKind.FORECAST, "forecast:2026-02-28")
    ]


async def test_a_slow_pace_a_first_day_and_a_self_hosted_workspace_record_nothing(
    app: App, clock: FakeClock
) -> None:
    slow = await workspace(app, "slow", allocation=500)
    own = await workspace(app, "own", mode=Mode.SELF_HOSTED)
    burst = await workspace(app, "burst")
    await spend(app, burst, clock, days=1, per_day=5)  # 30 of 60 on the first morning
    for ws in (slow, own):
        await spend(app, ws, clock, days=1, per_day=3)
    checks = forecast_alerts(app)
    assert await checks.record() == 0  # the burst is a first day's pace: too little to alarm

    clock.advance(days=1)
    await spend(app, slow, clock, days=2, per_day=1)  # 6 a day of 500: lasts
    assert await checks.record() == 1  # the burst's pace over 3 days: 10 a day, 30 left
    alerted = {a.workspace_id for w in (slow, own, burst) for a in await list_alerts(app.db, w.id)}
    assert alerted == {burst.id}


class InStep(SqlAlertOutbox):
    """Holds each replica at the point of recording until both are there: then they race."""

    def __init__(self, db: Database, barrier: asyncio.Barrier) -> None:
        super().__init__(db)
        self._barrier = barrier

    async def record(self, alert: UsageAlert) -> bool:
        await self._barrier.wait()
        return await super().record(alert)


@asynccontextmanager
async def replica(app: App, database_url: str) -> AsyncIterator[App]:
    """A second bot process on the same database, with its own connections."""
    db = open_database(database_url, pool_size=5)
    try:
        yield build_app(app.settings, db=db, clock=app.clock)
    finally:
        await db.dispose()


def racing(app: App, barrier: asyncio.Barrier) -> ForecastAlerts:
    return ForecastAlerts(
        outbox=InStep(app.db, barrier),
        workspaces=app.workspace_store,
        pool=app.pool,
        dashboard=app.dashboard,
        clock=app.clock,
    )


async def test_two_replicas_checking_at_once_record_the_alert_once(
    app: App, clock: FakeClock, database_url: str
) -> None:
    acme = await workspace(app)
    await spend(app, acme, clock, days=3, per_day=1)
    in_step = asyncio.Barrier(2)
    async with replica(app, database_url) as other:
        recorded = await asyncio.gather(
            racing(app, in_step).record(), racing(other, in_step).record()
        )
    assert sorted(recorded) == [0, 1]
    assert kinds(await list_alerts(app.db, acme.id)) == [
        (AlertKind.FORECAST, "forecast:2026-01-31")
    ]
