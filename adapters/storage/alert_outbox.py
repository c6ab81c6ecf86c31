"""The alert outbox: usage alerts stored once each, for a notifier to deliver."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.storage.database import Database, utc
from adapters.storage.tables import alerts
from core.credits.alerts import AlertKind, UsageAlert


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
