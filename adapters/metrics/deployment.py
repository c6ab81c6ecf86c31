"""Deployment-wide figures read from the database at scrape time: what every replica shares,
so any replica's `/metrics` tells the same (a dashboard takes the max, not the sum)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from adapters.storage import Database
from adapters.storage.tables import alerts, interactions, platform_events

# The alert dispatcher stops retrying an alert after a week (`AlertDispatcher.max_age`).
OUTBOX_AGE = timedelta(days=7)


@dataclass(frozen=True)
class DeploymentFigures:
    holds_open: int  # credits held by answers in flight, on every replica
    outbox_depth: int  # usage alerts stored but not yet delivered to any platform
    claims_open: int  # messages claimed and not yet answered (in flight, or left by a crash)


async def deployment_figures(db: Database, *, now: datetime) -> DeploymentFigures:
    async with db.read() as conn:
        holds = await conn.scalar(
            select(func.count()).select_from(interactions).where(interactions.c.state == "held")
        )
        outbox = await conn.scalar(
            select(func.count())
            .select_from(alerts)
            .where(alerts.c.delivered_at.is_(None), alerts.c.created_at >= now - OUTBOX_AGE)
        )
        claims = await conn.scalar(
            select(func.count())
            .select_from(platform_events)
            .where(platform_events.c.state == "claimed")
        )
    return DeploymentFigures(
        holds_open=int(holds or 0), outbox_depth=int(outbox or 0), claims_open=int(claims or 0)
    )
