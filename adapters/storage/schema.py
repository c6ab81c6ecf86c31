"""Schema migrations with Alembic: upgrade to head, and refuse to run on an old schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from adapters.storage.database import Database
from core.errors import SetGetError

MIGRATIONS = Path(__file__).parent / "migrations"
_UPGRADE_LOCK = 815_001  # PostgreSQL advisory lock: one replica migrates at a time


class SchemaOutOfDate(SetGetError):
    """The database schema is missing, older or newer than this code."""


def alembic_config(connection: Any = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revisions() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


async def current_revisions(db: Database) -> set[str]:
    async with db.read() as conn:
        heads = await conn.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_heads()
        )
    return set(heads)


async def upgrade_schema(db: Database) -> tuple[set[str], set[str]]:
    """Create or upgrade the schema to head; returns (revisions before, after)."""
    before = await current_revisions(db)
    async with db.write() as conn:
        if not db.is_sqlite:
            await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _UPGRADE_LOCK})
        await conn.run_sync(lambda sync: command.upgrade(alembic_config(sync), "head"))
    return before, await current_revisions(db)


async def check_schema(db: Database) -> None:
    current, heads = await current_revisions(db), head_revisions()
    if current == heads:
        return
    if not current:
        raise SchemaOutOfDate("the database has no SetGet schema yet: run `setget-bot db upgrade`")
    known = {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if not current <= known:
        raise SchemaOutOfDate(
            f"the database schema ({', '.join(sorted(current))}) is newer than this version "
            "of setget-bot: upgrade setget-bot"
        )
    raise SchemaOutOfDate(
        f"the database schema is out of date ({', '.join(sorted(current))}, needs "
        f"{', '.join(sorted(heads))}): run `setget-bot db upgrade`"
    )
