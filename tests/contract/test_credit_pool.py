"""The credit pool's rules for one AI interaction, on the in-memory store."""

from __future__ import annotations

import asyncio

import pytest

from core.credits.interactions import InteractionState
from core.credits.pricing import InteractionType, TokenUsage
from core.errors import (
    InvalidInput,
    MemberCapReached,
    OutOfCredits,
    PoolBusy,
    ReservationClosed,
)
from core.plans import Plan
from core.workspaces import Member, Mode, Platform, Workspace
from tests.contract.conftest import Core

ONE = TokenUsage(1000, 100)  # 1 credit
THREE = TokenUsage(8000, 1000)  # 3 credits
SIMPLE = InteractionType.SIMPLE_QUESTION


async def setup(core: Core, plan: Plan = Plan.PRO, **kw: object) -> tuple[Workspace, Member]:
    workspace = await core.admin.create("acme", plan=plan, **kw)  # type: ignore[arg-type]
    member = await core.workspaces.ensure_member(workspace.id, Platform.SLACK, "U1", "ann")
    return workspace, member


async def ask(core: Core, w: Workspace, m: Member | None, key: str, usage: TokenUsage = ONE) -> int:
    await core.pool.reserve(w, key=key, member=m)
    charge = await core.pool.settle(w, key=key, usage=usage, interaction_type=SIMPLE)
    return charge.credits


async def test_an_answer_is_charged_its_price_once(core: Core) -> None:
    w, m = await setup(core)
    assert await ask(core, w, m, "ev1", THREE) == 3
    again = await core.pool.settle(w, key="ev1", usage=THREE, interaction_type=SIMPLE)
    assert again.duplicate
    assert again.credits == 3
    status = await core.pool.status(w)
    assert (status.balance.monthly_used, status.balance.reserved) == (3, 0)


async def test_a_retried_event_gets_the_earlier_hold_not_a_new_one(core: Core) -> None:
    w, m = await setup(core)
    first = await core.pool.reserve(w, key="ev1", member=m)
    retry = await core.pool.reserve(w, key="ev1", member=m)
    assert not first.duplicate
    assert retry.duplicate
    assert retry.interaction.id == first.interaction.id
    assert (await core.pool.status(w)).balance.reserved == 1
    await core.pool.settle(w, key="ev1", usage=ONE, interaction_type=SIMPLE)
    assert (await core.pool.reserve(w, key="ev1", member=m)).already_answered


async def test_out_of_credits_names_the_renewal_date_and_the_way_out(core: Core) -> None:
    w, m = await setup(core, Plan.FREE)
    for i in range(50):
        await ask(core, w, m, f"e{i}")
    with pytest.raises(OutOfCredits) as refused:
        await core.pool.reserve(w, key="late", member=m)
    assert "2026-02-28" in str(refused.value)
    assert "upgrade" in str(refused.value)
    assert (await core.pool.status(w)).paused


async def test_pro_out_of_credits_points_to_a_pack_and_a_pack_unpauses(core: Core) -> None:
    w, m = await setup(core, Plan.PRO, allocation=2)
    await ask(core, w, m, "a")
    await ask(core, w, m, "b")
    with pytest.raises(OutOfCredits, match="buy a credit pack"):
        await core.pool.reserve(w, key="c", member=m)
    await core.admin.buy_pack("acme", 10)
    assert await ask(core, w, m, "c", THREE) == 3
    assert (await core.pool.status(w)).balance.packs_remaining == 7


async def test_a_request_waits_for_answers_in_flight_instead_of_refusing(core: Core) -> None:
    w, m = await setup(core, Plan.ENTERPRISE, allocation=1)
    await core.pool.reserve(w, key="first", member=m)
    waiting = asyncio.create_task(core.pool.reserve(w, key="second", member=m))
    await asyncio.sleep(0)
    assert not waiting.done()
    await core.pool.release(w, key="first")  # the first answer failed: its credit is free
    hold = await waiting
    assert hold.interaction.state is InteractionState.HELD


async def test_when_the_answer_in_flight_uses_the_last_credit_the_next_is_out(core: Core) -> None:
    w, m = await setup(core, Plan.ENTERPRISE, allocation=1)
    await core.pool.reserve(w, key="first", member=m)
    waiting = asyncio.create_task(core.pool.reserve(w, key="second", member=m))
    await asyncio.sleep(0)
    await core.pool.settle(w, key="first", usage=ONE, interaction_type=SIMPLE)
    with pytest.raises(OutOfCredits):
        await waiting


