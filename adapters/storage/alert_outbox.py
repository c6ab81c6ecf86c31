"""The alert outbox: usage alerts stored once each, and their delivery to each platform.

A delivery row (alert, platform) is leased by one replica with a conditional UPDATE before
it sends, so an alert reaches a platform's admins once; `delivered_at` closes the row, also
when delivery was given up (then `last_error` starts with `UNDELIVERABLE`). A delivery with
nobody to tell yet waits (`last_error` starts with `WAITING`) and stays due past `max_age`.
`alert_recipients` holds who has been told, so a retry on any replica tells only the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.storage.database import Database, utc
from adapters.storage.tables import alert_deliveries, alert_recipients, alerts, platform_links
from core.credits.alerts import AlertKind, UsageAlert
from core.credits.outbox import WAITING, PendingAlert
from core.workspaces import Platform

MAX_ERROR_LENGTH = 500


async def record_alerts(
    db: Database,
    conn: AsyncConnection,
    *,
    workspace_id: int,
    cycle_start: date,
    now: datetime,
    items: Iterable[tuple[AlertKind, str, int | None]],
) -> None:
    """Insert `(kind, dedupe_key, percent)` alerts; one already recorded is left alone."""
    rows = [
        {
            "workspace_id": workspace_id,
            "kind": kind.value,
            "cycle_start": cycle_start,
            "dedupe_key": key,
            "percent": percent,
            "created_at": now,
            "attempts": 0,
        }
        for kind, key, percent in items
    ]
    for row in rows:  # one statement each: ON CONFLICT with executemany differs per driver
        await conn.execute(db.insert(alerts).values(**row).on_conflict_do_nothing())


def _alert(row: Any) -> UsageAlert:
    return UsageAlert(
        workspace_id=row.workspace_id,
        kind=AlertKind(row.kind),
        cycle_start=row.cycle_start,
        dedupe_key=row.dedupe_key,
        percent=row.percent,
        created_at=utc(row.created_at),
        delivered_at=utc(row.delivered_at) if row.delivered_at else None,
    )


async def list_alerts(db: Database, workspace_id: int) -> list[UsageAlert]:
    async with db.read() as conn:
        rows = await conn.execute(
            select(alerts).where(alerts.c.workspace_id == workspace_id).order_by(alerts.c.id)
        )
        return [_alert(r) for r in rows]


class SqlAlertOutbox:
    """`core.credits.delivery.AlertOutbox` on SQLite and PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def due(
        self, platform: Platform, now: datetime, *, limit: int, max_age: timedelta
    ) -> list[PendingAlert]:
        a, d, link = alerts.c, alert_deliveries.c, platform_links.c
        delivery = (d.alert_id == a.id) & (d.platform == platform.value)
        linked = exists().where(
            link.workspace_id == a.workspace_id, link.platform == platform.value
        )
        query = (
            select(alerts, func.coalesce(d.attempts, 0).label("delivery_attempts"))
            .select_from(alerts.outerjoin(alert_deliveries, delivery))
            .where(
                linked,
                or_(a.created_at >= now - max_age, d.last_error.startswith(WAITING)),
                d.delivered_at.is_(None),
                or_(d.lease_until.is_(None), d.lease_until < now),
                or_(d.next_attempt_at.is_(None), d.next_attempt_at <= now),
            )
            .order_by(a.created_at, a.id)
            .limit(limit)
        )
        async with self._db.read() as conn:
            rows = await conn.execute(query)
            return [
                PendingAlert(id=r.id, alert=_alert(r), attempts=r.delivery_attempts) for r in rows
            ]

    async def lease(
        self, alert_id: int, platform: Platform, now: datetime, until: datetime
    ) -> bool:
        d = alert_deliveries.c
        async with self._db.write() as conn:
            await conn.execute(
                self._db.insert(alert_deliveries)
                .values(alert_id=alert_id, platform=platform.value, attempts=0)
                .on_conflict_do_nothing()
            )
            taken = await conn.execute(
                update(alert_deliveries)
                .where(
                    _delivery(alert_id, platform),
                    d.delivered_at.is_(None),
                    or_(d.lease_until.is_(None), d.lease_until < now),
                    or_(d.next_attempt_at.is_(None), d.next_attempt_at <= now),
                )
                .values(lease_until=until)
            )
        return bool(taken.rowcount == 1)

    async def delivered(self, alert_id: int, platform: Platform, now: datetime) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                update(alert_deliveries)
                .where(_delivery(alert_id, platform))
                .values(delivered_at=now, lease_until=None)
            )
            await conn.execute(  # the alert itself: first delivered at, on any platform
                update(alerts)
                .where(alerts.c.id == alert_id, alerts.c.delivered_at.is_(None))
                .values(delivered_at=now)
            )

    async def failed(
        self,
        alert_id: int,
        platform: Platform,
        now: datetime,
        *,
        error: str,
        retry_at: datetime | None,
    ) -> None:
        closing: dict[str, Any] = (
            {"delivered_at": now} if retry_at is None else {"next_attempt_at": retry_at}
        )
        async with self._db.write() as conn:
            await conn.execute(
                update(alert_deliveries)
                .where(_delivery(alert_id, platform))
                .values(
                    attempts=alert_deliveries.c.attempts + 1,
                    lease_until=None,
                    last_error=error[:MAX_ERROR_LENGTH],
                    **closing,
                )
            )

    async def waiting(
        self, alert_id: int, platform: Platform, now: datetime, *, error: str, retry_at: datetime
    ) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                update(alert_deliveries)
                .where(_delivery(alert_id, platform))
                .values(
                    lease_until=None, last_error=error[:MAX_ERROR_LENGTH], next_attempt_at=retry_at
                )
            )

    async def told(self, alert_id: int, platform: Platform) -> frozenset[str]:
        r = alert_recipients.c
        async with self._db.read() as conn:
            rows = await conn.execute(
                select(r.recipient).where(r.alert_id == alert_id, r.platform == platform.value)
            )
            return frozenset(rows.scalars())

    async def mark_told(
        self, alert_id: int, platform: Platform, recipients: Set[str], now: datetime
    ) -> None:
        async with self._db.write() as conn:
            for recipient in sorted(recipients):  # one statement each, as in `record_alerts`
                await conn.execute(
                    self._db.insert(alert_recipients)
                    .values(
                        alert_id=alert_id, platform=platform.value, recipient=recipient, told_at=now
                    )
                    .on_conflict_do_nothing()
                )

    async def record(self, alert: UsageAlert) -> bool:
        async with self._db.write() as conn:
            inserted = await conn.execute(
                self._db.insert(alerts)
                .values(
                    workspace_id=alert.workspace_id,
                    kind=alert.kind.value,
                    cycle_start=alert.cycle_start,
                    dedupe_key=alert.dedupe_key,
                    percent=alert.percent,
                    created_at=alert.created_at,
                    attempts=0,
                )
                .on_conflict_do_nothing()
            )
        return bool(inserted.rowcount == 1)


def _delivery(alert_id: int, platform: Platform) -> ColumnElement[bool]:
    return (alert_deliveries.c.alert_id == alert_id) & (
        alert_deliveries.c.platform == platform.value
    )
