"""Delivering stored usage alerts to admins: the outbox and notifier ports, the dispatcher
that retries with backoff, and the renewal notices.

Errors a notifier raises (both are `core.errors.SetGetError`):

SetGetError
 ├── DeliveryFailed   the platform did not take the notice now: try again later
 └── NoRecipient      nobody on that platform to tell (no alerts channel, no known admin)

Every step is safe to run on several replicas at once: a lease decides who sends an alert
to a platform, and the unique dedupe key decides who records a renewal notice.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from core.clock import Clock
from core.credits.alerts import AlertKind, UsageAlert, renewal_key
from core.credits.cycles import cycle_containing
from core.credits.dashboard import UsageDashboard
from core.credits.notices import Notice, notice_for
from core.credits.pool import CreditPool
from core.errors import SetGetError
from core.ports import WorkspaceStore
from core.workspaces import Platform, Workspace

logger = logging.getLogger(__name__)

UNDELIVERABLE = "undeliverable: "  # `last_error` prefix of a delivery given up on


class DeliveryFailed(SetGetError):
    """The platform did not take the notice now (down, rate limited): try again later."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after  # seconds the platform asked us to wait, if it did


class NoRecipient(SetGetError):
    """Nobody to tell on this platform: no alerts channel and no known admin."""


@dataclass(frozen=True)
class PendingAlert:
    id: int
    alert: UsageAlert
    attempts: int  # failed attempts so far on this platform


class AlertOutbox(Protocol):
    """Stored alerts and their delivery to each platform (one delivery per alert and platform).

    A delivery is closed once `delivered_at` is set: sent, or given up on (the dispatcher
    then starts `last_error` with `UNDELIVERABLE`). A closed delivery is never due again.
    """

    async def due(
        self, platform: Platform, now: datetime, *, limit: int, max_age: timedelta
    ) -> list[PendingAlert]:
        """Open alerts of workspaces linked to `platform`, due and unleased, created within
        `max_age` of `now`, oldest first."""
        ...

    async def lease(
        self, alert_id: int, platform: Platform, now: datetime, until: datetime
    ) -> bool:
        """Take the right to send until `until`: True for one of any number of callers."""
        ...

    async def delivered(self, alert_id: int, platform: Platform, now: datetime) -> None: ...

    async def failed(
        self,
        alert_id: int,
        platform: Platform,
        now: datetime,
        *,
        error: str,
        retry_at: datetime | None,
    ) -> None:
        """Count a failed attempt and free the lease; `retry_at=None` gives up for good."""
        ...

    async def record(self, alert: UsageAlert) -> bool:
        """Store `alert` unless its dedupe key is taken; True when it was new."""
        ...


class Notifier(Protocol):
    """Sends a notice to a workspace's admins on one platform (alerts channel, or DMs)."""

    @property
    def platform(self) -> Platform: ...

    async def deliver(self, workspace: Workspace, notice: Notice) -> None:
        """Raise `DeliveryFailed` to be retried later, `NoRecipient` when nobody can be told."""
        ...


@dataclass(frozen=True)
class DeliveryReport:
    delivered: int = 0
    retried: int = 0
    given_up: int = 0
    skipped: int = 0  # another replica held the lease
    merged: int = 0  # said by another notice of the same batch (100 % within "paused")


class _Outcome(enum.StrEnum):
    DELIVERED = "delivered"
    RETRIED = "retried"
    GIVEN_UP = "given_up"
    SKIPPED = "skipped"
    MERGED = "merged"


@dataclass(frozen=True)
class _Failure:
    error: str
    retry_after: float | None = None
    final: bool = False


class AlertDispatcher:
    """Hands due alerts to one platform's notifier, each at most once per lease.

    A send is cut off at half the lease, so no other replica can lease the alert while a
    slow send is still going on; a crash mid-send means one more try after the lease ends.
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
    ) -> None:
        self._outbox = outbox
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
        attempts = pending.attempts + 1
        retry_at = (
            None
            if failure.final or attempts >= self._max_attempts
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
            async with asyncio.timeout(self._lease.total_seconds() / 2):
                await self._notifier.deliver(workspace, notice)
        except NoRecipient as exc:
            return _Failure(str(exc) or "no recipient", final=True)
        except DeliveryFailed as exc:
            return _Failure(str(exc) or "delivery failed", exc.retry_after)
        except TimeoutError:
            return _Failure("the platform did not answer in time")
        except Exception as exc:  # a notifier bug must not stop the other alerts
            logger.debug("alert %d: unexpected notifier error", pending.id, exc_info=True)
            return _Failure(f"unexpected {type(exc).__name__}")  # messages may hold URLs
        return None

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
