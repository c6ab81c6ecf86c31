"""Whether this process should take traffic: what `/readyz` answers (`/healthz` only says the
process serves)."""

from __future__ import annotations

from adapters.storage import Database, SchemaOutOfDate, check_schema


async def not_ready(db: Database) -> str | None:
    """Why not (None: ready): the database must answer and hold this version's schema."""
    if not await db.ping():
        return "database unreachable"
    try:
        await check_schema(db)
    except SchemaOutOfDate:
        return "database schema out of date"
    return None
