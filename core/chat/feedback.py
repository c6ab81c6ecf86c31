"""Feedback on answers, for every platform: a person's 👍 or 👎 on one answered interaction.

A button carries the message the answer was for (`up:KEY` or `down:KEY`, KEY the platform's
claim key of the question). It is never trusted on its own: the clicking team's workspace must
hold an answered interaction under that key, so a value copied from another workspace is
refused. A click costs nothing. Each person keeps one verdict per answer: the same click
twice is kept once, and the other button replaces the earlier verdict (people change their
minds; the latest counts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from core.assistant.feedback import Feedback, FeedbackShare, share_of
from core.chat.people import Directory, People
from core.chat.replies import Reply, Tone
from core.chat.services import ChatServices
from core.chat.telling import tell
from core.chat.wording import not_linked
from core.claims import attempt_charge_key
from core.workspaces import Workspace

POSITIVE, NEGATIVE = "up", "down"


@dataclass(frozen=True)
class FeedbackClick:
    team: str  # the team or guild the click came from: its workspace must own the answer
    user: str
    value: str  # what the button carried


def button_value(key: str, *, positive: bool) -> str:
    return f"{POSITIVE if positive else NEGATIVE}:{key}"


def parse_value(value: str) -> tuple[bool, str] | None:
    """(positive, key) from a button's value; None for anything else."""
    verdict, _, key = value.partition(":")
    if verdict not in (POSITIVE, NEGATIVE) or not key:
        return None
    return verdict == POSITIVE, key


UNKNOWN = Reply("This button carries no answer I know.", Tone.REFUSAL)
NOT_KEPT = Reply("Feedback is not kept by this deployment.", Tone.REFUSAL)
THANKS = {
    True: Reply("Thanks: noted that this answer helped.", Tone.SUCCESS),
    False: Reply("Thanks: noted that this answer missed. Try asking more precisely.", Tone.INFO),
}
KEPT = {
    True: Reply("You had already said this answer helped."),
    False: Reply("You had already said this answer missed."),
}


class AnswerFeedback:
    def __init__(self, *, services: ChatServices, people: People) -> None:
        self._services = services
        self._people = people

    async def give(self, click: FeedbackClick, *, directory: Directory) -> Reply:
        """Record a click (free of charge); what the person who clicked is told."""
        try:
            return await self._give(click, directory)
        except Exception as exc:
            return tell(exc, doing="recording your feedback")

    async def _give(self, click: FeedbackClick, directory: Directory) -> Reply:
        platform = directory.platform
        workspace = await self._people.workspace(platform, click.team)
        if workspace is None:
            return not_linked(platform, click.team)
        parsed, store = parse_value(click.value), self._services.feedback
        if parsed is None:
            return UNKNOWN
        if store is None:
            return NOT_KEPT
        positive, key = parsed
        event_id = await store.answered(workspace.id, attempt_charge_key(platform, key, 1))
        if event_id is None:
            return Reply(
                f"This is not an answer of {workspace.name}'s: no feedback recorded.", Tone.REFUSAL
            )
        member = await self._people.member(workspace, click.team, click.user, directory)
        verdict = Feedback(workspace.id, event_id, member.id, positive, self._services.clock.now())
        return THANKS[positive] if await store.give(verdict) else KEPT[positive]

    async def since(self, workspace: Workspace, day: date) -> list[Feedback]:
        store = self._services.feedback
        if store is None:
            return []
        return await store.entries(workspace.id, since=datetime.combine(day, time(), tzinfo=UTC))

    async def share(self, workspace: Workspace, day: date) -> FeedbackShare:
        """The verdicts given from `day` on (the cycle's start, for the usage view)."""
        return share_of(await self.since(workspace, day))
