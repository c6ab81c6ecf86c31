"""Usage figures for the dashboard: by member, by day, by interaction type."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.credits.pricing import InteractionType


@dataclass(frozen=True)
class MemberUsage:
    member_id: int
    member: str
    credits: int
    interactions: int
    cap: int | None


@dataclass(frozen=True)
class DayUsage:
    day: date
    credits: int
    interactions: int


@dataclass(frozen=True)
class TypeUsage:
    interaction_type: InteractionType
    credits: int
    interactions: int


@dataclass(frozen=True)
class UsageFigures:
    """What the store aggregates; `by_day` holds every day asked for, zeros included."""

    by_member: tuple[MemberUsage, ...]
    by_day: tuple[DayUsage, ...]
    by_type: tuple[TypeUsage, ...]
    input_tokens: int
    output_tokens: int
    written_off: int
