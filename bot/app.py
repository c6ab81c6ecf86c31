"""The composition root: builds every service from settings, in one place."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from adapters.storage import (
    Database,
    SqlCreditStore,
    SqlUsageStore,
    SqlWorkItemStore,
    SqlWorkspaceStore,
    check_schema,
    open_database,
)
from bot.settings import Settings
from core.admin import WorkspaceAdmin
from core.assistant.admission import PriorityGate
from core.clock import Clock, SystemClock
from core.credits.dashboard import UsageDashboard
from core.credits.pool import CreditPool
from core.ports import CreditStore

if TYPE_CHECKING:
    from adapters.metrics import DeploymentFigures
    from bot.metrics import BotMetrics


@dataclass(frozen=True)
class App:
    settings: Settings
    db: Database
    clock: Clock
    admin: WorkspaceAdmin
    pool: CreditPool
    dashboard: UsageDashboard
    credit_store: SqlCreditStore
    workspace_store: SqlWorkspaceStore
    work_items: SqlWorkItemStore
    llm_gate: PriorityGate  # one per process: business first when LLM calls are saturated
    metrics: BotMetrics | None = None  # a serving process's Prometheus metrics


def build_app(
    settings: Settings,
    *,
    db: Database,
    clock: Clock | None = None,
    metrics: BotMetrics | None = None,
) -> App:
    """The app; with `metrics`, the pool's holds and charges are counted in them."""
    clock = clock or SystemClock()
    workspaces = SqlWorkspaceStore(db)
    credits = SqlCreditStore(db)
    pool_store: CreditStore = credits
    if metrics is not None:
        from bot.credit_metrics import MeasuredCreditStore

        pool_store = MeasuredCreditStore(credits, metrics)
    return App(
        settings=settings,
        db=db,
        clock=clock,
        admin=WorkspaceAdmin(workspaces=workspaces, credits=credits, clock=clock),
        pool=CreditPool(
            store=pool_store,
            clock=clock,
            pricing=settings.pricing(),
            policy=settings.credit_policy(),
        ),
        dashboard=UsageDashboard(usage=SqlUsageStore(db), credits=credits, clock=clock),
        credit_store=credits,
        workspace_store=workspaces,
        work_items=SqlWorkItemStore(db, clock=clock),
        llm_gate=PriorityGate(settings.llm_concurrency),
        metrics=metrics,
    )


def measured(app: App) -> App:
    """The same app with its own metrics (a serving process's): holds and charges counted,
    and the deployment-wide figures read from its database at scrape time."""
    from adapters.metrics import deployment_figures
    from bot.metrics import BotMetrics

    async def figures() -> DeploymentFigures:
        return await deployment_figures(app.db, now=app.clock.now())

    metrics = BotMetrics(figures=figures)
    return build_app(app.settings, db=app.db, clock=app.clock, metrics=metrics)


@asynccontextmanager
async def open_app(
    settings: Settings, *, clock: Clock | None = None, require_schema: bool = True
) -> AsyncIterator[App]:
    """The app on its database; refuses to start on a schema that is not up to date. Only a
    caller that upgrades the schema itself (`require_schema=False`: `db upgrade`, `demo`) may
    create the database file."""
    db = open_database(
        settings.database_url,
        pool_size=settings.database_pool_size,
        create=not require_schema,
    )
    try:
        if require_schema:
            await check_schema(db)
        yield build_app(settings, db=db, clock=clock)
    finally:
        await db.dispose()
