"""Where a workspace's credit pool is heading: the recent pace projected to a run-out day.

The rule, in one place for the sentence, the chart and the forecast alert:

- The pace is the credits used per day over the last `PACE_DAYS` days of the cycle, today
  included and counted as a whole day, or over the days elapsed when the cycle is younger
  (on its first day the pace is that day's use so far).
- The pool is what is left now: the monthly allocation's remainder plus credit packs.
- At the end of day `d` the projected use is `used + pace * (d - today)`; the pool runs out on
  the first day whose projected use reaches `used + remaining`, i.e. `ceil(remaining / pace)`
  days after today. Renewal happens at the start of the renewal day, so a pool that would run
  out on that day or later lasts past the renewal.

Pure: no clock, no store; the dashboard hands in the cycle's usage by day and the balance.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from core.credits.cycles import Cycle
from core.credits.usage import DayUsage

PACE_DAYS = 7
ALERT_MARGIN_DAYS = 3  # the alert fires when the pool runs out more than this before renewal
ALERT_MIN_PACE_DAYS = 2  # a first day's pace is a few hours of use: too little to alarm on


class Outlook(enum.StrEnum):
    NO_USE = "no_use"  # nothing used this cycle yet: no pace to project
    LASTS = "lasts"  # at this pace the pool lasts past the renewal
    RUNS_OUT = "runs_out"  # at this pace the pool runs out before the renewal
    EXHAUSTED = "exhausted"  # nothing left now


@dataclass(frozen=True)
class Forecast:
    cycle: Cycle
    today: date
    used: int  # credits used this cycle up to and including today
    remaining: int  # the pool left now (monthly remainder plus packs), never below zero
    pace: Fraction  # credits a day over the pace window
    pace_days: int  # days the pace is measured over (1 to PACE_DAYS)
    outlook: Outlook
    runs_out: date | None  # RUNS_OUT: the projected day; EXHAUSTED: today; otherwise None

    @property
    def days_before_renewal(self) -> int | None:
        """How many days the pool is projected to be empty before the renewal."""
        return None if self.runs_out is None else (self.cycle.renewal - self.runs_out).days

    @property
    def warrants_alert(self) -> bool:
        """The forecast alert's condition: a real pace says the pool ends well before renewal."""
        before = self.days_before_renewal
        return (
            self.outlook is Outlook.RUNS_OUT
            and before is not None
            and before > ALERT_MARGIN_DAYS
            and self.pace_days >= ALERT_MIN_PACE_DAYS
        )

    def projected_use(self, day: date) -> Fraction:
        """Credits used by the end of `day` (today or later) if the pace holds."""
        return self.used + self.pace * max(0, (day - self.today).days)

    @property
    def crossing(self) -> Fraction | None:
        """Days after today at which the projected use reaches the whole pool (None: no pace)."""
        if self.pace <= 0:
            return None
        return Fraction(self.remaining) / self.pace


def forecast(*, cycle: Cycle, today: date, by_day: Iterable[DayUsage], remaining: int) -> Forecast:
    """The forecast on `today` from the cycle's usage by day and the pool left now."""
    if not cycle.contains(today):
        raise ValueError(f"{today} is not in the cycle {cycle.start} to {cycle.renewal}")
    credits = {d.day: d.credits for d in by_day if cycle.start <= d.day <= today}
    used = sum(credits.values())
    pace_days = min(PACE_DAYS, (today - cycle.start).days + 1)
    window_start = today - timedelta(days=pace_days - 1)
    pace = Fraction(sum(c for d, c in credits.items() if d >= window_start), pace_days)
    left = max(0, remaining)
    outlook, runs_out = _outlook(cycle, today, used=used, left=left, pace=pace)
    return Forecast(
        cycle=cycle,
        today=today,
        used=used,
        remaining=left,
        pace=pace,
        pace_days=pace_days,
        outlook=outlook,
        runs_out=runs_out,
    )


def _outlook(
    cycle: Cycle, today: date, *, used: int, left: int, pace: Fraction
) -> tuple[Outlook, date | None]:
    if left <= 0:
        return Outlook.EXHAUSTED, today
    if used == 0:
        return Outlook.NO_USE, None
    if pace <= 0:
        return Outlook.LASTS, None
    days = math.ceil(left / pace)
    if days >= (cycle.renewal - today).days:  # compared in days: a huge pool overflows a date
        return Outlook.LASTS, None
    runs_out = today + timedelta(days=days)
    return Outlook.RUNS_OUT, runs_out


def day_label(day: date) -> str:
    """`19 Dec`: the short date people read in forecasts and on the chart."""
    return f"{day.day} {day:%b}"


def pace_label(f: Forecast) -> str:
    """`about 23 credits a day over the last 7 days`, or today's use on a cycle's first day."""
    if f.pace_days == 1:
        return f"{_credits(f.used)} used today"
    rate = float(f.pace)
    figure = f"{rate:,.0f}" if rate >= 10 or rate == int(rate) else f"{rate:.1f}"
    unit = "credit" if figure == "1" else "credits"
    return f"about {figure} {unit} a day over the last {f.pace_days} days"


def forecast_headline(f: Forecast) -> str:
    """The forecast in a few words, for the chart's subtitle."""
    match f.outlook:
        case Outlook.NO_USE:
            return "No AI use yet this cycle"
        case Outlook.EXHAUSTED:
            return "The pool is used up: AI paused until the renewal"
        case Outlook.LASTS:
            return "At this pace the pool lasts past the renewal"
        case Outlook.RUNS_OUT:
            assert f.runs_out is not None
            return (
                f"At this pace the pool runs out on {day_label(f.runs_out)}, "
                f"{_days(f.days_before_renewal or 0)} before renewal"
            )


def forecast_sentence(f: Forecast) -> str:
    """What the pace says, in one sentence for people (usage, balance, the chart's caption)."""
    renewal = day_label(f.cycle.renewal)
    match f.outlook:
        case Outlook.NO_USE:
            return (
                f"No AI use yet this cycle, so there is no pace to forecast; "
                f"credits renew on {renewal}."
            )
        case Outlook.EXHAUSTED:
            return f"The pool is used up: AI is paused until the renewal on {renewal}."
        case Outlook.LASTS:
            if f.pace <= 0:
                return (
                    f"No AI use in the last {f.pace_days} days: at this pace the pool lasts "
                    f"past the renewal on {renewal}."
                )
            return f"At this pace ({pace_label(f)}) the pool lasts past the renewal on {renewal}."
        case Outlook.RUNS_OUT:
            assert f.runs_out is not None
            return (
                f"At this pace ({pace_label(f)}) the pool runs out on {day_label(f.runs_out)}, "
                f"{_days(f.days_before_renewal or 0)} before the renewal on {renewal}."
            )


def _days(n: int) -> str:
    return f"{n} day{'s' if n != 1 else ''}"


def _credits(n: int) -> str:
    return f"{n:,} credit{'s' if n != 1 else ''}"
