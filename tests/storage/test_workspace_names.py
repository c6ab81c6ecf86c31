"""Workspace names ignore case: `Demo` cannot join `demo`, by the admin's check and by the
database's unique index (migration 0008), and lookups find a name in any case. On SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from adapters.storage import open_database
from adapters.storage.database import Database
from bot.app import App
from core.credits.cycles import cycle_containing
from core.errors import Conflict
from core.plans import Plan
from core.workspaces import Mode
from tests.faults.migrations import migrate

WHEN = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


async def test_a_name_differing_only_in_case_is_refused_naming_the_existing_one(
    app: App,
) -> None:
    await app.admin.create("demo", plan=Plan.PRO)
    with pytest.raises(Conflict) as caught:
        await app.admin.create("Demo", plan=Plan.FREE)
    assert str(caught.value) == (
        "a workspace named 'demo' already exists; workspace names ignore case, "
        "so 'Demo' is the same name"
    )
    assert [w.name for w in await app.admin.list()] == ["demo"]


async def test_lookups_find_a_workspace_in_any_case(app: App) -> None:
    created = await app.admin.create("Acme", plan=Plan.PRO)
    assert (await app.admin.get("acme")).id == created.id
    assert (await app.admin.get("ACME")).name == "Acme"


async def test_the_database_refuses_it_even_past_the_admin(app: App) -> None:
    """Two creations at once both pass the admin's check; the unique index stops the second."""
    await app.admin.create("demo", plan=Plan.PRO)
    with pytest.raises(Conflict, match="'demo' already exists"):
        await app.workspace_store.create_workspace(
            name="DEMO",
            plan=Plan.PRO,
            allocation=500,
            anchor=WHEN.date(),
            mode=Mode.CLOUD,
            cycle=cycle_containing(WHEN.date(), WHEN.date()),
            now=WHEN,
        )


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    opened = open_database(database_url)
    try:
        yield opened
    finally:
        await opened.dispose()


async def add_workspace(db: Database, name: str) -> None:
    async with db.write() as conn:
        await conn.execute(
            text(
                "INSERT INTO workspaces (name, plan, allocation, anchor, mode, created_at) "
                "VALUES (:name, 'pro', 500, :anchor, 'cloud', :at)"
            ),
            {"name": name, "anchor": date(2026, 11, 1), "at": WHEN},
        )


async def test_the_migration_names_names_that_already_clash(db: Database) -> None:
    await migrate(db, to="0007")
    await add_workspace(db, "Demo")
    await add_workspace(db, "demo")
    await add_workspace(db, "acme")
    with pytest.raises(Conflict, match=r"differ only in case exist \('demo'\)"):
        await migrate(db, to="0008")


async def test_the_migration_keeps_distinct_names_and_downgrades(db: Database) -> None:
    await migrate(db, to="0007")
    await add_workspace(db, "Demo")
    await migrate(db, to="0008")
    with pytest.raises(IntegrityError):
        await add_workspace(db, "DEMO")
    await migrate(db, to="0007", down=True)
    await add_workspace(db, "DEMO")  # the index is gone
