"""Stepping a database between schema revisions, for the migration fault tests."""

from __future__ import annotations

from alembic import command

from adapters.storage.database import Database
from adapters.storage.schema import alembic_config


async def migrate(db: Database, *, to: str, down: bool = False) -> None:
    step = command.downgrade if down else command.upgrade
    async with db.write() as conn:
        await conn.run_sync(lambda sync: step(alembic_config(sync), to))
