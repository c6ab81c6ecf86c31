"""Usage alerts to a workspace's Slack admins: the team's alerts channel, or else a DM to
each admin (Slack workspace admins and owners, and the members the operator made admins)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import context, section
from adapters.slack.mrkdwn import escape
from core.channels import ChannelSettings
from core.credits.delivery import DeliveryFailed, NoRecipient
from core.credits.notices import Notice
from core.ports import WorkspaceStore
from core.workspaces import Platform, Role, Workspace

logger = logging.getLogger(__name__)

ClientFor = Callable[[str], Awaitable[AsyncWebClient | None]]  # a team's client, if installed
MAX_ADMIN_DMS = 25


class SlackNotifier:
    def __init__(
        self, *, settings: ChannelSettings, workspaces: WorkspaceStore, client_for: ClientFor
    ) -> None:
        self._settings = settings
        self._workspaces = workspaces
        self._client_for = client_for

    @property
    def platform(self) -> Platform:
        return Platform.SLACK

    async def deliver(self, workspace: Workspace, notice: Notice) -> None:
        told = 0
        for team in await self._settings.linked(workspace.id, Platform.SLACK):
            client = await self._client_for(team)
            if client is None:
                continue  # linked, but the app is not installed there
            try:
                told += await self._tell_team(client, workspace, team, notice)
            except SlackApiError as exc:
                retry = exc.response.headers.get("Retry-After") if exc.response else None
                raise DeliveryFailed(
                    f"Slack refused the notice: {exc.response.get('error')}",
                    retry_after=float(retry) if retry else None,
                ) from exc
        if told == 0:
            raise NoRecipient("no Slack alerts channel and no known Slack admin to tell")

    async def _tell_team(
        self, client: AsyncWebClient, workspace: Workspace, team: str, notice: Notice
    ) -> int:
        message = _message(notice)
        channel = await self._settings.alerts_channel(Platform.SLACK, team)
        if channel:
            await client.chat_postMessage(channel=channel, **message)
            return 1
        admins = await self._admins(client, workspace)
        for user in admins:
            opened = await client.conversations_open(users=user)
            await client.chat_postMessage(channel=opened["channel"]["id"], **message)
        return len(admins)

    async def _admins(self, client: AsyncWebClient, workspace: Workspace) -> list[str]:
        made = [
            m.external_id
            for m in await self._workspaces.list_members(workspace.id)
            if m.platform is Platform.SLACK and m.role is Role.ADMIN
        ]
        listed = await client.users_list(limit=200)
        people: list[dict[str, Any]] = listed.get("members", [])
        team_admins = [
            u["id"]
            for u in people
            if (u.get("is_admin") or u.get("is_owner"))
            and not u.get("is_bot")
            and not u.get("deleted")
        ]
        return list(dict.fromkeys([*made, *team_admins]))[:MAX_ADMIN_DMS]


def _message(notice: Notice) -> dict[str, Any]:
    icon = ":rotating_light:" if notice.urgent else ":information_source:"
    return {
        "text": f"{notice.title}: {notice.text}",
        "blocks": [
            section(f"{icon} *{escape(notice.title)}*\n{escape(notice.text)}"),
            context("SetGet AI credits · `/setget usage` for the dashboard"),
        ],
    }
