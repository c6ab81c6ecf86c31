"""Chat channels: which project a channel is bound to, and where a team's admins read alerts."""

from __future__ import annotations

from typing import Protocol

from core.errors import InvalidInput
from core.work.ports import WorkItemStore
from core.workspaces import Platform, Workspace


class ChannelSettings(Protocol):
    async def bind_project(
        self, workspace_id: int, platform: Platform, channel_id: str, project: str
    ) -> None: ...

    async def project_for(self, platform: Platform, channel_id: str) -> str | None: ...

    async def set_alerts_channel(
        self, platform: Platform, external_id: str, channel_id: str | None
    ) -> None:
        """The channel of a linked team/guild where usage alerts go (None: DM the admins)."""
        ...

    async def alerts_channel(self, platform: Platform, external_id: str) -> str | None: ...

    async def linked(self, workspace_id: int, platform: Platform) -> list[str]:
        """The teams/guilds of `platform` linked to the workspace."""
        ...


class Channels:
    """Binding a channel to a project checks the project exists in the workspace."""

    def __init__(self, *, settings: ChannelSettings, work: WorkItemStore) -> None:
        self._settings = settings
        self._work = work

    async def bind(
        self, workspace: Workspace, platform: Platform, channel_id: str, project: str
    ) -> str:
        key = project.strip().upper()
        known = sorted(p.key for p in await self._work.projects(workspace.id))
        if key not in known:
            raise InvalidInput(
                f"no project {key or '(none)'} in workspace {workspace.name} "
                f"(projects: {', '.join(known) or 'none'})"
            )
        await self._settings.bind_project(workspace.id, platform, channel_id, key)
        return key

    async def project_for(self, platform: Platform, channel_id: str) -> str | None:
        return await self._settings.project_for(platform, channel_id)
