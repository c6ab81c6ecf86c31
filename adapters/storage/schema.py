"""Schema migrations with Alembic: upgrade to head, and refuse to run on an old schema.

Every command checks the schema before it runs; when the database is at `SCHEMA_HEAD` that
check is one plain query and Alembic (about 0.1 s to import) is not loaded at all."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from adapters.storage.database import Database
from core.errors import SetGetError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration: a test keeps it equal to Alembic's head (add a migration, bump it).
SCHEMA_HEAD = "0010"
_UPGRADE_LOCK = 815_001  # PostgreSQL advisory lock: one replica migrates at a time


class SchemaOutOfDate(SetGetError):
    """The database schema is missing, older or newer than this code."""


def alembic_config(connection: Any = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


async def current_revisions(db: Database) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    async with db.read() as conn:
        heads = await conn.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_heads()
        )
    return set(heads)


async def upgrade_schema(db: Database) -> tuple[set[str], set[str]]:
    """Create or upgrade the schema to head; returns (revisions before, after)."""
    from alembic import command

    before = await current_revisions(db)
    async with db.write() as conn:
        if not db.is_sqlite:
            await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _UPGRADE_LOCK})
        await conn.run_sync(lambda sync: command.upgrade(alembic_config(sync), "head"))
    return before, await current_revisions(db)


async def _at_head(db: Database) -> bool:
    """Whether the database is at `SCHEMA_HEAD`, read without Alembic (False when unsure:
    no version table, another revision; Alembic then says exactly what is wrong)."""
    try:
        async with db.read() as conn:
            rows = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
    except DBAPIError:
        return False
    return [r[0] for r in rows] == [SCHEMA_HEAD]


async def check_schema(db: Database) -> None:
    if await _at_head(db):
        return
    from alembic.script import ScriptDirectory

    current, heads = await current_revisions(db), head_revisions()
    if current == heads:
        return
    if not current:
        raise SchemaOutOfDate(
            f"the database at {db.location} has no SetGet schema yet: run `setget-bot db upgrade`"
        )
    known = {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if not current <= known:
        raise SchemaOutOfDate(
            f"the database schema at {db.location} ({', '.join(sorted(current))}) is newer "
            "than this version of setget-bot: upgrade setget-bot"
        )
    raise SchemaOutOfDate(
        f"the database schema at {db.location} is out of date ({', '.join(sorted(current))}, needs "
        f"{', '.join(sorted(heads))}): run `setget-bot db upgrade`"
    )
