"""Plan benefits: rate limits per workspace and business first when the LLM is saturated."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest

from core.assistant.admission import PriorityGate, RateLimited, RateLimits
from core.plans import Plan
from core.workspaces import Mode, Workspace
from tests.assistant.conftest import Team
from tests.assistant_fakes import ScriptedModel, text_reply


def workspace(plan: Plan, name: str) -> Workspace:
    return Workspace(
        1, name, plan, 50, date(2026, 1, 1), Mode.CLOUD, datetime(2026, 1, 1, tzinfo=UTC)
    )


async def test_business_waiters_are_served_before_earlier_pro_and_free_ones() -> None:
    gate = PriorityGate(capacity=1)
    served: list[str] = []
    release = asyncio.Event()

    async def use(ws: Workspace, hold: bool = False) -> None:
        async with gate.slot(ws):
            served.append(ws.name)
            if hold:
                await release.wait()

    first = asyncio.create_task(use(workspace(Plan.PRO, "holder"), hold=True))
    await asyncio.sleep(0)
    waiters = [
        asyncio.create_task(use(workspace(plan, name)))
        for plan, name in [
            (Plan.FREE, "free-1"),
            (Plan.PRO, "pro-1"),
            (Plan.BUSINESS, "business-1"),
            (Plan.ENTERPRISE, "enterprise-1"),
            (Plan.FREE, "free-2"),
        ]
    ]
    await asyncio.sleep(0)
    assert served == ["holder"]
    release.set()
    await asyncio.gather(first, *waiters)
    assert served == ["holder", "business-1", "enterprise-1", "free-1", "pro-1", "free-2"]


async def test_a_cancelled_waiter_does_not_lose_the_slot() -> None:
    gate = PriorityGate(capacity=1)
    release = asyncio.Event()

    async def hold() -> None:
        async with gate.slot(workspace(Plan.PRO, "a")):
            await release.wait()

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0)
    cancelled = asyncio.create_task(hold())
    await asyncio.sleep(0)
    cancelled.cancel()
    release.set()
    await holder
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    async with asyncio.timeout(1):
        async with gate.slot(workspace(Plan.FREE, "later")):
            pass


async def test_a_workspace_over_its_plans_rate_is_refused_until_the_minute_passes(
    team: Team,
) -> None:
    limits = RateLimits(per_minute={Plan.PRO: 2})
    model = ScriptedModel([text_reply("a"), text_reply("b"), text_reply("c")])
    assistant = team.assistant(model, limits=limits)
    await assistant.ask(team.ask("one", event="e1"))
    await assistant.ask(team.ask("two", event="e2"))
    with pytest.raises(RateLimited, match="limit of 2 AI requests a minute"):
        await assistant.ask(team.ask("three", event="e3"))
    assert (await team.pool.status(team.workspace)).balance.monthly_used == 2
    team.clock.advance(seconds=61)
    answer = await assistant.ask(team.ask("three", event="e3"))
    assert answer.text == "c"
