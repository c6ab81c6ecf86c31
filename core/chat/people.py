"""Who a chat user is to SetGet: a member of the workspace their team or guild is linked to,
and an admin when the platform says they administer it (Slack admins and owners, Discord's
Manage Server) or the operator made them one (`setget-bot workspace admin add`).

One rule and one cache for every platform. Members and profiles are remembered for a short
time (the caches are given, e.g. TTL maps): every message needs them and they change rarely.
The workspace itself is read each time: its plan and allocation decide what a charge does.
"""

from __future__ import annotations

import dataclasses
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Protocol

from core.errors import WorkspaceNotFound
from core.ports import WorkspaceStore
from core.workspaces import Member, Platform, Role, Workspace

MAX_ADMINS_TOLD = 25


@dataclass(frozen=True)
class Profile:
    name: str
    platform_admin: bool  # administers the team or guild on the platform itself


class Directory(Protocol):
    """The people of one platform, as that platform knows them."""

    @property
    def platform(self) -> Platform: ...

    async def profile(self, team: str, user: str) -> Profile | None:
        """The person's name and whether they administer `team`; None when the platform
        cannot say just now (nobody is then a platform admin; operator-made admins still
        are, and the answer is not remembered)."""
        ...

    async def platform_admins(self, team: str) -> list[str]:
        """Ids of the people who administer `team` on the platform (no bots, no deleted)."""
        ...


class People:
    def __init__(
        self,
        *,
        workspaces: WorkspaceStore,
        members: MutableMapping[tuple[int, str, str], Member] | None = None,
        profiles: MutableMapping[tuple[str, str, str], Profile] | None = None,
    ) -> None:
        self._workspaces = workspaces
        self._members = members if members is not None else {}
        self._profiles = profiles if profiles is not None else {}

    async def workspace(self, platform: Platform, team: str) -> Workspace | None:
        """The SetGet workspace a team or guild is linked to, if any. The console's "team"
        is the workspace it was started for, by name."""
        if platform is Platform.CONSOLE:
            try:
                return await self._workspaces.get_workspace(team)
            except WorkspaceNotFound:
                return None
        return await self._workspaces.workspace_for(platform, team)

    async def member(
        self, workspace: Workspace, team: str, user: str, directory: Directory
    ) -> Member:
        """The member behind `user`, joined on first use, with their effective role."""
        profile = await self.profile(team, user, directory)
        key = (workspace.id, directory.platform.value, user)
        member = self._members.get(key)
        if member is None:
            member = await self._workspaces.ensure_member(
                workspace.id, directory.platform, user, profile.name
            )
            self._members[key] = member
        if profile.platform_admin and member.role is not Role.ADMIN:
            return dataclasses.replace(member, role=Role.ADMIN)
        return member

    async def profile(self, team: str, user: str, directory: Directory) -> Profile:
        key = (directory.platform.value, team, user)
        cached = self._profiles.get(key)
        if cached is not None:
            return cached
        profile = await directory.profile(team, user)
        if profile is None:
            return Profile(name=user, platform_admin=False)
        self._profiles[key] = profile
        return profile

    async def admins(self, workspace: Workspace, team: str, directory: Directory) -> list[str]:
        """Who to tell on `team`: the members the operator made admins, then the platform's
        admins; at most `MAX_ADMINS_TOLD`."""
        made = [
            m.external_id
            for m in await self._workspaces.list_members(workspace.id)
            if m.platform is directory.platform and m.role is Role.ADMIN
        ]
        ids = [*made, *await directory.platform_admins(team)]
        return list(dict.fromkeys(ids))[:MAX_ADMINS_TOLD]
