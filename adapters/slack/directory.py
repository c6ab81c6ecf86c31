"""Who is who on a Slack team, as Slack says: names and admin flags from `users.info`, the
team's admins from `users.list`; one rule decides "admin" for both."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import slack_error
from core.chat.people import Profile
from core.workspaces import Platform

logger = logging.getLogger(__name__)

MAX_USER_PAGES = 50  # users.list pages of 200 searched for admins


def profile_of(user: dict[str, Any]) -> Profile:
    """A Slack user object as a profile: admins and owners administer the team, unless the
    account is a bot or deactivated."""
    shown = user.get("profile", {})
    name = (
        shown.get("display_name")
        or shown.get("real_name")
        or user.get("real_name")
        or user.get("name")
        or user.get("id", "")
    )
    admin = bool(user.get("is_admin") or user.get("is_owner"))
    active = not user.get("is_bot") and not user.get("deleted")
    return Profile(name=str(name), platform_admin=admin and active)


class SlackDirectory:
    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    @property
    def platform(self) -> Platform:
        return Platform.SLACK

    async def profile(self, team: str, user: str) -> Profile | None:
        try:
            found = (await self.client.users_info(user=user))["user"]
        except SlackApiError as exc:
            logger.warning("slack: users.info failed for a user: %s", slack_error(exc))
            return None
        return profile_of(found)

    async def platform_admins(self, team: str) -> list[str]:
        admins: list[str] = []
        pages = 0
        async for page in await self.client.users_list(limit=200):
            people: list[dict[str, Any]] = page.get("members", [])
            admins += [u["id"] for u in people if profile_of(u).platform_admin]
            pages += 1
            if pages >= MAX_USER_PAGES:
                break
        return admins
