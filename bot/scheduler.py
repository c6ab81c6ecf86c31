"""The background jobs of a bot process: alert delivery, renewal notices, forecast alerts,
hold expiry, answering again the messages a crashed process claimed, and forgetting old
platform events.

Run one scheduler per process. Every replica may run its own: each job is idempotent. A
lease decides which replica sends an alert to a platform, a unique key records each
renewal notice and each cycle's forecast alert once, releasing expired holds and deleting old
event claims are conditional statements that change nothing when another replica got there
first, and a claim whose lease expired is taken over by one conditional UPDATE, so one replica
answers it. Renewal itself needs no job (the current cycle is computed from the anchor); the
scheduler only sends notices.

Each job is also a plain async function, which tests call directly instead of waiting.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import ParamSpec, TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]

from adapters.storage.alert_outbox import SqlAlertOutbox
from adapters.storage.claims import SqlEventClaims
from bot.app import App
from core.chat.alerts import ChatNotifier
from core.credits.delivery import AlertDispatcher, DeliveryReport, RenewalNotices
from core.credits.forecast_alerts import ForecastAlerts
from core.credits.outbox import Notifier

logger = logging.getLogger(__name__)

RENEWALS_EVERY = timedelta(minutes=10)
FORECASTS_EVERY = timedelta(hours=1)  # a warning days ahead: an hour late costs nothing
HOLDS_EVERY = timedelta(minutes=1)
EVENTS_EVERY = timedelta(days=1)
EVENTS_KEPT = timedelta(days=2)  # longer than any platform retries an event
UNFINISHED_EVERY = timedelta(minutes=1)  # a crashed claim's lease runs 2 minutes

P = ParamSpec("P")
T = TypeVar("T")


def _logged(job: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T | None]]:
    """A failing run is logged and the next one tries again: jobs never stop the process."""

    @functools.wraps(job)
    async def run(*args: P.args, **kwargs: P.kwargs) -> T | None:
        try:
            return await job(*args, **kwargs)
        except Exception:
            logger.exception("scheduled job %s failed", job.__name__)
            return None

    return run


def alert_dispatcher(app: App, notifier: Notifier) -> AlertDispatcher:
    return AlertDispatcher(
        outbox=SqlAlertOutbox(app.db),
        workspaces=app.workspace_store,
        pool=app.pool,
        notifier=notifier,
        clock=app.clock,
        dashboard=app.dashboard,
        told=notifier.told if isinstance(notifier, ChatNotifier) else None,
    )


def forecast_alerts(app: App) -> ForecastAlerts:
    return ForecastAlerts(
        outbox=SqlAlertOutbox(app.db),
        workspaces=app.workspace_store,
        pool=app.pool,
        dashboard=app.dashboard,
        clock=app.clock,
    )


def renewal_notices(app: App) -> RenewalNotices:
    return RenewalNotices(
        outbox=SqlAlertOutbox(app.db), workspaces=app.workspace_store, clock=app.clock
    )


@_logged
async def deliver_alerts(dispatcher: AlertDispatcher) -> DeliveryReport:
    report = await dispatcher.deliver_due()
    if report != DeliveryReport():
        logger.info(
            "alerts: %d delivered, %d to retry, %d given up, %d sent by another replica, "
            "%d waiting for someone to tell",
            report.delivered,
            report.retried,
            report.given_up,
            report.skipped,
            report.waiting,
        )
    return report


@_logged
async def record_renewal_notices(renewals: RenewalNotices) -> int:
    recorded = await renewals.record()
    if recorded:
        logger.info("recorded %d renewal notices", recorded)
    return recorded


@_logged
async def record_forecast_alerts(forecasts: ForecastAlerts) -> int:
    recorded = await forecasts.record()
    if recorded:
        logger.info("recorded %d forecast alerts", recorded)
    return recorded


@_logged
async def release_expired_holds(app: App) -> int:
    """Give back what holds of crashed or abandoned answers still reserve (self-hosted holds
    reserve nothing, but are closed too so no interaction stays open for good)."""
    released = 0
    for workspace in await app.workspace_store.list_workspaces():
        try:
            released += await app.pool.release_expired(workspace)
        except Exception:  # one workspace's trouble must not keep the others' credits held
            logger.exception("releasing expired holds of workspace %d failed", workspace.id)
    if released:
        logger.info("released %d expired holds", released)
    return released


@_logged
async def answer_unfinished(recover: Callable[[], Awaitable[int]]) -> int:
    """Answer the messages whose claimant crashed between claim and answer."""
    answered = await recover()
    if answered:
        logger.info("answered %d messages again that a crashed process had claimed", answered)
    return answered


@_logged
async def forget_old_events(app: App) -> int:
    return await SqlEventClaims(app.db).forget_before(app.clock.now() - EVENTS_KEPT)


def build_scheduler(
    app: App,
    *,
    notifier: Notifier,
    poll_seconds: float,
    recover: Callable[[], Awaitable[int]] | None = None,
) -> AsyncIOScheduler:
    """The jobs of this process, not started; `start()` it inside the running event loop.

    `recover` answers again the messages of a platform whose claimant crashed.
    """
    scheduler = AsyncIOScheduler(timezone=UTC)
    now = datetime.now(UTC)

    def every(
        job: Callable[..., Awaitable[object]],
        interval: timedelta,
        *args: object,
        at_start: bool = False,
    ) -> None:
        start = {"next_run_time": now} if at_start else {}  # None would pause the job
        scheduler.add_job(
            job,
            IntervalTrigger(seconds=interval.total_seconds(), timezone=UTC),
            args=args,
            id=job.__name__,
            name=job.__name__.replace("_", " "),
            max_instances=1,  # a slow run is never overlapped by the next
            coalesce=True,  # runs missed while busy or asleep collapse into one
            misfire_grace_time=None,  # late is better than skipped
            **start,
        )

    every(deliver_alerts, timedelta(seconds=poll_seconds), alert_dispatcher(app, notifier))
    every(record_renewal_notices, RENEWALS_EVERY, renewal_notices(app), at_start=True)
    every(record_forecast_alerts, FORECASTS_EVERY, forecast_alerts(app), at_start=True)
    every(release_expired_holds, HOLDS_EVERY, app)
    every(forget_old_events, EVENTS_EVERY, app)
    if recover is not None:
        every(answer_unfinished, UNFINISHED_EVERY, recover, at_start=True)
    return scheduler
