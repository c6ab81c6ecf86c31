"""Claimed platform events in SQL."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete

from adapters.storage.database import Database
from adapters.storage.tables import platform_events
from core.workspaces import Platform


class SqlEventClaims:
    """One row per answered platform message: the primary key decides who answers it."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim(self, platform: Platform, key: str, now: datetime) -> bool:
        async with self._db.write() as conn:
            inserted = await conn.execute(
                self._db.insert(platform_events)
                .values(platform=platform.value, event_key=key, received_at=now)
                .on_conflict_do_nothing()
            )
        return bool(inserted.rowcount == 1)

    async def forget_before(self, cutoff: datetime) -> int:
        async with self._db.write() as conn:
            gone = await conn.execute(
                delete(platform_events).where(platform_events.c.received_at < cutoff)
            )
        return int(gone.rowcount)
