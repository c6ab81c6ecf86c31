"""Billing cycles computed from a workspace's anchor date (same day each month, clamped)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, order=True)
class Cycle:
    """One billing cycle: `start` inclusive, `renewal` (the next cycle's start) exclusive."""

    start: date
    renewal: date

    def contains(self, day: date) -> bool:
        return self.start <= day < self.renewal


def _month_day(anchor: date, months: int) -> date:
    """The anchor's day of month, `months` months after the anchor, clamped to month end."""
    index = anchor.year * 12 + anchor.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(anchor.day, last))


def cycle_containing(anchor: date, day: date) -> Cycle:
    """The cycle `day` falls in; renewal is computed, so downtime never skips a renewal."""
    months = (day.year - anchor.year) * 12 + day.month - anchor.month
    start = _month_day(anchor, months)
    if start > day:
        months -= 1
        start = _month_day(anchor, months)
    return Cycle(start=start, renewal=_month_day(anchor, months + 1))
