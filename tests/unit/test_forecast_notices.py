"""What admins read for a forecast alert: the day the pool runs out and what to do; when the
pace changed before delivery, what it says now."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from core.credits.alerts import AlertKind, UsageAlert, forecast_key
from core.credits.cycles import Cycle
from core.credits.forecast import Forecast, forecast
from core.credits.notices import notice_for
from core.credits.usage import DayUsage
from core.plans import Plan
from core.workspaces import Mode, Workspace

CYCLE = Cycle(date(2026, 1, 31), date(2026, 2, 28))
AT = datetime(2026, 2, 9, 10, 0, tzinfo=UTC)
ALERT = UsageAlert(1, AlertKind.FORECAST, CYCLE.start, forecast_key(CYCLE.start), None, AT, None)


def acme(plan: Plan = Plan.PRO) -> Workspace:
    return Workspace(1, "acme", plan, 500, CYCLE.start, Mode.CLOUD, AT)


def pace(per_day: int, *, remaining: int, cycle: Cycle = CYCLE) -> Forecast:
    days = [DayUsage(cycle.start + timedelta(days=i), per_day, 1) for i in range(10)]
    return forecast(cycle=cycle, today=days[-1].day, by_day=days, remaining=remaining)


def test_the_notice_names_the_day_and_the_plan_s_remedy() -> None:
    notice = notice_for(
        acme(), ALERT, None, renews_on=CYCLE.renewal, forecast=pace(30, remaining=200)
    )
    assert (notice.kind, notice.urgent) == (AlertKind.FORECAST, False)
    assert notice.title == "acme: AI credits on course to run out on 16 Feb"
    assert notice.text == (
        "At this pace (about 30 credits a day over the last 7 days) the pool runs out on 16 Feb, "
        "12 days before the renewal on 28 Feb. To keep AI answering until then, an admin can "
        "buy a credit pack."
    )
    assert notice.ref == "1:forecast:2026-01-31"
    free = notice_for(
        acme(Plan.FREE), ALERT, None, renews_on=CYCLE.renewal, forecast=pace(3, remaining=20)
    )
    assert free.text.endswith("To keep AI answering until then, an admin can upgrade the plan.")


def test_a_pace_that_slowed_before_delivery_is_told_as_it_is_now() -> None:
    notice = notice_for(
        acme(), ALERT, None, renews_on=CYCLE.renewal, forecast=pace(1, remaining=400)
    )
    assert notice.title == "acme: AI credits forecast"
    assert notice.text == (
        "The pace of AI use had acme's credits running out more than 3 days before renewal. "
        "Now: at this pace (about 1 credit a day over the last 7 days) the pool lasts past the "
        "renewal on 28 Feb."
    )


def test_without_the_pace_now_the_notice_says_what_was_found() -> None:
    next_cycle = Cycle(CYCLE.renewal, date(2026, 3, 31))
    for stale in (None, pace(30, remaining=200, cycle=next_cycle)):
        notice = notice_for(acme(), ALERT, None, renews_on=CYCLE.renewal, forecast=stale)
        assert notice.title == "acme: AI credits on course to run out before renewal"
        assert notice.text == (
            "At the recent pace of AI use, acme's credits were on course to run out more than "
            "3 days before they renew on 2026-02-28. To keep AI answering until then, an admin "
            "can buy a credit pack."
        )
