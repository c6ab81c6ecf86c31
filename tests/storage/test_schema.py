"""Migrations: upgrade creates the schema; the app refuses a missing or foreign schema."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from adapters.storage import SchemaOutOfDate, check_schema, open_database, upgrade_schema
from adapters.storage.schema import SCHEMA_HEAD, head_revisions
from adapters.storage.tables import metadata


async def test_upgrade_creates_every_table_and_is_idempotent(database_url: str) -> None:
    db = open_database(database_url)
    try:
        with pytest.raises(SchemaOutOfDate, match="setget-bot db upgrade"):
            await check_schema(db)
        before, after = await upgrade_schema(db)
        assert (before, after) == (set(), head_revisions())
        assert await upgrade_schema(db) == (after, after)
        await check_schema(db)
        async with db.read() as conn:
            tables = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        assert set(metadata.tables) <= tables
    finally:
        await db.dispose()


async def test_a_schema_newer_than_the_code_is_refused(database_url: str) -> None:
    db = open_database(database_url)
    try:
        await upgrade_schema(db)
        async with db.write() as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = 'f00d'"))
        with pytest.raises(SchemaOutOfDate, match="newer than this version"):
            await check_schema(db)
    finally:
        await db.dispose()


def test_the_schema_head_the_quick_check_expects_is_alembics_head() -> None:
    """`check_schema` reads the version without Alembic when it is SCHEMA_HEAD: a new
    migration must move SCHEMA_HEAD with it, or every command would take the slow path."""
    assert head_revisions() == {SCHEMA_HEAD}


async def test_a_database_at_head_is_checked_without_loading_alembic(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = open_database(database_url)
    try:
        await upgrade_schema(db)
        from adapters.storage import schema

        def no_alembic() -> set[str]:
            raise AssertionError("the quick check should have answered")

        monkeypatch.setattr(schema, "head_revisions", no_alembic)
        await check_schema(db)
    finally:
        await db.dispose()
