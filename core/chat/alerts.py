"""Usage alerts to a workspace's admins on one platform: each linked team's alerts channel,
or else a direct message to each admin (platform admins and operator-made admins).

The outbox's lease and backoff (`core.credits.delivery`) decide when a notice is sent; this
decides to whom. When a platform fails half-way (the second of two teams, the third admin's
DM), the retry tells only those not yet told: who was told is remembered per notice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Protocol

from core.channels import ChannelSettings
from core.chat.people import Directory, People
from core.credits.alerts import AlertKind
from core.credits.notices import Notice
from core.credits.outbox import Elsewhere, NoRecipient
from core.errors import SetGetError
from core.workspaces import Platform, Workspace

logger = logging.getLogger(__name__)


class Unreachable(SetGetError):
    """This channel or person can never be told (gone, archived, the bot shut out): no
    retry mends it, unlike `core.credits.delivery.DeliveryFailed`."""


class AlertSender(Protocol):
    """Sends notices on one platform. Raise `Unreachable` for a recipient that can never be
    told, `DeliveryFailed` (with the platform's retry-after) to be retried later."""

    @property
    def platform(self) -> Platform: ...

    async def directory(self, team: str) -> Directory | None:
        """Who is who on `team`; None when the bot is not installed there. Raises
        `Elsewhere` when another process of the bot serves `team` (a Discord shard)."""
        ...

    async def to_channel(self, team: str, channel: str, notice: Notice) -> None: ...

    async def to_user(self, team: str, user: str, notice: Notice) -> None: ...


# Alerts that mean the pool moved a lot: a platform's dashboard pages are redrawn after them.
REFRESHING = frozenset({AlertKind.THRESHOLD, AlertKind.PAUSED, AlertKind.PACK_PURCHASED})
Refresh = Callable[[Workspace, str], Awaitable[None]]  # redraw a team's dashboard pages


class ChatNotifier:
    """A `core.credits.delivery.Notifier` for any chat platform; `refresh` redraws a team's
    dashboards (Slack's Home tabs) after an alert that moved the pool."""

    def __init__(
        self,
        *,
        sender: AlertSender,
        settings: ChannelSettings,
        people: People,
        told: MutableMapping[str, set[str]] | None = None,
        refresh: Refresh | None = None,
    ) -> None:
        self._refresh = refresh
        self._sender = sender
        self._settings = settings
        self._people = people
        # The working memory of one delivery; the dispatcher loads it from the outbox before
        # a send and records what the send added, so a retry on any replica tells only those
        # not yet told.
        self._told = told if told is not None else {}

    @property
    def platform(self) -> Platform:
        return self._sender.platform

    @property
    def told(self) -> MutableMapping[str, set[str]]:
        """Who has been told of each notice (`Notice.ref` -> recipient keys)."""
        return self._told

    async def deliver(self, workspace: Workspace, notice: Notice) -> None:
        told, elsewhere = 0, []
        done = self._told.setdefault(notice.ref, set()) if notice.ref else set()
        for team in await self._settings.linked(workspace.id, self.platform):
            try:
                directory = await self._sender.directory(team)
            except Elsewhere:
                elsewhere.append(team)
                continue
            if directory is None:
                continue  # linked, but the bot is not installed there
            told += await self._tell_team(workspace, team, directory, notice, done)
            if self._refresh is not None and notice.kind in REFRESHING:
                await self._redraw(workspace, team)
        if elsewhere:  # told what this process could; another one serves the rest
            raise Elsewhere(f"{', '.join(elsewhere)} served by another process")
        if told == 0:
            raise NoRecipient(
                f"no {self.platform.value} alerts channel and no known "
                f"{self.platform.value} admin to tell"
            )

    async def _redraw(self, workspace: Workspace, team: str) -> None:
        assert self._refresh is not None
        try:
            await self._refresh(workspace, team)
        except Exception as exc:  # a stale dashboard never holds back an alert
            logger.warning("%s: a dashboard was not redrawn: %s", self.platform.value, exc)

    async def _tell_team(
        self, workspace: Workspace, team: str, directory: Directory, notice: Notice, done: set[str]
    ) -> int:
        channel = await self._settings.alerts_channel(self.platform, team)
        if channel:
            if f"{team}:{channel}" in done:
                return 1
            try:
                await self._sender.to_channel(team, channel, notice)
                done.add(f"{team}:{channel}")
                return 1
            except Unreachable as exc:
                logger.warning(
                    "%s: the alerts channel of %s refuses the bot (%s); telling the admins by DM",
                    self.platform.value,
                    team,
                    exc,
                )
        told = 0
        for user in await self._people.admins(workspace, team, directory):
            key = f"{team}:dm:{user}"
            if key not in done:
                try:
                    await self._sender.to_user(team, user, notice)
                except Unreachable as exc:
                    logger.info("%s: an admin cannot be sent a DM: %s", self.platform.value, exc)
                    continue
                done.add(key)
            told += 1
        return told
