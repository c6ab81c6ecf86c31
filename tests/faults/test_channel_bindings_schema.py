"""Migration 0006: channel bindings become unique per workspace, existing ones kept.

Issue 8, item 3: `channel_projects` was unique on (platform, channel_id), so a second
workspace binding a channel with the same id took the first one's row. On SQLite and
PostgreSQL: rows bound before the upgrade keep their workspace and project, two workspaces
can then bind the same channel id, the migrated schema matches `tables.py`, and a downgrade
keeps the oldest binding of each channel.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import UniqueConstraint, inspect, select

from adapters.storage import upgrade_schema
from adapters.storage.channels import SqlChannelSettings
from adapters.storage.database import Database
from adapters.storage.tables import channel_projects, metadata, workspaces
from core.workspaces import Platform
from tests.faults.migrations import migrate

BEFORE, AFTER = "0005", "0006"


async def add_workspace(db: Database, name: str) -> int:
    async with db.write() as conn:
        created = await conn.scalar(
            workspaces.insert()
            .values(
                name=name,
                plan="pro",
                allocation=500,
                anchor=date(2026, 1, 1),
                mode="cloud",
                created_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
            .returning(workspaces.c.id)
        )
    return int(created)


async def bindings(db: Database) -> list[tuple[int, str, str, str]]:
    c = channel_projects.c
    async with db.read() as conn:
        rows = await conn.execute(
            select(c.workspace_id, c.platform, c.channel_id, c.project).order_by(c.id)
        )
        return [(r.workspace_id, r.platform, r.channel_id, r.project) for r in rows]


async def unique_constraints(db: Database) -> set[tuple[str, tuple[str, ...]]]:
    async with db.read() as conn:
        found = await conn.run_sync(
            lambda sync: inspect(sync).get_unique_constraints("channel_projects")
        )
    return {(u["name"] or "", tuple(u["column_names"])) for u in found}


def declared() -> set[tuple[str, tuple[str, ...]]]:
    table = metadata.tables["channel_projects"]
    return {
        (str(u.name), tuple(col.name for col in u.columns))
        for u in table.constraints
        if isinstance(u, UniqueConstraint)
    }


async def test_bindings_made_before_the_upgrade_keep_their_workspace(db: Database) -> None:
    await migrate(db, to=BEFORE)
    acme = await add_workspace(db, "acme")
    beta = await add_workspace(db, "beta")
    async with db.write() as conn:
        await conn.execute(
            channel_projects.insert().values(
                workspace_id=acme, platform="slack", channel_id="C0SHARED", project="WEB"
            )
        )

    await migrate(db, to=AFTER)

    assert await bindings(db) == [(acme, "slack", "C0SHARED", "WEB")]
    settings = SqlChannelSettings(db)
    await settings.bind_project(beta, Platform.SLACK, "C0SHARED", "BRV")
    await settings.bind_project(acme, Platform.SLACK, "C0SHARED", "API")
    assert await settings.project_for(acme, Platform.SLACK, "C0SHARED") == "API"
    assert await settings.project_for(beta, Platform.SLACK, "C0SHARED") == "BRV"
    assert await bindings(db) == [
        (acme, "slack", "C0SHARED", "API"),
        (beta, "slack", "C0SHARED", "BRV"),
    ]


async def test_the_migrated_constraint_is_the_one_tables_py_declares(db: Database) -> None:
    await upgrade_schema(db)

    assert declared() == {
        (
            "uq_channel_projects_workspace_id_platform_channel_id",
            ("workspace_id", "platform", "channel_id"),
        )
    }
    assert await unique_constraints(db) == declared()


async def test_a_downgrade_keeps_the_oldest_binding_of_each_channel(db: Database) -> None:
    await migrate(db, to=AFTER)
    acme = await add_workspace(db, "acme")
    beta = await add_workspace(db, "beta")
    settings = SqlChannelSettings(db)
    await settings.bind_project(acme, Platform.SLACK, "C0SHARED", "WEB")
    await settings.bind_project(beta, Platform.SLACK, "C0SHARED", "BRV")
    await settings.bind_project(beta, Platform.SLACK, "C0BETA", "BRV")

    await migrate(db, to=BEFORE, down=True)

    assert await bindings(db) == [
        (acme, "slack", "C0SHARED", "WEB"),
        (beta, "slack", "C0BETA", "BRV"),
    ]
    assert await unique_constraints(db) == {
        ("uq_channel_projects_platform_channel_id", ("platform", "channel_id"))
    }
