"""Usage alerts to a workspace's Slack admins: the team's alerts channel, or else a DM to
each admin (Slack workspace admins and owners, and the members the operator made admins)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from cachetools import TTLCache
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import context, section
from adapters.slack.errors import slack_error
from adapters.slack.mrkdwn import escape
from core.channels import ChannelSettings
from core.credits.delivery import DeliveryFailed, NoRecipient
from core.credits.notices import Notice
from core.ports import WorkspaceStore
from core.workspaces import Platform, Role, Workspace

logger = logging.getLogger(__name__)

ClientFor = Callable[[str], Awaitable[AsyncWebClient | None]]  # a team's client, if installed
MAX_ADMIN_DMS = 25
MAX_USER_PAGES = 50  # users.list pages of 200 searched for admins
# Slack errors no retry mends: the alerts channel is gone or shut to the bot (then the admins
# are told by DM), or one admin cannot get a DM (the others still are told).
CHANNEL_CLOSED = frozenset({"channel_not_found", "not_in_channel", "is_archived"})
USER_UNREACHABLE = frozenset({"user_not_found", "user_disabled", "cannot_dm_bot"})


class SlackNotifier:
    def __init__(
        self, *, settings: ChannelSettings, workspaces: WorkspaceStore, client_for: ClientFor
    ) -> None:
        self._settings = settings
        self._workspaces = workspaces
        self._client_for = client_for
        # Who already got each notice: when Slack fails half-way (the second of two teams,
        # the third admin's DM), the retry tells only the rest. Kept per process for a day;
        # a retry on another replica may repeat a message, never skip one.
        self._told: TTLCache[str, set[str]] = TTLCache(maxsize=10_000, ttl=86_400)

    @property
    def platform(self) -> Platform:
        return Platform.SLACK

    async def deliver(self, workspace: Workspace, notice: Notice) -> None:
        told = 0
        done = self._told.setdefault(notice.ref, set()) if notice.ref else set()
        for team in await self._settings.linked(workspace.id, Platform.SLACK):
            client = await self._client_for(team)
            if client is None:
                continue  # linked, but the app is not installed there
            try:
                told += await self._tell_team(client, workspace, team, notice, done)
            except SlackApiError as exc:
                retry = exc.response.headers.get("Retry-After") if exc.response else None
                raise DeliveryFailed(
                    f"Slack refused the notice: {slack_error(exc)}",
                    retry_after=float(retry) if retry else None,
                ) from exc
        if told == 0:
            raise NoRecipient("no Slack alerts channel and no known Slack admin to tell")

    async def _tell_team(
        self,
        client: AsyncWebClient,
        workspace: Workspace,
        team: str,
        notice: Notice,
        done: set[str],
    ) -> int:
        message = _message(notice)
        channel = await self._settings.alerts_channel(Platform.SLACK, team)
        if channel:
            if f"{team}:{channel}" in done:
                return 1
            try:
                await client.chat_postMessage(channel=channel, **message)
                done.add(f"{team}:{channel}")
                return 1
            except SlackApiError as exc:
                if slack_error(exc) not in CHANNEL_CLOSED:
                    raise
                logger.warning(
                    "slack: the alerts channel of team %s refuses the bot (%s); "
                    "telling the admins by DM",
                    team,
                    slack_error(exc),
                )
        told = 0
        for user in await self._admins(client, workspace):
            if f"{team}:dm:{user}" in done:
                told += 1
                continue
            reached = await self._direct(client, user, message)
            if reached:
                done.add(f"{team}:dm:{user}")
            told += reached
        return told

    async def _direct(self, client: AsyncWebClient, user: str, message: dict[str, Any]) -> int:
        """1 when `user` got the DM, 0 when Slack says they never can."""
        try:
            opened = await client.conversations_open(users=user)
            await client.chat_postMessage(channel=opened["channel"]["id"], **message)
        except SlackApiError as exc:
            if slack_error(exc) not in USER_UNREACHABLE:
                raise
            logger.info("slack: an admin cannot be sent a DM: %s", slack_error(exc))
            return 0
        return 1

    async def _admins(self, client: AsyncWebClient, workspace: Workspace) -> list[str]:
        made = [
            m.external_id
            for m in await self._workspaces.list_members(workspace.id)
            if m.platform is Platform.SLACK and m.role is Role.ADMIN
        ]
        team_admins: list[str] = []
        pages = 0
        async for page in await client.users_list(limit=200):
            people: list[dict[str, Any]] = page.get("members", [])
            team_admins += [
                u["id"]
                for u in people
                if (u.get("is_admin") or u.get("is_owner"))
                and not u.get("is_bot")
                and not u.get("deleted")
            ]
            pages += 1
            if pages >= MAX_USER_PAGES:
                break
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
