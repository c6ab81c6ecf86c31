"""The ports of usage-alert delivery and their vocabulary: the outbox that stores alerts and
each platform's delivery of them, the notifier that tells a platform's admins, and what a
notifier raises (all `core.errors.SetGetError`):

SetGetError
 ├── DeliveryFailed   the platform did not take the notice now: try again later
 ├── NoRecipient      nobody on that platform to tell (no alerts channel, no known admin)
 └── Elsewhere        another process of the bot serves the recipients (a Discord shard)

The dispatcher that drives them is `core.credits.delivery`.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Set
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from core.credits.alerts import UsageAlert
from core.credits.notices import Notice
from core.errors import SetGetError
from core.workspaces import Platform, Workspace

UNDELIVERABLE = "undeliverable: "  # `last_error` prefix of a delivery given up on
WAITING = "waiting: "  # `last_error` prefix of a delivery with nobody to tell yet
# Who has been told of each notice (`Notice.ref` -> recipient keys), the memory a notifier
# consults and adds to while it delivers (`core.chat.alerts.ChatNotifier(told=...)`); the
# dispatcher fills it from the outbox before a delivery and records what was added after.
ToldRecipients = MutableMapping[str, set[str]]


class DeliveryFailed(SetGetError):
    """The platform did not take the notice now (down, rate limited): try again later."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after  # seconds the platform asked us to wait, if it did


class NoRecipient(SetGetError):
    """Nobody to tell on this platform: no alerts channel and no known admin."""


class Elsewhere(SetGetError):
    """Some recipients are served by another process of this bot (a Discord guild on a shard
    another process runs): what this one could tell was told; the rest is left to that one,
    soon, without counting a failed attempt."""


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

    async def waiting(
        self, alert_id: int, platform: Platform, now: datetime, *, error: str, retry_at: datetime
    ) -> None:
        """Nobody to tell yet: free the lease, look again at `retry_at`; no attempt counted.
        A waiting delivery stays due past `max_age` (the dispatcher ends it with its cycle)."""
        ...

    async def told(self, alert_id: int, platform: Platform) -> frozenset[str]:
        """The recipients already told of the alert on `platform`, by any replica."""
        ...

    async def mark_told(
        self, alert_id: int, platform: Platform, recipients: Set[str], now: datetime
    ) -> None:
        """Record that `recipients` have been told (one already recorded is left alone)."""
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
