"""Migration 0007: claims made before it count as finished (they have no message to answer
again from), the migrated table matches `tables.py`, and a downgrade drops the new columns.
On SQLite and PostgreSQL."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, column, inspect, table, text

from adapters.storage.claims import SqlEventClaims
from adapters.storage.database import Database
from adapters.storage.tables import metadata
from core.workspaces import Platform
from tests.faults.migrations import migrate

BEFORE, AFTER = "0006", "0007"
WHEN = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


async def test_claims_made_before_the_upgrade_stay_answered(db: Database) -> None:
    await migrate(db, to=BEFORE)
    old = table("platform_events", column("platform"), column("event_key"), column("received_at"))
    async with db.write() as conn:
        await conn.execute(
            old.insert().values(platform="slack", event_key="T1:C1:1.0", received_at=WHEN)
        )
    await migrate(db, to=AFTER)

    claims = SqlEventClaims(db)
    later = WHEN + timedelta(hours=1)
    assert await claims.unfinished(Platform.SLACK, now=later, limit=10) == []
    assert await claims.claim(Platform.SLACK, "T1:C1:1.0", later) is None  # a retry: taken
    assert await claims.claim(Platform.SLACK, "T1:C1:2.0", later) is not None
    async with db.read() as conn:
        differences = await conn.run_sync(compared)
    assert [d for d in differences if "platform_events" in str(d)] == []


def compared(sync: Connection) -> list[Any]:
    """Alembic's differences between the schema and the code's metadata. SQLite cannot
    reflect the expression index on lower(workspaces.name), so Alembic skips it (and says
    so); the migration test of that index checks it instead."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression")
        return list(compare_metadata(MigrationContext.configure(sync), metadata))


async def columns(db: Database) -> set[str]:
    async with db.read() as conn:
        return await conn.run_sync(
            lambda sync: {c["name"] for c in inspect(sync).get_columns("platform_events")}
        )


async def test_the_downgrade_drops_the_claim_state_and_keeps_the_claims(db: Database) -> None:
    await migrate(db, to=AFTER)
    added = {"state", "attempts", "claimed_until", "message", "reply"}
    assert added <= await columns(db)
    await SqlEventClaims(db).claim(Platform.SLACK, "T1:C1:1.0", WHEN, message="{}")
    await migrate(db, to=BEFORE, down=True)
    assert await columns(db) == {"platform", "event_key", "received_at"}
    async with db.read() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM platform_events")) == 1
