"""Usage alerts sent on Slack: to a team's alerts channel or an admin's DM, with Slack's
answers sorted into "never reachable" and "try again later"."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import context, section
from adapters.slack.directory import SlackDirectory
from adapters.slack.errors import slack_error
from adapters.slack.mrkdwn import escape
from core.chat.alerts import Unreachable
from core.credits.notices import Notice
from core.credits.outbox import DeliveryFailed
from core.workspaces import Platform

ClientFor = Callable[[str], Awaitable[AsyncWebClient | None]]  # a team's client, if installed
# Slack errors no retry mends: the alerts channel is gone or shut to the bot, or one admin
# cannot get a DM.
CHANNEL_CLOSED = frozenset({"channel_not_found", "not_in_channel", "is_archived"})
USER_UNREACHABLE = frozenset({"user_not_found", "user_disabled", "cannot_dm_bot"})


class SlackAlertSender:
    def __init__(self, *, client_for: ClientFor) -> None:
        self._client_for = client_for

    @property
    def platform(self) -> Platform:
        return Platform.SLACK

    async def directory(self, team: str) -> SlackDirectory | None:
        client = await self._client_for(team)
        return None if client is None else SlackDirectory(client)

    async def to_channel(self, team: str, channel: str, notice: Notice) -> None:
        await self._send(team, notice, channel=channel, closed=CHANNEL_CLOSED)

    async def to_user(self, team: str, user: str, notice: Notice) -> None:
        await self._send(team, notice, user=user, closed=USER_UNREACHABLE)

    async def _send(
        self,
        team: str,
        notice: Notice,
        *,
        closed: frozenset[str],
        channel: str | None = None,
        user: str | None = None,
    ) -> None:
        client = await self._client_for(team)
        if client is None:
            raise Unreachable(f"the app is not installed on team {team}")
        try:
            if user is not None:
                channel = (await client.conversations_open(users=user))["channel"]["id"]
            await client.chat_postMessage(channel=channel or "", **_message(notice))
        except SlackApiError as exc:
            code = slack_error(exc)
            if code in closed:
                raise Unreachable(code) from exc
            retry = exc.response.headers.get("Retry-After") if exc.response else None
            raise DeliveryFailed(
                f"Slack refused the notice: {code}",
                retry_after=float(retry) if retry else None,
            ) from exc


def _message(notice: Notice) -> dict[str, Any]:
    icon = ":rotating_light:" if notice.urgent else ":information_source:"
    return {
        "text": f"{notice.title}: {notice.text}",
        "blocks": [
            section(f"{icon} *{escape(notice.title)}*\n{escape(notice.text)}"),
            context("SetGet AI credits · `/setget usage` for the dashboard"),
        ],
    }
