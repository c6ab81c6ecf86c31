"""Usage alerts recorded in an outbox, each once, for a notifier to deliver to admins."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime


class AlertKind(enum.StrEnum):
    THRESHOLD = "threshold"  # 75/90/100 % of the monthly allocation used
    PAUSED = "paused"  # monthly and packs both exhausted: AI paused
    PACK_PURCHASED = "pack_purchased"
    RENEWED = "renewed"  # a new cycle started: the monthly allocation is fresh again
    FORECAST = "forecast"  # the recent pace empties the pool more than 3 days before renewal


@dataclass(frozen=True)
class UsageAlert:
    workspace_id: int
    kind: AlertKind
    cycle_start: date
    dedupe_key: str  # unique per workspace: the outbox records each alert once
    percent: int | None
    created_at: datetime
    delivered_at: datetime | None


def threshold_key(cycle_start: date, percent: int) -> str:
    return f"threshold:{cycle_start.isoformat()}:{percent}"


def paused_key(cycle_start: date, packs_added: int) -> str:
    """Paused once per cycle and per refill: a purchase that runs out pauses again."""
    return f"paused:{cycle_start.isoformat()}:{packs_added}"


def pack_key(pack_id: int) -> str:
    return f"pack:{pack_id}"


def renewal_key(cycle_start: date) -> str:
    """One renewal notice per cycle, whichever replica records it first."""
    return f"renewed:{cycle_start.isoformat()}"


def forecast_key(cycle_start: date) -> str:
    """One forecast alert per cycle, however often and on however many replicas it is checked."""
    return f"forecast:{cycle_start.isoformat()}"
