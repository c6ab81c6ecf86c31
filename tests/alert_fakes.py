"""An in-memory alert outbox and a scripted notifier, for unit tests of alert delivery."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.credits.alerts import UsageAlert
from core.credits.notices import Notice
from core.credits.outbox import PendingAlert
from core.workspaces import Platform, Workspace
from tests.fakes import InMemoryStore


@dataclass
class Delivery:
    attempts: int = 0
    next_attempt_at: datetime | None = None
    lease_until: datetime | None = None
    delivered_at: datetime | None = None
    last_error: str | None = None


class InMemoryAlertOutbox:
    """The alerts `InMemoryStore` records, delivered per platform like `SqlAlertOutbox` does.

    An alert's id is its position in the store's outbox (alerts are never removed).
    """

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self.deliveries: dict[tuple[int, Platform], Delivery] = {}

    def alerts(self) -> dict[int, UsageAlert]:
        return dict(enumerate(self._store.outbox.values(), start=1))

    def _linked(self, workspace_id: int, platform: Platform) -> bool:
        return any(p is platform and w == workspace_id for (p, _), w in self._store.links.items())

    async def due(
        self, platform: Platform, now: datetime, *, limit: int, max_age: timedelta
    ) -> list[PendingAlert]:
        found: list[PendingAlert] = []
        for alert_id, alert in self.alerts().items():
            d = self.deliveries.get((alert_id, platform), Delivery())
            if (
                self._linked(alert.workspace_id, platform)
                and alert.created_at >= now - max_age
                and d.delivered_at is None
                and (d.lease_until is None or d.lease_until < now)
                and (d.next_attempt_at is None or d.next_attempt_at <= now)
            ):
                found.append(PendingAlert(id=alert_id, alert=alert, attempts=d.attempts))
        found.sort(key=lambda p: (p.alert.created_at, p.id))
        return found[:limit]

    async def lease(
        self, alert_id: int, platform: Platform, now: datetime, until: datetime
    ) -> bool:
        d = self.deliveries.setdefault((alert_id, platform), Delivery())
        free = d.lease_until is None or d.lease_until < now
        due = d.next_attempt_at is None or d.next_attempt_at <= now
        if d.delivered_at is None and free and due:
            d.lease_until = until
            return True
        return False

    async def delivered(self, alert_id: int, platform: Platform, now: datetime) -> None:
        d = self.deliveries[(alert_id, platform)]
        d.delivered_at, d.lease_until = now, None

    async def failed(
        self,
        alert_id: int,
        platform: Platform,
        now: datetime,
        *,
        error: str,
        retry_at: datetime | None,
    ) -> None:
        d = self.deliveries[(alert_id, platform)]
        d.attempts += 1
        d.lease_until, d.last_error = None, error
        if retry_at is None:
            d.delivered_at = now
        else:
            d.next_attempt_at = retry_at

    async def record(self, alert: UsageAlert) -> bool:
        key = (alert.workspace_id, alert.dedupe_key)
        if key in self._store.outbox:
            return False
        self._store.outbox[key] = alert
        return True


Script = Callable[[Workspace, Notice], None]  # raises to fail one delivery


class FakeNotifier:
    """Records every notice it is given; `script` may raise to make a delivery fail."""

    def __init__(self, platform: Platform = Platform.SLACK, script: Script | None = None) -> None:
        self.platform = platform
        self.script = script
        self.sent: list[tuple[str, Notice]] = []
        self.tries = 0

    async def deliver(self, workspace: Workspace, notice: Notice) -> None:
        self.tries += 1
        await asyncio.sleep(0)  # a real send awaits the network: let other tasks run
        if self.script is not None:
            self.script(workspace, notice)
        self.sent.append((workspace.name, notice))
