"""Property: whatever the use and the pool, the forecast's day agrees with its pace."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from core.credits.cycles import cycle_containing
from core.credits.forecast import PACE_DAYS, Outlook, forecast
from core.credits.usage import DayUsage

anchors = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))


@st.composite
def cycle_use(draw: st.DrawFn) -> tuple[date, date, list[int], int]:
    anchor = draw(anchors)
    cycle = cycle_containing(anchor, anchor + timedelta(days=draw(st.integers(0, 400))))
    elapsed = draw(st.integers(1, (cycle.renewal - cycle.start).days))
    per_day = draw(st.lists(st.integers(0, 60), min_size=elapsed, max_size=elapsed))
    remaining = draw(st.integers(-20, 3000))
    return anchor, cycle.start + timedelta(days=elapsed - 1), per_day, remaining


@given(cycle_use())
def test_the_run_out_day_is_where_the_pace_first_reaches_the_pool(
    case: tuple[date, date, list[int], int],
) -> None:
    anchor, today, per_day, remaining = case
    cycle = cycle_containing(anchor, today)
    days = [DayUsage(cycle.start + timedelta(days=i), c, 1) for i, c in enumerate(per_day)]
    f = forecast(cycle=cycle, today=today, by_day=days, remaining=remaining)

    window = per_day[-PACE_DAYS:]
    assert f.pace * len(window) == sum(window)  # the pace is the recent days' average
    assert f.used == sum(per_day)
    pool = f.used + max(0, remaining)
    if f.outlook is Outlook.EXHAUSTED:
        assert remaining <= 0
        assert f.runs_out == today
    elif f.outlook is Outlook.NO_USE:
        assert f.used == 0
        assert f.runs_out is None
    elif f.outlook is Outlook.RUNS_OUT:
        assert f.runs_out is not None
        assert today < f.runs_out < cycle.renewal
        before = f.runs_out - timedelta(days=1)
        assert f.projected_use(before) < pool <= f.projected_use(f.runs_out)
        assert f.days_before_renewal == (cycle.renewal - f.runs_out).days
        assert f.warrants_alert == (f.days_before_renewal > 3 and f.pace_days >= 2)
    else:
        assert f.outlook is Outlook.LASTS
        assert f.runs_out is None
        last_day = cycle.renewal - timedelta(days=1)
        assert f.projected_use(last_day) < pool  # still some left when the cycle ends
        assert not f.warrants_alert
