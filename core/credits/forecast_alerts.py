"""The forecast alert: recorded once per cycle for a metered workspace whose recent pace
empties its pool more than `ALERT_MARGIN_DAYS` days before renewal (`core.credits.forecast`).

It is checked by a periodic job rather than after each charge: the pace needs a week of usage
by day, a read the charge's transaction should not carry, and a warning days ahead loses
nothing by waiting an hour. The outbox's unique dedupe key (`forecast:{cycle_start}`) makes it
once per cycle, whichever replica checks first; the notifiers deliver it like any alert.
"""

from __future__ import annotations

import logging
from datetime import date

from core.clock import Clock
from core.credits.alerts import AlertKind, UsageAlert, forecast_key
from core.credits.cycles import cycle_containing
from core.credits.dashboard import UsageDashboard
from core.credits.outbox import AlertOutbox
from core.credits.pool import CreditPool
from core.ports import WorkspaceStore
from core.workspaces import Workspace

logger = logging.getLogger(__name__)


class ForecastAlerts:
    def __init__(
        self,
        *,
        outbox: AlertOutbox,
        workspaces: WorkspaceStore,
        pool: CreditPool,
        dashboard: UsageDashboard,
        clock: Clock,
    ) -> None:
        self._outbox = outbox
        self._workspaces = workspaces
        self._pool = pool
        self._dashboard = dashboard
        self._clock = clock
        self._done: set[tuple[int, date]] = set()  # alerted (or found alerted) by this process

    async def record(self) -> int:
        """Check every metered workspace not yet alerted this cycle; returns how many alerts
        were new. One workspace's failure is logged and the others are still checked."""
        recorded = 0
        for workspace in await self._workspaces.list_workspaces():
            if not workspace.metered:
                continue
            cycle = cycle_containing(workspace.anchor, self._clock.now().date())
            if (workspace.id, cycle.start) in self._done:
                continue  # once per cycle: no need to read its usage again
            try:
                recorded += await self._check(workspace)
            except Exception:
                logger.exception("forecast check of workspace %d failed", workspace.id)
        return recorded

    async def _check(self, workspace: Workspace) -> bool:
        forecast = await self._dashboard.forecast(await self._pool.status(workspace))
        if forecast is None or not forecast.warrants_alert:
            return False
        start = forecast.cycle.start
        new = await self._outbox.record(
            UsageAlert(
                workspace_id=workspace.id,
                kind=AlertKind.FORECAST,
                cycle_start=start,
                dedupe_key=forecast_key(start),
                percent=None,
                created_at=self._clock.now(),
                delivered_at=None,
            )
        )
        self._done.add((workspace.id, start))
        if new:
            logger.info(
                "workspace %d: forecast alert, pool runs out on %s (%d days before renewal)",
                workspace.id,
                forecast.runs_out,
                forecast.days_before_renewal,
            )
        return new
