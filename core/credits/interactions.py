"""One metered AI interaction: its hold on the pool, then its charge."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from core.credits.balance import Balance, ChargeSplit
from core.credits.pricing import InteractionType, TokenUsage

# How each interaction type reads for people: footers, `usage`, `/setget usage`, the audit
# digest. Machine forms (JSON, CSV, the database) keep the enum's values.
INTERACTION_LABELS: dict[InteractionType, str] = {
    InteractionType.SIMPLE_QUESTION: "simple question",
    InteractionType.DATA_ANALYSIS: "data analysis",
    InteractionType.SUMMARIZATION: "summarization",
    InteractionType.ACTION_SINGLE: "action single",
    InteractionType.ACTION_BULK: "action bulk",
    InteractionType.COMPLEX_MULTI_TURN: "complex multi-turn",
}


def interaction_label(kind: InteractionType | str) -> str:
    """The one spelling people see for an interaction type (a stored value is accepted too)."""
    try:
        return INTERACTION_LABELS[InteractionType(kind)]
    except ValueError:
        return str(kind).replace("_", " ")


class InteractionState(enum.StrEnum):
    HELD = "held"  # credits reserved, answer in progress
    SETTLED = "settled"  # answered and charged (once)
    RELEASED = "released"  # no answer (provider failure): nothing charged
    EXPIRED = "expired"  # hold left by a crash, released by the sweep


@dataclass(frozen=True)
class Interaction:
    id: int
    workspace_id: int
    key: str
    member_id: int | None
    state: InteractionState
    reserved: int
    credits: int
    written_off: int
    interaction_type: InteractionType | None
    usage: TokenUsage
    created_at: datetime
    expires_at: datetime
    settled_at: datetime | None


@dataclass(frozen=True)
class Hold:
    """The result of `CreditPool.reserve`: a hold, or the earlier one for the same key."""

    interaction: Interaction
    duplicate: bool

    @property
    def already_answered(self) -> bool:
        return self.interaction.state is InteractionState.SETTLED


@dataclass(frozen=True)
class Charge:
    """What an answered interaction cost and what is left; `duplicate` when settled before."""

    interaction: Interaction
    split: ChargeSplit
    balance: Balance | None  # None in self-hosted mode
    alerts: tuple[int, ...]
    duplicate: bool

    @property
    def credits(self) -> int:
        return self.split.charged
