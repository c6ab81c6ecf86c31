"""Chat channels: which project a channel is bound to, and where a team's admins read alerts.

Every per-channel record belongs to a workspace: a channel id is not unique across teams (a
Slack Connect channel has one id in every organisation that shares it), so a binding is
found by workspace, platform and channel together, never by the channel id alone.
"""

from __future__ import annotations

from typing import Protocol

from core.errors import InvalidInput, NotAllowed
from core.work.ports import WorkItemStore
from core.workspaces import Member, Platform, Role, Workspace


class ChannelSettings(Protocol):
    async def bind_project(
        self, workspace_id: int, platform: Platform, channel_id: str, project: str
    ) -> None: ...

    async def project_for(
        self, workspace_id: int, platform: Platform, channel_id: str
    ) -> str | None: ...

    async def team_project(
        self, platform: Platform, external_id: str, channel_id: str
    ) -> str | None:
        """The binding of the workspace the team/guild `external_id` is linked to (None for
        an unlinked team): a message can be read before its workspace is."""
        ...

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
    """Binding a channel to a project is for the workspace's admins and checks the project
    exists in the workspace; anyone may read the binding."""

    def __init__(self, *, settings: ChannelSettings, work: WorkItemStore) -> None:
        self._settings = settings
        self._work = work

    async def bind(
        self, workspace: Workspace, platform: Platform, channel_id: str, project: str, *, by: Member
    ) -> str:
        if by.workspace_id != workspace.id or by.role is not Role.ADMIN:
            raise NotAllowed("only workspace admins can bind a channel to a project")
        key = project.strip().upper()
        known = sorted(p.key for p in await self._work.projects(workspace.id))
        if key not in known:
            raise InvalidInput(
                f"no project {key or '(none)'} in workspace {workspace.name} "
                f"(projects: {', '.join(known) or 'none'})"
            )
        await self._settings.bind_project(workspace.id, platform, channel_id, key)
        return key

    async def project_for(
        self, workspace_id: int, platform: Platform, channel_id: str
    ) -> str | None:
        return await self._settings.project_for(workspace_id, platform, channel_id)

    async def team_project(
        self, platform: Platform, external_id: str, channel_id: str
    ) -> str | None:
        """The channel's project as the linked team/guild `external_id` sees it."""
        return await self._settings.team_project(platform, external_id, channel_id)
