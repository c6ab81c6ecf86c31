"""Who a Slack user is to SetGet: a member of the linked workspace, an admin when Slack says
they administer the team (users.info, cached) or the operator made them one."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from core.ports import WorkspaceStore
from core.workspaces import Member, Platform, Role, Workspace

logger = logging.getLogger(__name__)


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
        self._ttl = ttl
        self._now = now
        self._profiles: dict[str, tuple[float, SlackProfile]] = {}

    async def member(self, workspace: Workspace, user: str, client: AsyncWebClient) -> Member:
        """The member behind `user`, joined on first use, with their effective role."""
        profile = await self.profile(user, client)
        member = await self._workspaces.ensure_member(
            workspace.id, Platform.SLACK, user, profile.name
        )
        if profile.team_admin and member.role is not Role.ADMIN:
            return dataclasses.replace(member, role=Role.ADMIN)
        return member

    async def profile(self, user: str, client: AsyncWebClient) -> SlackProfile:
        cached = self._profiles.get(user)
        if cached is not None and self._now() - cached[0] < self._ttl:
            return cached[1]
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
        self._profiles[user] = (self._now(), profile)
        return profile
