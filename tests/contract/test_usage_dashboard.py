"""The usage dashboard: by member, by day, by type; alerts exactly once per cycle."""

from __future__ import annotations

from datetime import date

import pytest

from core.credits.alerts import AlertKind
from core.credits.pricing import InteractionType, TokenUsage
from core.errors import InvalidInput
from core.plans import Plan
from core.workspaces import Platform
from tests.contract.conftest import Core


async def test_usage_is_broken_down_by_member_day_and_type(core: Core) -> None:
    w = await core.admin.create("acme", plan=Plan.PRO)
    ann = await core.workspaces.ensure_member(w.id, Platform.SLACK, "U1", "ann")
    bob = await core.workspaces.ensure_member(w.id, Platform.DISCORD, "7", "bob")
    plan = [
        (ann, TokenUsage(8000, 1000), InteractionType.SUMMARIZATION),  # 3
        (bob, TokenUsage(1000, 100), InteractionType.SIMPLE_QUESTION),  # 1
        (ann, TokenUsage(1000, 100), InteractionType.SIMPLE_QUESTION),  # 1
    ]
    for i, (member, usage, kind) in enumerate(plan):
        core.clock.advance(days=1)
        await core.pool.reserve(w, key=f"e{i}", member=member)
        await core.pool.settle(w, key=f"e{i}", usage=usage, interaction_type=kind)
    report = await core.dashboard.report(w)
    assert (report.used, report.balance.remaining) == (5, 495)
    assert [(m.member, m.credits, m.interactions) for m in report.figures.by_member] == [
        ("ann", 4, 2),
        ("bob", 1, 1),
    ]
    assert {t.interaction_type: t.credits for t in report.figures.by_type} == {
        InteractionType.SUMMARIZATION: 3,
        InteractionType.SIMPLE_QUESTION: 2,
    }
    by_day = {d.day: d.credits for d in report.figures.by_day}
    assert by_day[date(2026, 2, 1)] == 3
    assert by_day[date(2026, 2, 3)] == 1
    assert report.figures.by_day[0].day == date(2026, 1, 31)
    assert report.figures.input_tokens == 10_000
    last_two = await core.dashboard.report(w, days=2)
    assert [d.day for d in last_two.figures.by_day] == [date(2026, 2, 2), date(2026, 2, 3)]
    assert last_two.used == 5  # the cycle's total stays whole


@pytest.mark.parametrize("days", [0, -3, 400])
async def test_a_bad_day_count_is_refused(core: Core, days: int) -> None:
    w = await core.admin.create("acme", plan=Plan.PRO)
    with pytest.raises(InvalidInput, match="--days"):
        await core.dashboard.report(w, days=days)


async def test_threshold_alerts_fire_once_per_cycle_and_again_next_cycle(core: Core) -> None:
    w = await core.admin.create("acme", plan=Plan.FREE)
    m = await core.workspaces.ensure_member(w.id, Platform.SLACK, "U1", "ann")
    crossed = []
    for i in range(50):
        await core.pool.reserve(w, key=f"a{i}", member=m)
        charge = await core.pool.settle(
            w,
            key=f"a{i}",
            usage=TokenUsage(10, 10),
            interaction_type=InteractionType.SIMPLE_QUESTION,
        )
        crossed.extend(charge.alerts)
    assert crossed == [75, 90, 100]
    first = await core.credits.alerts(w.id)
    assert [(a.kind, a.percent) for a in first] == [
        (AlertKind.THRESHOLD, 75),
        (AlertKind.THRESHOLD, 90),
        (AlertKind.THRESHOLD, 100),
        (AlertKind.PAUSED, None),
    ]
    core.clock.advance(days=28)
    for i in range(38):
        await core.pool.reserve(w, key=f"b{i}", member=m)
        await core.pool.settle(
            w,
            key=f"b{i}",
            usage=TokenUsage(10, 10),
            interaction_type=InteractionType.SIMPLE_QUESTION,
        )
    later = await core.credits.alerts(w.id)
    assert [(a.cycle_start, a.percent) for a in later[len(first) :]] == [(date(2026, 2, 28), 75)]
