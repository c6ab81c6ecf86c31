"""Delivering stored usage alerts to admins: the dispatcher that retries with backoff, and
the renewal notices (the ports they drive, and what a notifier raises: `core.credits.outbox`).

Every step is safe to run on several replicas at once: a lease decides who sends an alert
to a platform, the outbox records who has been told of it (a retry after a partial failure,
on any replica, tells only the others), and the unique dedupe key decides who records a
renewal notice. An alert with nobody to tell waits (not counted as a failed attempt) until
a channel or an admin becomes known, or its cycle ends.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from core.clock import Clock
from core.credits.alerts import AlertKind, UsageAlert, renewal_key
from core.credits.cycles import cycle_containing
from core.credits.dashboard import UsageDashboard
from core.credits.notices import Notice, notice_for
from core.credits.outbox import (
    UNDELIVERABLE,
    WAITING,
    AlertOutbox,
    DeliveryFailed,
    Elsewhere,
    NoRecipient,
    Notifier,
    PendingAlert,
    ToldRecipients,
)
from core.credits.pool import CreditPool
from core.ports import WorkspaceStore
from core.workspaces import Workspace

logger = logging.getLogger(__name__)

ELSEWHERE_RETRY = timedelta(seconds=1)  # when the delivery is due again, for the other process


@dataclass(frozen=True)
class DeliveryReport:
    delivered: int = 0
    retried: int = 0
    given_up: int = 0
    skipped: int = 0  # another replica held the lease, or serves the recipients
    merged: int = 0  # said by another notice of the same batch (100 % within "paused")
    waiting: int = 0  # nobody to tell yet: looked at again until the alert's cycle ends


class _Outcome(enum.StrEnum):
    DELIVERED = "delivered"
    RETRIED = "retried"
    GIVEN_UP = "given_up"
    SKIPPED = "skipped"
    MERGED = "merged"
    WAITING = "waiting"


@dataclass(frozen=True)
class _Failure:
    error: str
    retry_after: float | None = None
    final: bool = False
    nobody: bool = False  # no recipient known now: wait for one
    elsewhere: bool = False  # another process serves the rest: leave it to that one


class AlertDispatcher:
    """Hands due alerts to one platform's notifier, each at most once per lease.

    A send is cut off at half the lease, so no other replica can lease the alert while a
    slow send is still going on; a crash mid-send means one more try after the lease ends.
    `told` is the notifier's memory of who was told (shared with it): the dispatcher loads it
    from the outbox before a send and records what the send added, so a crash between a
    message and its record repeats that message once, and nothing is ever skipped.
    """

    def __init__(
        self,
        *,
        outbox: AlertOutbox,
        workspaces: WorkspaceStore,
        pool: CreditPool,
        notifier: Notifier,
        clock: Clock,
        lease: timedelta = timedelta(minutes=2),
        base_delay: timedelta = timedelta(seconds=30),
        max_delay: timedelta = timedelta(hours=1),
        max_attempts: int = 12,
        max_age: timedelta = timedelta(days=7),
        dashboard: UsageDashboard | None = None,  # the pace a forecast notice tells
        told: ToldRecipients | None = None,
        recheck: timedelta = timedelta(minutes=5),  # nobody to tell: look again after
    ) -> None:
        self._outbox = outbox
        self._told = told
        self._recheck = recheck
        self._dashboard = dashboard
        self._workspaces = workspaces
        self._pool = pool
        self._notifier = notifier
        self._clock = clock
        self._lease = lease
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._max_attempts = max_attempts
        self._max_age = max_age

    async def deliver_due(self, *, limit: int = 50) -> DeliveryReport:
        platform = self._notifier.platform
        due = await self._outbox.due(
            platform, self._clock.now(), limit=limit, max_age=self._max_age
        )
        if not due:
            return DeliveryReport()
        workspaces = {w.id: w for w in await self._workspaces.list_workspaces()}
        # A charge that empties the pool records both "100 % used" and "paused"; admins get
        # the paused notice, which says both, instead of two near-identical urgent messages.
        paused = {(p.alert.workspace_id, p.alert.cycle_start) for p in due if _pauses(p)}
        outcomes: Counter[_Outcome] = Counter()
        for pending in due:
            if _used_up(pending) and (pending.alert.workspace_id, pending.alert.cycle_start) in (
                paused
            ):
                outcomes[await self._merge(pending)] += 1
                continue
            outcomes[await self._deliver(pending, workspaces.get(pending.alert.workspace_id))] += 1
        return DeliveryReport(**{o.value: n for o, n in outcomes.items()})

    async def _merge(self, pending: PendingAlert) -> _Outcome:
        platform, now = self._notifier.platform, self._clock.now()
        if not await self._outbox.lease(pending.id, platform, now, now + self._lease):
            return _Outcome.SKIPPED
        await self._outbox.delivered(pending.id, platform, now)
        return _Outcome.MERGED

    async def _deliver(self, pending: PendingAlert, workspace: Workspace | None) -> _Outcome:
        platform, now = self._notifier.platform, self._clock.now()
        if not await self._outbox.lease(pending.id, platform, now, now + self._lease):
            return _Outcome.SKIPPED
        failure = await self._send(pending, workspace)
        if failure is None:
            await self._outbox.delivered(pending.id, platform, self._clock.now())
            return _Outcome.DELIVERED
        if failure.elsewhere:
            await self._outbox.waiting(
                pending.id,
                platform,
                self._clock.now(),
                error=failure.error,
                retry_at=self._clock.now() + ELSEWHERE_RETRY,
            )
            return _Outcome.SKIPPED
        if failure.nobody and workspace is not None and _current(workspace, pending, now):
            await self._outbox.waiting(
                pending.id,
                platform,
                self._clock.now(),
                error=WAITING + failure.error,
                retry_at=self._clock.now() + self._recheck,
            )
            return _Outcome.WAITING
        attempts = pending.attempts + 1
        retry_at = (
            None
            if failure.final or failure.nobody or attempts >= self._max_attempts
            else self._retry_at(pending.attempts, failure.retry_after)
        )
        error = failure.error if retry_at else UNDELIVERABLE + failure.error
        await self._outbox.failed(
            pending.id, platform, self._clock.now(), error=error, retry_at=retry_at
        )
        logger.warning(
            "alert %d (workspace %d, %s) not delivered to %s, attempt %d: %s%s",
            pending.id,
            pending.alert.workspace_id,
            pending.alert.kind.value,
            platform.value,
            attempts,
            failure.error,
            "" if retry_at else "; giving up",
        )
        return _Outcome.RETRIED if retry_at else _Outcome.GIVEN_UP

    async def _send(self, pending: PendingAlert, workspace: Workspace | None) -> _Failure | None:
        if workspace is None:
            return _Failure(f"workspace {pending.alert.workspace_id} no longer exists", final=True)
        try:
            notice = await self._notice(workspace, pending.alert)
        except Exception as exc:  # the pool could not be read: try again later
            logger.debug("alert %d: the notice could not be written", pending.id, exc_info=True)
            return _Failure(f"unexpected {type(exc).__name__}")
        told = await self._load_told(pending, notice)
        try:
            return await self._tell(pending, workspace, notice)
        finally:
            await self._record_told(pending, notice, told)

    async def _tell(
        self, pending: PendingAlert, workspace: Workspace, notice: Notice
    ) -> _Failure | None:
        try:
            async with asyncio.timeout(self._lease.total_seconds() / 2):
                await self._notifier.deliver(workspace, notice)
        except NoRecipient as exc:
            return _Failure(str(exc) or "no recipient", nobody=True)
        except Elsewhere as exc:
            return _Failure(str(exc) or "served elsewhere", elsewhere=True)
        except DeliveryFailed as exc:
            return _Failure(str(exc) or "delivery failed", exc.retry_after)
        except TimeoutError:
            return _Failure("the platform did not answer in time")
        except Exception as exc:  # a notifier bug must not stop the other alerts
            logger.debug("alert %d: unexpected notifier error", pending.id, exc_info=True)
            return _Failure(f"unexpected {type(exc).__name__}")  # messages may hold URLs
        return None

    async def _load_told(self, pending: PendingAlert, notice: Notice) -> frozenset[str]:
        if self._told is None or not notice.ref:
            return frozenset()
        told = await self._outbox.told(pending.id, self._notifier.platform)
        self._told[notice.ref] = set(told)
        return told

    async def _record_told(
        self, pending: PendingAlert, notice: Notice, before: frozenset[str]
    ) -> None:
        if self._told is None or not notice.ref:
            return
        added = self._told.pop(notice.ref, set()) - before
        if added:
            await self._outbox.mark_told(
                pending.id, self._notifier.platform, added, self._clock.now()
            )

    async def _notice(self, workspace: Workspace, alert: UsageAlert) -> Notice:
        status = await self._pool.status(workspace)
        renews_on = cycle_containing(workspace.anchor, alert.cycle_start).renewal
        forecast = (
            await self._dashboard.forecast(status)
            if self._dashboard is not None and alert.kind is AlertKind.FORECAST
            else None
        )
        return notice_for(workspace, alert, status.balance, renews_on=renews_on, forecast=forecast)

    def _retry_at(self, failures: int, retry_after: float | None) -> datetime:
        delay = min(self._max_delay, self._base_delay * (1 << min(failures, 32)))
        if retry_after is not None:
            delay = max(delay, timedelta(seconds=retry_after))
        return self._clock.now() + delay


def _current(workspace: Workspace, pending: PendingAlert, now: datetime) -> bool:
    """Whether the alert belongs to the cycle running now (a late notice of it still helps)."""
    return cycle_containing(workspace.anchor, now.date()).start == pending.alert.cycle_start


def _pauses(pending: PendingAlert) -> bool:
    return pending.alert.kind is AlertKind.PAUSED


def _used_up(pending: PendingAlert) -> bool:
    alert = pending.alert
    return alert.kind is AlertKind.THRESHOLD and (alert.percent or 0) >= 100


class RenewalNotices:
    """Records a RENEWED alert when a metered workspace's cycle has started anew.

    Renewal itself needs no job (the cycle is computed from the anchor); this only tells
    admins. The notice's key is unique per cycle, so every replica may run it.
    """

    def __init__(
        self,
        *,
        outbox: AlertOutbox,
        workspaces: WorkspaceStore,
        clock: Clock,
    ) -> None:
        self._outbox = outbox
        self._workspaces = workspaces
        self._clock = clock
        self._done: set[tuple[int, date]] = set()  # recorded (or found) by this process

    async def record(self) -> int:
        """Record the current cycle's notice where it is missing; returns how many were new."""
        now, recorded = self._clock.now(), 0
        for workspace in await self._workspaces.list_workspaces():
            if not workspace.metered:
                continue
            cycle = cycle_containing(workspace.anchor, now.date())
            if cycle.start <= workspace.created_at.date():
                continue  # the first cycle: it started with the workspace, nothing renewed
            if (workspace.id, cycle.start) in self._done:
                continue  # spares the database a write per workspace every few minutes
            alert = UsageAlert(
                workspace_id=workspace.id,
                kind=AlertKind.RENEWED,
                cycle_start=cycle.start,
                dedupe_key=renewal_key(cycle.start),
                percent=None,
                created_at=now,
                delivered_at=None,
            )
            recorded += await self._outbox.record(alert)
            self._done.add((workspace.id, cycle.start))
        return recorded
