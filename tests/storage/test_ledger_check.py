"""`ledger verify` on SQLite and PostgreSQL: a pool used every way verifies clean, and each
kind of corruption of a stored figure is reported by name."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from adapters.storage.ledger_check import workspace_snapshot
from bot.app import App
from core.credits.pricing import InteractionType, TokenUsage
from core.credits.verify import Difference, verify
from core.errors import OutOfCredits, PoolBusy
from core.plans import Plan
from core.workspaces import Member, Mode, Platform, Workspace
from tests.fakes import FakeClock

SIMPLE = InteractionType.SIMPLE_QUESTION


def usage_for(credits: int) -> TokenUsage:
    """Token usage the default pricing turns into exactly `credits` (1 to 6)."""
    return TokenUsage(input_tokens=4000 * credits - 1000, output_tokens=250)


async def differences(app: App) -> list[Difference]:
    found: list[Difference] = []
    for workspace in await app.admin.list():
        found += verify(await workspace_snapshot(app.db, workspace.id, now=app.clock.now()))
    return found


async def ask(app: App, w: Workspace, m: Member | None, key: str, credits: int) -> None:
    await app.pool.reserve(w, key=key, member=m)
    await app.pool.settle(w, key=key, usage=usage_for(credits), interaction_type=SIMPLE)


async def used_pool(app: App) -> tuple[Workspace, Member]:
    """A Pro pool of 10 a month used every way: charges, a release, a pack drawn on, a
    write-off at the end of the pool, a renewal, a grant, a self-hosted workspace."""
    w = await app.admin.create("acme", plan=Plan.PRO, allocation=10)
    m = await app.workspace_store.ensure_member(w.id, Platform.SLACK, "U1", "ann")
    for i in range(3):
        await ask(app, w, m, f"q{i}", 3)  # 9 of 10: the 75 % and 90 % alerts
    await app.pool.reserve(w, key="failed", member=m)
    assert await app.pool.release(w, key="failed")
    await app.admin.buy_pack("acme", 4)
    await ask(app, w, None, "packs", 4)  # 1 monthly + 3 from the pack
    await ask(app, w, m, "end", 6)  # 1 left in the pack: 5 written off
    assert isinstance(app.clock, FakeClock)
    app.clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))  # renewed twice over
    await ask(app, w, m, "renewed", 2)
    await app.admin.grant("acme", 5, reason="sorry")
    await app.pool.reserve(w, key="in-flight", member=m)  # a hold still in flight
    own = await app.admin.create("selfhost", plan=Plan.PRO, mode=Mode.SELF_HOSTED)
    await ask(app, own, None, "own", 2)
    return w, m


async def test_a_pool_used_every_way_verifies_clean(app: App) -> None:
    await used_pool(app)
    assert await differences(app) == []


async def sql(app: App, statement: str) -> None:
    async with app.db.write() as conn:
        result = await conn.execute(text(statement))
        assert result.rowcount >= 1, statement  # the corruption changed something


CORRUPTIONS = {
    "balance_edited": (
        "UPDATE credit_balances SET monthly_used = monthly_used + 1",
        "acme: balance monthly_used: expected 2, found 3",
    ),
    "reserved_drifted": (
        "UPDATE credit_balances SET reserved = 0",
        "acme: balance reserved (holds in flight): expected 1, found 0",
    ),
    "pack_refilled": (
        "UPDATE credit_packs SET remaining = remaining + 2 WHERE source = 'grant'",
        "pack {grant} remaining: expected 5, found 7",
    ),
    "rollup_changed": (
        "UPDATE usage_rollup SET credits = credits + 1 WHERE interaction_type = 'simple_question'"
        " AND day = '2026-03-02' AND member_key <> 0",
        "usage rollup 2026-03-02 member {member} simple_question: expected credits 2",
    ),
    "rollup_row_deleted": (
        "DELETE FROM usage_rollup WHERE member_key = 0 AND day = '2026-03-02'",
        "selfhost: usage rollup 2026-03-02 member 0 simple_question: expected credits 0, "
        "interactions 1, tokens 7000/250, written off 0, found no row",
    ),
    "charge_lost": (
        "DELETE FROM ledger_entries WHERE interaction_id = "
        "(SELECT id FROM interactions WHERE key = 'q1')",
        "settled interaction 'q1' without its ledger entry",
    ),
    "charge_changed": (
        "UPDATE interactions SET credits = 5 WHERE key = 'q2'",
        "settled interaction 'q2' credits: expected 3, found 5",
    ),
    "released_but_charged": (
        "UPDATE interactions SET state = 'released' WHERE key = 'q0'",
        "interaction 'q0' (released) ledger entries: expected 0, found 1",
    ),
    "alert_lost": (
        "DELETE FROM alerts WHERE dedupe_key = 'threshold:2026-01-31:90'",
        "alert threshold:2026-01-31:90 in the outbox: expected recorded, found missing",
    ),
    "grant_lost": (
        "DELETE FROM ledger_entries WHERE kind = 'monthly_grant' AND cycle_start = '2026-01-31'",
        "acme: cycle 2026-01-31 monthly credits neither used nor expired: expected 0, found -10",
    ),
}


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
async def test_each_corruption_is_reported_by_name(app: App, corruption: str) -> None:
    _, member = await used_pool(app)
    statement, expected = CORRUPTIONS[corruption]
    async with app.db.read() as conn:
        grant = await conn.scalar(text("SELECT id FROM credit_packs WHERE source = 'grant'"))
    await sql(app, statement)
    lines = [d.line() for d in await differences(app)]
    wanted = expected.format(member=member.id, grant=grant)
    assert any(wanted in line for line in lines), lines


async def test_a_hold_left_reserved_past_its_expiry_is_reported(app: App, clock: FakeClock) -> None:
    w = await app.admin.create("acme", plan=Plan.PRO)
    await app.pool.reserve(w, key="crashed", member=None)
    assert await differences(app) == []  # in flight: fine
    clock.advance(seconds=app.settings.hold_ttl_seconds + 1)
    [found] = await differences(app)
    assert found.what.startswith("interaction 'crashed' hold expired at")
    assert (found.expected, found.found) == ("released", "held")
    assert await app.pool.release_expired(w) == 1  # the sweep fixes it
    assert await differences(app) == []


async def test_concurrent_reserve_settle_cycles_verify_clean(app: App) -> None:
    """Many tasks race holds and charges (some on shared keys, as retries do) through the
    monthly allocation, a pack and the end of the pool, then the ledger explains it all."""
    w = await app.admin.create("acme", plan=Plan.PRO, allocation=40)
    await app.admin.buy_pack("acme", 20)
    people = [
        await app.workspace_store.ensure_member(w.id, Platform.SLACK, f"U{i}", f"p{i}")
        for i in range(4)
    ]
    rng = random.Random(14)
    outcomes: list[str] = []

    async def worker(n: int) -> None:
        for round_ in range(6):
            key = f"shared-{round_}" if round_ % 3 == 0 else f"w{n}-{round_}"
            try:
                await app.pool.reserve(w, key=key, member=people[n % 4])
            except (OutOfCredits, PoolBusy) as refused:
                outcomes.append(type(refused).__name__)
                continue
            if rng.random() < 0.15 and not key.startswith("shared"):  # no answer: released
                await app.pool.release(w, key=key)
                outcomes.append("released")
                continue
            charge = await app.pool.settle(
                w, key=key, usage=usage_for(rng.randint(1, 6)), interaction_type=SIMPLE
            )
            outcomes.append("duplicate" if charge.duplicate else "charged")

    await asyncio.gather(*(worker(n) for n in range(12)))
    assert "charged" in outcomes
    assert "duplicate" in outcomes
    assert "released" in outcomes
    status = await app.pool.status(w)
    assert status.balance.packs_remaining < 20  # the race reached the packs
    assert await differences(app) == []
