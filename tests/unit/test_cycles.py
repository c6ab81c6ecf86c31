"""Billing cycles from the anchor date."""

from datetime import date

import pytest

from core.credits.cycles import Cycle, cycle_containing


@pytest.mark.parametrize(
    ("anchor", "day", "start", "renewal"),
    [
        (date(2026, 1, 31), date(2026, 1, 31), date(2026, 1, 31), date(2026, 2, 28)),
        (date(2026, 1, 31), date(2026, 2, 27), date(2026, 1, 31), date(2026, 2, 28)),
        (date(2026, 1, 31), date(2026, 2, 28), date(2026, 2, 28), date(2026, 3, 31)),
        (date(2026, 1, 31), date(2026, 3, 30), date(2026, 2, 28), date(2026, 3, 31)),
        (date(2026, 1, 31), date(2026, 4, 30), date(2026, 4, 30), date(2026, 5, 31)),
        (date(2028, 1, 31), date(2028, 2, 29), date(2028, 2, 29), date(2028, 3, 31)),  # leap
        (date(2026, 3, 15), date(2026, 3, 14), date(2026, 2, 15), date(2026, 3, 15)),
        (date(2026, 12, 5), date(2027, 1, 4), date(2026, 12, 5), date(2027, 1, 5)),
        (date(2026, 12, 5), date(2027, 1, 5), date(2027, 1, 5), date(2027, 2, 5)),
    ],
)
def test_cycle_is_computed_from_the_anchor_and_clamped(
    anchor: date, day: date, start: date, renewal: date
) -> None:
    assert cycle_containing(anchor, day) == Cycle(start, renewal)


def test_a_day_after_years_of_downtime_still_falls_in_the_right_cycle() -> None:
    cycle = cycle_containing(date(2020, 5, 31), date(2026, 6, 30))
    assert cycle == Cycle(date(2026, 6, 30), date(2026, 7, 31))
    assert cycle.contains(date(2026, 7, 30))
    assert not cycle.contains(date(2026, 7, 31))


def test_every_day_of_a_year_falls_in_exactly_one_cycle() -> None:
    anchor = date(2026, 1, 31)
    day = date(2026, 1, 31)
    previous = cycle_containing(anchor, day)
    for offset in range(400):
        current = cycle_containing(anchor, date.fromordinal(day.toordinal() + offset))
        assert current.contains(date.fromordinal(day.toordinal() + offset))
        assert current in (previous, Cycle(previous.renewal, current.renewal))
        previous = current
