"""Direct messages on a platform where one person may share several linked teams with the bot
(Discord: a DM belongs to no guild). The chat layer picks the team a DM is answered for: the
only one, or of several the one the person used last (their latest AI interaction), else the
first; the reply names it when there was a choice."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.chat.people import People
from core.chat.replies import Reply
from core.chat.wording import place_of
from core.ports import UsageStore
from core.workspaces import Platform, Workspace


def none_linked(platform: Platform) -> Reply:
    place, option = place_of(platform)
    return Reply(
        f"I answer for the SetGet workspace of a {place} we share, and none of yours is "
        f"linked to one yet. An admin can link one with "
        f"`setget-bot workspace link NAME {option} ID`."
    )


@dataclass(frozen=True)
class DirectChoice:
    platform: Platform
    team: str
    workspace: Workspace
    among: int  # how many linked teams the person shares with the bot
    last_used: bool  # chosen because they used it last (else: the first, never used)

    def note(self, team_name: str) -> Reply | None:
        """The line that names the choice, when there was one."""
        if self.among < 2:
            return None
        why = "the one you used last" if self.last_used else "the first of them"
        place, _ = place_of(self.platform)
        return Reply(
            f"Answering for **{team_name}** (SetGet workspace {self.workspace.name}): of the "
            f"{self.among} linked {place}s we share, {why}."
        )


class DirectMessages:
    def __init__(self, *, people: People, usage: UsageStore) -> None:
        self._people = people
        self._usage = usage

    async def linked(self, platform: Platform, teams: Sequence[str]) -> list[str]:
        """The teams, in order, that are linked to a workspace."""
        return [t for t in teams if await self._people.workspace(platform, t) is not None]

    async def choose(
        self, platform: Platform, user: str, teams: Sequence[str]
    ) -> DirectChoice | None:
        """The team a DM from `user` is answered for, of the `teams` they share with the bot
        (None: none of them is linked)."""
        linked: list[tuple[str, Workspace]] = []
        for team in dict.fromkeys(teams):
            workspace = await self._people.workspace(platform, team)
            if workspace is not None:
                linked.append((team, workspace))
        if not linked:
            return None
        if len(linked) == 1:
            team, workspace = linked[0]
            return DirectChoice(platform, team, workspace, among=1, last_used=False)
        last = await self._usage.last_used(platform, user, [w.id for _, w in linked])
        for team, workspace in linked:
            if workspace.id == last:
                return DirectChoice(platform, team, workspace, among=len(linked), last_used=True)
        team, workspace = linked[0]
        return DirectChoice(platform, team, workspace, among=len(linked), last_used=False)
