"""Operator and admin actions: workspaces, plans, links, admins, caps, packs, grants."""

from __future__ import annotations

from datetime import date

import pytest

from core.credits.ledger import Bucket, EntryKind
from core.errors import Conflict, InvalidInput, NotFound, PacksNotAllowed, WorkspaceNotFound
from core.plans import Plan
from core.workspaces import Mode, Platform, Role
from tests.contract.conftest import Core


async def test_a_new_workspace_starts_with_its_plans_allocation(core: Core) -> None:
    w = await core.admin.create("acme", plan=Plan.BUSINESS)
    assert (w.plan, w.allocation, w.anchor, w.mode) == (
        Plan.BUSINESS,
        2000,
        date(2026, 1, 31),
        Mode.CLOUD,
    )
    status = await core.pool.status(w)
    assert (status.balance.remaining, status.cycle.renewal) == (2000, date(2026, 2, 28))
    entries = await core.credits.ledger(w.id)
    assert [(e.kind, e.delta) for e in entries] == [(EntryKind.MONTHLY_GRANT, 2000)]


@pytest.mark.parametrize(
    ("name", "kwargs", "error", "words"),
    [
        ("bad name!", {"plan": Plan.FREE}, InvalidInput, "bad workspace name"),
        ("corp", {"plan": Plan.ENTERPRISE}, InvalidInput, "--allocation"),
        ("corp", {"plan": Plan.PRO, "allocation": -1}, InvalidInput, "zero or more"),
    ],
)
async def test_bad_workspaces_are_refused_clearly(
    core: Core, name: str, kwargs: dict[str, object], error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words):
        await core.admin.create(name, **kwargs)  # type: ignore[arg-type]
    assert await core.admin.list() == []


async def test_names_are_unique_and_unknown_names_are_named(core: Core) -> None:
    await core.admin.create("acme", plan=Plan.FREE)
    with pytest.raises(Conflict, match="already exists"):
        await core.admin.create("acme", plan=Plan.PRO)
    with pytest.raises(WorkspaceNotFound, match="'nope'"):
        await core.admin.get("nope")


async def test_an_upgrade_tops_up_now_and_a_downgrade_waits_for_renewal(core: Core) -> None:
    w = await core.admin.create("acme", plan=Plan.PRO)
    up = await core.admin.set_plan("acme", Plan.BUSINESS)
    assert up.topup == 1500
    assert (await core.pool.status(up.workspace)).balance.remaining == 2000
    down = await core.admin.set_plan("acme", Plan.PRO)
    assert down.topup == 0
    assert (await core.pool.status(down.workspace)).balance.remaining == 2000
    back_up = await core.admin.set_plan("acme", Plan.BUSINESS)
    assert back_up.topup == 0  # flipping plans mints nothing
    down = await core.admin.set_plan("acme", Plan.PRO)
    core.clock.advance(days=28)
    status = await core.pool.status(down.workspace)
    assert (status.cycle.start, status.balance.monthly_allocation) == (date(2026, 2, 28), 500)
    totals = await core.credits.ledger_totals(core.pool.context(down.workspace))
    assert totals.monthly_this_cycle == 500
    assert w.id == down.workspace.id


async def test_packs_are_for_pro_and_business_and_grants_for_everyone(core: Core) -> None:
    await core.admin.create("free", plan=Plan.FREE)
    await core.admin.create("corp", plan=Plan.ENTERPRISE, allocation=10_000)
    with pytest.raises(PacksNotAllowed, match="upgrade to Pro or Business"):
        await core.admin.buy_pack("free", 100)
    with pytest.raises(PacksNotAllowed, match="operator for a grant"):
        await core.admin.buy_pack("corp", 100)
    balance = await core.admin.grant("free", 25, reason="support ticket 42")
    assert (balance.packs_remaining, balance.remaining) == (25, 75)
    with pytest.raises(InvalidInput, match="reason"):
        await core.admin.grant("free", 25, reason="  ")


@pytest.mark.parametrize("credits", [0, -5, 1_000_001])
async def test_pack_sizes_must_be_sensible(core: Core, credits: int) -> None:
    await core.admin.create("acme", plan=Plan.PRO)
    with pytest.raises(InvalidInput, match="credits must"):
        await core.admin.buy_pack("acme", credits)


async def test_a_purchase_is_in_the_ledger_and_the_outbox(core: Core) -> None:
    w = await core.admin.create("acme", plan=Plan.PRO)
    await core.admin.buy_pack("acme", 100)
    entry = (await core.credits.ledger(w.id))[-1]
    assert (entry.kind, entry.bucket, entry.delta) == (EntryKind.PACK_PURCHASE, Bucket.PACKS, 100)
    assert [a.kind.value for a in await core.credits.alerts(w.id)] == ["pack_purchased"]


async def test_a_team_belongs_to_one_workspace_but_a_workspace_has_many(core: Core) -> None:
    a = await core.admin.create("a", plan=Plan.FREE)
    await core.admin.create("b", plan=Plan.FREE)
    await core.admin.link("a", Platform.SLACK, "T1")
    await core.admin.link("a", Platform.SLACK, "T1")  # idempotent
    await core.admin.link("a", Platform.DISCORD, "G1")
    with pytest.raises(Conflict, match="already linked"):
        await core.admin.link("b", Platform.SLACK, "T1")
    found = await core.workspaces.workspace_for(Platform.DISCORD, "G1")
    assert found is not None
    assert found.id == a.id
    assert await core.workspaces.workspace_for(Platform.SLACK, "T9") is None


async def test_admins_and_caps_name_members_by_platform_id_or_name(core: Core) -> None:
    w = await core.admin.create("acme", plan=Plan.PRO)
    admin = await core.admin.add_admin("acme", Platform.SLACK, "U1")
    assert admin.role is Role.ADMIN
    await core.workspaces.ensure_member(w.id, Platform.DISCORD, "42", "ann")
    capped = await core.admin.set_member_cap("acme", "ann", 10)
    assert (capped.external_id, capped.monthly_cap) == ("42", 10)
    with pytest.raises(NotFound, match="no member 'zed'"):
        await core.admin.set_member_cap("acme", "zed", 10)
    with pytest.raises(InvalidInput, match="between 0"):
        await core.admin.set_member_cap("acme", "ann", -1)
    report = await core.dashboard.report(w)
    assert [(m.member, m.cap) for m in report.figures.by_member] == [("ann", 10)]