async def test_holds_that_never_settle_make_the_pool_busy_not_empty(core: Core) -> None:
    w, m = await setup(core, Plan.ENTERPRISE, allocation=1)
    await core.pool.reserve(w, key="stuck", member=m)
    with pytest.raises(PoolBusy):
        await core.pool.reserve(w, key="next", member=m)


async def test_a_hold_left_by_a_crash_expires_and_frees_its_credit(core: Core) -> None:
    w, m = await setup(core, Plan.ENTERPRISE, allocation=1)
    await core.pool.reserve(w, key="crashed", member=m)
    core.clock.advance(minutes=6)
    assert await ask(core, w, m, "next") == 1
    # The crashed request comes back late: its answer is still charged, never lost.
    late = await core.pool.settle(w, key="crashed", usage=ONE, interaction_type=SIMPLE)
    assert (late.credits, late.split.written_off) == (0, 1)
    assert (await core.credits.ledger_totals(core.pool.context(w))).written_off == 1


async def test_a_released_hold_costs_nothing_and_cannot_be_charged(core: Core) -> None:
    w, m = await setup(core)
    await core.pool.reserve(w, key="failed", member=m)
    assert await core.pool.release(w, key="failed")
    assert not await core.pool.release(w, key="failed")
    with pytest.raises(ReservationClosed):
        await core.pool.settle(w, key="failed", usage=ONE, interaction_type=SIMPLE)
    assert (await core.pool.status(w)).balance.remaining == 500


async def test_a_member_at_their_cap_is_stopped_while_the_team_goes_on(core: Core) -> None:
    w, _ = await setup(core)
    capped = await core.admin.set_member_cap("acme", "slack:U1", 4)
    await ask(core, w, capped, "a", THREE)
    await ask(core, w, capped, "b", ONE)
    with pytest.raises(MemberCapReached, match="cap of 4"):
        await core.pool.reserve(w, key="c", member=capped)
    other = await core.workspaces.ensure_member(w.id, Platform.SLACK, "U2", "bob")
    assert await ask(core, w, other, "d") == 1
    uncapped = await core.admin.set_member_cap("acme", "ann", None)
    assert await ask(core, w, uncapped, "e") == 1


async def test_self_hosted_never_blocks_nor_charges_but_records_tokens(core: Core) -> None:
    w, member = await setup(core, Plan.FREE, mode=Mode.SELF_HOSTED)
    for i in range(60):
        assert await ask(core, w, member, f"e{i}", THREE) == 0
    report = await core.dashboard.report(w)
    assert report.used == 0
    assert report.figures.input_tokens == 60 * 8000
    assert sum(t.interactions for t in report.figures.by_type) == 60
    assert report.balance.remaining == 50


async def test_renewal_restores_the_allocation_even_if_nothing_ran_at_that_moment(
    core: Core,
) -> None:
    w, m = await setup(core, Plan.FREE)
    for i in range(50):
        await ask(core, w, m, f"e{i}")
    core.clock.advance(days=95)  # three renewals later
    status = await core.pool.status(w)
    assert status.cycle.start.isoformat() == "2026-04-30"
    assert (status.balance.remaining, status.paused) == (50, False)
    assert await ask(core, w, m, "back") == 1


async def test_workspaces_are_isolated_even_when_event_ids_collide(core: Core) -> None:
    a, ann = await setup(core)
    b = await core.admin.create("other", plan=Plan.FREE)
    bob = await core.workspaces.ensure_member(b.id, Platform.SLACK, "U1", "bob")
    assert await ask(core, a, ann, "same-event", THREE) == 3
    hold = await core.pool.reserve(b, key="same-event", member=bob)
    assert not hold.duplicate
    await core.pool.settle(b, key="same-event", usage=ONE, interaction_type=SIMPLE)
    assert (await core.pool.status(a)).balance.remaining == 497
    assert (await core.pool.status(b)).balance.remaining == 49
    with pytest.raises(ReservationClosed):
        await core.pool.settle(b, key="only-in-a", usage=ONE, interaction_type=SIMPLE)
    with pytest.raises(InvalidInput, match="not a member of 'other'"):
        await core.pool.reserve(b, key="cross", member=ann)
    assert [m.member for m in (await core.dashboard.report(b)).figures.by_member] == ["bob"]
