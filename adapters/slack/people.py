"""Who a Slack user is to SetGet: a member of the workspace their team is linked to, and an
admin when Slack says they administer the team (users.info) or the operator made them one.

Members and Slack profiles are cached per process for a short time: every message needs
them, and they change rarely. `workspace admin add` or a member cap takes effect within
`MEMBER_TTL`; a Slack admin change within the profile TTL (`SETGET_SLACK_ADMIN_CACHE_SECONDS`).
The workspace itself is read each time: its plan and allocation decide what a charge does.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from cachetools import TTLCache
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from core.ports import WorkspaceStore
from core.workspaces import Member, Platform, Role, Workspace

logger = logging.getLogger(__name__)

MEMBER_TTL = 60.0  # seconds a member row is remembered
MAX_CACHED = 50_000


@dataclass(frozen=True)
class SlackProfile:
    name: str
    team_admin: bool  # a Slack workspace admin or owner


class SlackPeople:
    def __init__(
        self,
        *,
        workspaces: WorkspaceStore,
        ttl: float = 600.0,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._workspaces = workspaces
        self._profiles: TTLCache[str, SlackProfile] = TTLCache(MAX_CACHED, ttl, timer=now)
        self._members: TTLCache[tuple[int, str], Member] = TTLCache(
            MAX_CACHED, MEMBER_TTL, timer=now
        )

    async def workspace(self, team: str) -> Workspace | None:
        """The SetGet workspace a Slack team is linked to, if any."""
        return await self._workspaces.workspace_for(Platform.SLACK, team)

    async def member(self, workspace: Workspace, user: str, client: AsyncWebClient) -> Member:
        """The member behind `user`, joined on first use, with their effective role."""
        profile = await self.profile(user, client)
        member = self._members.get((workspace.id, user))
        if member is None:
            member = await self._workspaces.ensure_member(
                workspace.id, Platform.SLACK, user, profile.name
            )
            self._members[(workspace.id, user)] = member
        if profile.team_admin and member.role is not Role.ADMIN:
            return dataclasses.replace(member, role=Role.ADMIN)
        return member

    async def profile(self, user: str, client: AsyncWebClient) -> SlackProfile:
        cached = self._profiles.get(user)
        if cached is not None:
            return cached
        try:
            found = (await client.users_info(user=user))["user"]
        except SlackApiError as exc:
            # Without Slack's word, nobody is a Slack admin; operator-made admins still are.
            logger.warning("slack: users.info failed for a user: %s", exc.response.get("error"))
            return SlackProfile(name=user, team_admin=False)
        shown = found.get("profile", {})
        name = (
            shown.get("display_name")
            or shown.get("real_name")
            or found.get("real_name")
            or found.get("name")
            or user
        )
        profile = SlackProfile(
            name=str(name), team_admin=bool(found.get("is_admin") or found.get("is_owner"))
        )
        self._profiles[user] = profile
        return profile
