"""Rate limits count a workspace's recent AI requests in the database (every replica's)."""

from __future__ import annotations

import pytest

from bot.app import App
from core.errors import RateLimited
from core.plans import Plan
from tests.fakes import FakeClock


async def test_requests_are_counted_per_workspace_within_the_window(
    app: App, clock: FakeClock
) -> None:
    a = await app.admin.create("a", plan=Plan.PRO)
    b = await app.admin.create("b", plan=Plan.PRO)
    for i in range(3):
        await app.pool.reserve(a, key=f"a{i}", member=None, per_minute=3)
        clock.advance(seconds=20)
    with pytest.raises(RateLimited, match="limit of 3 AI requests a minute"):
        await app.pool.reserve(a, key="a3", member=None, per_minute=3)
    await app.pool.reserve(b, key="b0", member=None, per_minute=3)  # another workspace's count

    clock.advance(seconds=1)  # the first request is now more than a minute old
    await app.pool.reserve(a, key="a3", member=None, per_minute=3)
    with pytest.raises(RateLimited):
        await app.pool.reserve(a, key="a4", member=None, per_minute=3)
    retry = await app.pool.reserve(a, key="a3", member=None, per_minute=3)
    assert retry.duplicate  # a retried event is the earlier hold, never refused
    assert (await app.pool.status(a)).balance.reserved == 4
