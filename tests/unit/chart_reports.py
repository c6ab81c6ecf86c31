"""Usage reports built in memory for chart and forecast tests: a cycle, its use by day, a pool."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from core.credits.balance import Balance
from core.credits.cycles import cycle_containing
from core.credits.dashboard import UsageReport
from core.credits.forecast import forecast
from core.credits.pricing import InteractionType
from core.credits.usage import DayUsage, MemberUsage, TypeUsage, UsageFigures
from core.plans import Plan
from core.workspaces import Mode, Workspace

ANCHOR = date(2026, 11, 30)  # cycles run from the 30th: 30 Nov to 30 Dec


def usage_report(
    per_day: Sequence[int],
    *,
    allocation: int = 500,
    packs_used: int = 0,
    packs_left: int = 0,
    mode: Mode = Mode.CLOUD,
    anchor: date = ANCHOR,
    name: str = "demo",
) -> UsageReport:
    """The report on the day after `per_day` ends (`per_day[i]` credits on the cycle's day i+1,
    today last); monthly credits are spent first, then `packs_used` came from packs."""
    cycle = cycle_containing(anchor, anchor)
    today = cycle.start + timedelta(days=max(0, len(per_day) - 1))
    metered = mode is Mode.CLOUD  # self-hosted: `per_day` counts interactions, 0 credits
    days = tuple(
        DayUsage(cycle.start + timedelta(days=i), c if metered else 0, c and max(1, c // 2))
        if metered
        else DayUsage(cycle.start + timedelta(days=i), 0, c)
        for i, c in enumerate(per_day or [0])
    )
    used = sum(per_day) if metered else 0
    balance = Balance(
        cycle_start=cycle.start,
        monthly_allocation=allocation,
        monthly_used=used - packs_used,
        packs_remaining=packs_left,
        reserved=0,
    )
    workspace = Workspace(
        id=1,
        name=name,
        plan=Plan.PRO,
        allocation=allocation,
        anchor=anchor,
        mode=mode,
        created_at=datetime(anchor.year, anchor.month, anchor.day, tzinfo=UTC),
    )
    interactions = sum(d.interactions for d in days)
    figures = UsageFigures(
        by_member=(MemberUsage(1, "alice", used, interactions, None),) if interactions else (),
        by_day=days,
        by_type=(TypeUsage(InteractionType.SIMPLE_QUESTION, used, interactions),),
        input_tokens=used * 1000,
        output_tokens=used * 100,
        written_off=0,
    )
    return UsageReport(
        workspace=workspace,
        cycle=cycle,
        since=cycle.start,
        until=today,
        balance=balance,
        used=used,
        figures=figures,
        cycle_days=days,
        forecast=forecast(cycle=cycle, today=today, by_day=days, remaining=balance.remaining)
        if metered
        else None,
    )
