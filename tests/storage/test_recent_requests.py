"""Rate limits count a workspace's recent AI requests in the database (every replica's)."""

from __future__ import annotations

from datetime import timedelta

from adapters.storage.credit_store import SqlRecentRequests
from bot.app import App
from core.plans import Plan
from tests.fakes import FakeClock


async def test_requests_are_counted_per_workspace_within_the_window(
    app: App, clock: FakeClock
) -> None:
    a = await app.admin.create("a", plan=Plan.PRO)
    b = await app.admin.create("b", plan=Plan.PRO)
    start = clock.now()
    for i in range(3):
        await app.pool.reserve(a, key=f"a{i}", member=None)
        clock.advance(seconds=30)
    await app.pool.reserve(b, key="b0", member=None)
    recent = SqlRecentRequests(app.db)
    assert await recent.count_since(a.id, start) == 3
    assert await recent.count_since(a.id, start + timedelta(seconds=31)) == 1
    assert await recent.count_since(b.id, start) == 1
