"""The core services on every store: in memory, SQLite and PostgreSQL behave the same."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.storage import (
    SqlCreditStore,
    SqlUsageStore,
    SqlWorkspaceStore,
    open_database,
    upgrade_schema,
)
from core.admin import WorkspaceAdmin
from core.credits.dashboard import UsageDashboard
from core.credits.pool import CreditPolicy, CreditPool
from core.credits.pricing import PricingRule
from core.ports import CreditStore, UsageStore, WorkspaceStore
from tests.databases import fresh_database
from tests.fakes import FakeClock, InMemoryStore


@dataclass
class Core:
    workspaces: WorkspaceStore
    credits: CreditStore
    clock: FakeClock
    admin: WorkspaceAdmin
    pool: CreditPool
    dashboard: UsageDashboard
    usage: UsageStore


def _core(
    workspaces: WorkspaceStore, credits: CreditStore, usage: UsageStore, clock: FakeClock
) -> Core:
    policy = CreditPolicy(hold_ttl=timedelta(minutes=5), wait_for_holds=timedelta(seconds=10))
    return Core(
        workspaces=workspaces,
        credits=credits,
        clock=clock,
        admin=WorkspaceAdmin(workspaces=workspaces, credits=credits, clock=clock),
        pool=CreditPool(store=credits, clock=clock, pricing=PricingRule(), policy=policy),
        dashboard=UsageDashboard(usage=usage, credits=credits, clock=clock),
        usage=usage,
    )


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def core(
    request: pytest.FixtureRequest, clock: FakeClock, tmp_path: Path
) -> AsyncIterator[Core]:
    if request.param == "memory":
        store = InMemoryStore()
        yield _core(store, store, store, clock)
        return
    async with fresh_database(str(request.param), tmp_path) as url:
        db = open_database(url, pool_size=5)
        try:
            await upgrade_schema(db)
            yield _core(SqlWorkspaceStore(db), SqlCreditStore(db), SqlUsageStore(db), clock)
        finally:
            await db.dispose()
