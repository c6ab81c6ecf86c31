"""Feedback on answers: a person's verdict (👍 or 👎) on one answered AI interaction, kept
beside its audit record, and the store that keeps one verdict per person and answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Feedback:
    """One person's verdict on one answered interaction (`event_id`: its audit record's)."""

    workspace_id: int
    event_id: str
    member_id: int
    positive: bool
    at: datetime


@dataclass(frozen=True)
class FeedbackShare:
    positive: int
    negative: int

    @property
    def given(self) -> int:
        return self.positive + self.negative

    @property
    def percent(self) -> int | None:
        return None if not self.given else round(100 * self.positive / self.given)

    def sentence(self) -> str:
        if not self.given:
            return "Feedback on answers this cycle: none yet."
        votes = f"{self.given:,} vote{'s' if self.given != 1 else ''}"
        return (
            f"Feedback on answers this cycle: {self.percent} % positive "
            f"({self.positive:,} of {votes})."
        )


def share_of(verdicts: Sequence[Feedback]) -> FeedbackShare:
    positive = sum(v.positive for v in verdicts)
    return FeedbackShare(positive=positive, negative=len(verdicts) - positive)


class FeedbackStore(Protocol):
    async def answered(self, workspace_id: int, base_key: str) -> str | None:
        """The event id of the workspace's answered interaction for a message whose first
        attempt charged under `base_key` (that key, or `base_key#n` for a later attempt);
        None when this workspace has no such answer."""
        ...

    async def give(self, feedback: Feedback) -> bool:
        """Keep `feedback` as its person's verdict on the interaction. True when it is new or
        changes the kept verdict; False when that very verdict was kept already."""
        ...

    async def entries(self, workspace_id: int, *, since: datetime | None) -> list[Feedback]:
        """The workspace's verdicts given from `since` on, oldest first."""
        ...
