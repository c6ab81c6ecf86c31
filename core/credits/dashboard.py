"""The usage dashboard: remaining, used this cycle, by member, by day, by type, renewal, and
where the pool is heading at the recent pace."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from core.clock import Clock
from core.credits.balance import Balance
from core.credits.cycles import Cycle
from core.credits.forecast import Forecast, forecast
from core.credits.pool import CreditStatus, cycle_context
from core.credits.usage import DayUsage, UsageFigures
from core.errors import InvalidInput
from core.ports import CreditStore, UsageStore
from core.workspaces import Workspace

MAX_DAYS = 366


@dataclass(frozen=True)
class UsageReport:
    workspace: Workspace
    cycle: Cycle
    since: date
    until: date
    balance: Balance
    used: int  # credits charged since the cycle started (monthly and packs)
    figures: UsageFigures  # breakdowns over [since, until]
    cycle_days: tuple[DayUsage, ...]  # every day of the cycle up to today, zeros included
    forecast: Forecast | None  # None for a self-hosted workspace: nothing is metered


class UsageDashboard:
    def __init__(self, *, usage: UsageStore, credits: CreditStore, clock: Clock) -> None:
        self._usage = usage
        self._credits = credits
        self._clock = clock

    async def report(self, workspace: Workspace, *, days: int | None = None) -> UsageReport:
        """Breakdowns cover the current cycle, or the last `days` days when given."""
        if days is not None and not 1 <= days <= MAX_DAYS:
            raise InvalidInput(f"--days must be between 1 and {MAX_DAYS}, not {days}")
        ctx = cycle_context(workspace, self._clock.now())
        today = ctx.now.date()
        since = today - timedelta(days=days - 1) if days else ctx.cycle.start
        cycle_figures = await self._usage.usage(ctx, since=ctx.cycle.start, until=today)
        figures = (
            cycle_figures
            if since == ctx.cycle.start
            else await self._usage.usage(ctx, since=since, until=today)
        )
        balance = await self._credits.balance(ctx)
        return UsageReport(
            workspace=workspace,
            cycle=ctx.cycle,
            since=since,
            until=today,
            balance=balance,
            used=sum(t.credits for t in cycle_figures.by_type),
            figures=figures,
            cycle_days=cycle_figures.by_day,
            forecast=_forecast(workspace, ctx.cycle, today, cycle_figures.by_day, balance),
        )

    async def forecast(self, status: CreditStatus) -> Forecast | None:
        """The forecast for a pool just read (`CreditPool.status`); None when self-hosted."""
        if not status.workspace.metered:
            return None
        ctx = cycle_context(status.workspace, self._clock.now())
        if ctx.cycle != status.cycle:  # read just before a renewal: the figures are stale
            balance = await self._credits.balance(ctx)
            status = CreditStatus(workspace=status.workspace, balance=balance, cycle=ctx.cycle)
        today = ctx.now.date()
        figures = await self._usage.usage(ctx, since=ctx.cycle.start, until=today)
        return _forecast(status.workspace, ctx.cycle, today, figures.by_day, status.balance)


def _forecast(
    workspace: Workspace, cycle: Cycle, today: date, days: tuple[DayUsage, ...], balance: Balance
) -> Forecast | None:
    if not workspace.metered:
        return None
    return forecast(cycle=cycle, today=today, by_day=days, remaining=balance.remaining)
