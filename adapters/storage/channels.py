"""Channel settings in SQL: project bindings (one per workspace and channel) and alert
channels (one per linked team)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, bindparam, select, update

from adapters.storage.database import Database
from adapters.storage.tables import channel_projects, platform_links
from core.errors import NotFound
from core.workspaces import Platform


class SqlChannelSettings:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def bind_project(
        self, workspace_id: int, platform: Platform, channel_id: str, project: str
    ) -> None:
        row = {
            "workspace_id": workspace_id,
            "platform": platform.value,
            "channel_id": channel_id,
            "project": project,
        }
        upsert = self._db.insert(channel_projects).values(**row)
        async with self._db.write() as conn:
            await conn.execute(
                upsert.on_conflict_do_update(
                    index_elements=["workspace_id", "platform", "channel_id"],
                    set_={"project": project},
                )
            )

    async def project_for(
        self, workspace_id: int, platform: Platform, channel_id: str
    ) -> str | None:
        async with self._db.read() as conn:
            found: str | None = await conn.scalar(
                select(channel_projects.c.project).where(
                    _binding(platform, channel_id),
                    channel_projects.c.workspace_id == workspace_id,
                )
            )
        return found

    async def team_project(
        self, platform: Platform, external_id: str, channel_id: str
    ) -> str | None:
        """One query: the team's link names the workspace whose binding counts."""
        params = {"p": platform.value, "team": external_id, "channel": channel_id}
        async with self._db.read() as conn:
            found: str | None = await conn.scalar(_TEAM_PROJECT, params)
        return found

    async def set_alerts_channel(
        self, platform: Platform, external_id: str, channel_id: str | None
    ) -> None:
        async with self._db.write() as conn:
            changed = await conn.execute(
                update(platform_links)
                .where(_link(platform, external_id))
                .values(alerts_channel=channel_id)
            )
        if changed.rowcount == 0:
            raise NotFound(f"{platform.value} {external_id} is not linked to a workspace")

    async def alerts_channel(self, platform: Platform, external_id: str) -> str | None:
        async with self._db.read() as conn:
            found: str | None = await conn.scalar(
                select(platform_links.c.alerts_channel).where(_link(platform, external_id))
            )
        return found

    async def linked(self, workspace_id: int, platform: Platform) -> list[str]:
        async with self._db.read() as conn:
            rows = await conn.scalars(
                select(platform_links.c.external_id)
                .where(
                    (platform_links.c.workspace_id == workspace_id)
                    & (platform_links.c.platform == platform.value)
                )
                .order_by(platform_links.c.id)
            )
            return list(rows)


def _binding(platform: Platform, channel_id: str) -> ColumnElement[bool]:
    return (channel_projects.c.platform == platform.value) & (
        channel_projects.c.channel_id == channel_id
    )


def _link(platform: Platform, external_id: str) -> ColumnElement[bool]:
    return (platform_links.c.platform == platform.value) & (
        platform_links.c.external_id == external_id
    )


# Read on every message: built once, with parameters.
_TEAM_PROJECT = (
    select(channel_projects.c.project)
    .join(platform_links, platform_links.c.workspace_id == channel_projects.c.workspace_id)
    .where(
        platform_links.c.platform == bindparam("p"),
        platform_links.c.external_id == bindparam("team"),
        channel_projects.c.platform == bindparam("p"),
        channel_projects.c.channel_id == bindparam("channel"),
    )
)
