"""The forecast: the recent pace projected to the day the pool runs out, and its sentence."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import pytest

from core.credits.cycles import Cycle
from core.credits.forecast import Forecast, Outlook, forecast, forecast_headline, forecast_sentence
from core.credits.usage import DayUsage

CYCLE = Cycle(start=date(2026, 11, 30), renewal=date(2026, 12, 30))


def on_day(n: int, per_day: list[int], *, remaining: int) -> Forecast:
    """The forecast on the cycle's day `n` (1 = its start), `per_day` from the start."""
    days = [DayUsage(CYCLE.start + timedelta(days=i), c, 1) for i, c in enumerate(per_day)]
    return forecast(
        cycle=CYCLE, today=CYCLE.start + timedelta(days=n - 1), by_day=days, remaining=remaining
    )


def test_the_pace_of_the_last_seven_days_says_the_pool_runs_out_before_renewal() -> None:
    # 19 days: 5 a day for the first 12, then 20 a day: the pace is the last week's, 20.
    f = on_day(19, [5] * 12 + [20] * 7, remaining=220)
    assert (f.pace, f.pace_days, f.used) == (20, 7, 200)
    assert f.outlook is Outlook.RUNS_OUT
    assert f.runs_out == date(2026, 12, 29)  # 220 / 20 = 11 days after 18 Dec
    assert f.days_before_renewal == 1
    assert forecast_sentence(f) == (
        "At this pace (about 20 credits a day over the last 7 days) the pool runs out on "
        "29 Dec, 1 day before the renewal on 30 Dec."
    )


def test_the_run_out_day_is_the_first_day_whose_projected_use_reaches_the_pool() -> None:
    f = on_day(10, [10] * 10, remaining=25)  # 10 a day: 2.5 days of credits left
    assert f.runs_out == date(2026, 12, 12)  # 9 Dec + 3: by the end of 11 Dec only 20 more
    assert f.projected_use(date(2026, 12, 11)) == 120 < f.used + f.remaining
    assert f.projected_use(date(2026, 12, 12)) == 130 >= f.used + f.remaining
    assert f.days_before_renewal == 18
    assert f.warrants_alert
    headline = forecast_headline(f)
    assert headline == "At this pace the pool runs out on 12 Dec, 18 days before renewal"


def test_a_slow_pace_lasts_past_the_renewal() -> None:
    f = on_day(10, [3] * 10, remaining=470)
    assert f.outlook is Outlook.LASTS
    assert (f.runs_out, f.days_before_renewal, f.warrants_alert) == (None, None, False)
    assert forecast_sentence(f) == (
        "At this pace (about 3 credits a day over the last 7 days) the pool lasts past the "
        "renewal on 30 Dec."
    )


def test_a_pool_that_would_last_past_the_last_calendar_date_lasts_past_the_renewal() -> None:
    # An enterprise pool of ten billion credits at 1 a day: its run-out day is past 9999.
    f = on_day(10, [1] * 10, remaining=10_000_000_000)
    assert (f.outlook, f.runs_out, f.warrants_alert) == (Outlook.LASTS, None, False)


def test_running_out_on_the_renewal_day_itself_is_lasting_past_it() -> None:
    f = on_day(20, [10] * 20, remaining=100)  # 19 Dec + 10 days = 29 Dec: one day early
    assert (f.outlook, f.runs_out) == (Outlook.RUNS_OUT, date(2026, 12, 29))
    f = on_day(20, [10] * 20, remaining=101)  # needs part of 30 Dec: renewed by then
    assert f.outlook is Outlook.LASTS


def test_no_use_yet_has_no_pace_to_forecast() -> None:
    for f in (on_day(1, [], remaining=500), on_day(9, [0] * 9, remaining=500)):
        assert (f.outlook, f.pace, f.runs_out) == (Outlook.NO_USE, 0, None)
        assert not f.warrants_alert
        assert forecast_sentence(f) == (
            "No AI use yet this cycle, so there is no pace to forecast; credits renew on 30 Dec."
        )


def test_use_only_before_the_last_week_is_no_pace() -> None:
    f = on_day(15, [40] + [0] * 14, remaining=460)
    assert (f.outlook, f.pace) == (Outlook.LASTS, 0)
    assert forecast_sentence(f) == (
        "No AI use in the last 7 days: at this pace the pool lasts past the renewal on 30 Dec."
    )


def test_the_first_day_paces_on_that_day_alone_and_does_not_alarm() -> None:
    f = on_day(1, [40], remaining=10)  # a morning burst on a free plan
    assert (f.pace, f.pace_days) == (40, 1)
    assert (f.outlook, f.runs_out) == (Outlook.RUNS_OUT, date(2026, 12, 1))
    assert not f.warrants_alert  # one day is too little to warn about a month
    assert forecast_sentence(f).startswith("At this pace (40 credits used today) the pool runs")
    assert on_day(2, [40, 0], remaining=10).warrants_alert  # from the second day on


def test_a_cycle_younger_than_a_week_paces_over_the_days_elapsed() -> None:
    f = on_day(3, [6, 0, 3], remaining=491)
    assert (f.pace, f.pace_days) == (Fraction(3), 3)


def test_an_exhausted_pool_says_so_and_sends_no_forecast_alert() -> None:
    f = on_day(14, [50] * 14, remaining=0)
    assert (f.outlook, f.runs_out, f.remaining) == (Outlook.EXHAUSTED, date(2026, 12, 13), 0)
    assert not f.warrants_alert  # the paused alert says it
    assert forecast_sentence(f) == "The pool is used up: AI is paused until the renewal on 30 Dec."
    assert on_day(14, [50] * 14, remaining=-3).remaining == 0


def test_packs_are_part_of_the_pool_the_pace_draws_on() -> None:
    monthly_only = on_day(16, [30] * 16, remaining=20)
    with_packs = on_day(16, [30] * 16, remaining=20 + 300)
    assert monthly_only.runs_out == date(2026, 12, 16)
    assert with_packs.runs_out == date(2026, 12, 26)  # 320 / 30: 11 days after 15 Dec
    assert with_packs.days_before_renewal == 4
    assert with_packs.warrants_alert


def test_three_days_before_renewal_is_not_yet_an_alert() -> None:
    four = on_day(20, [10] * 20, remaining=60)  # runs out 25 Dec: 5 days early
    assert (four.days_before_renewal, four.warrants_alert) == (5, True)
    three = on_day(20, [10] * 20, remaining=70)  # 26 Dec: 4 days early
    assert (three.days_before_renewal, three.warrants_alert) == (4, True)
    exactly = on_day(20, [10] * 20, remaining=80)  # 27 Dec: 3 days, not more than 3
    assert (exactly.days_before_renewal, exactly.warrants_alert) == (3, False)


def test_a_day_outside_the_cycle_is_refused() -> None:
    with pytest.raises(ValueError, match="not in the cycle"):
        forecast(cycle=CYCLE, today=CYCLE.renewal, by_day=[], remaining=5)
