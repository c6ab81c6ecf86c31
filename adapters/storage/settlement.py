"""Settling an interaction in SQL: one charge, its ledger entries, rollup and alerts.

The common case takes a fast path that locks the workspace's balance row with its last
statement, so the hot lock is held only for that statement and the commit. When the charge
does not fit the monthly allocation (packs, write-off) or a renewal is due, the transaction
is rolled back and redone under the balance lock with the full rules of `split_charge`.
The answer's turns and audit record are written by the path that claims the interaction, in
its transaction: once whichever path commits, and never by a settle that finds it settled.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import BindParameter, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.storage.alert_outbox import record_alerts
from adapters.storage.answer_rows import write_answer
from adapters.storage.balance_rows import (
    LEDGER_INSERT,
    insert_entries,
    ledger_rows,
    locked_balance,
    store_balance,
)
from adapters.storage.database import Database
from adapters.storage.interaction_rows import claim, interaction_from_row, settled_before
from adapters.storage.tables import credit_balances, credit_packs, interactions, usage_rollup
from adapters.storage.write_behind import WriteBehind
from core.credits.alerts import AlertKind, paused_key, threshold_key
from core.credits.balance import Balance, ChargeSplit, draw_packs, split_charge, thresholds_crossed
from core.credits.interactions import Charge
from core.credits.ledger import Bucket, EntryKind, LedgerEntry
from core.ports import SettleRequest


class NeedsBalanceLock(Exception):
    """The fast path does not apply; settle again under the balance lock."""


async def settle_fast(
    db: Database, conn: AsyncConnection, request: SettleRequest, later: WriteBehind | None = None
) -> Charge:
    """`later`: where the rows nothing reads back go (a group commit's, written at its end);
    without it they are written at once."""
    later = later or WriteBehind(conn)
    row = await claim(db, conn, request)
    if row is None:
        return await settled_before(conn, request)
    held, credits = row.reserved, request.credits
    # Before the rollup and balance rows: only this interaction's row is locked meanwhile.
    await write_answer(later, request.record, credits=credits)
    if not credits and not held:  # self-hosted: record usage only
        await _roll_up(db, later, request, member_id=row.member_id, split=ChargeSplit(0, 0, 0))
        return Charge(interaction_from_row(row), ChargeSplit(0, 0, 0), None, (), duplicate=False)
    ctx = request.ctx
    entry = _entry(
        row,
        EntryKind.CHARGE,
        Bucket.MONTHLY,
        -credits,
        request=request,
        cycle_start=ctx.cycle.start,
    )
    await later.add(LEDGER_INSERT, ledger_rows(ctx.workspace_id, [entry]))
    split = ChargeSplit(monthly=credits, packs=0, written_off=0)
    await _roll_up(db, later, request, member_id=row.member_id, split=split)
    params = {"w": ctx.workspace_id, "cs": ctx.cycle.start, "credits": credits, "held": held}
    charged = (await conn.execute(db.prepared("fast_charge", _fast_charge), params)).first()
    if charged is None:
        raise NeedsBalanceLock
    after = Balance(
        cycle_start=ctx.cycle.start,
        monthly_allocation=charged.monthly_allocation,
        monthly_used=charged.monthly_used,
        packs_remaining=charged.packs_remaining,
        reserved=charged.reserved,
    )
    before = replace(
        after, monthly_used=after.monthly_used - credits, reserved=after.reserved + held
    )
    crossed = await _record_alerts(
        db, conn, request, before=before, after=after, packs_added=charged.packs_added
    )
    return Charge(interaction_from_row(row), split, after, crossed, duplicate=False)


def _fast_charge(_db: Database) -> Any:
    """The case of `split_charge` where the whole price comes from the monthly allocation
    and no other request's hold is touched: one conditional UPDATE, as for a hold."""
    b = credit_balances.c
    credits: BindParameter[int] = bindparam("credits")
    held: BindParameter[int] = bindparam("held")
    return (
        update(credit_balances)
        .where(
            b.workspace_id == bindparam("w"),
            b.cycle_start == bindparam("cs"),
            b.monthly_allocation - b.monthly_used >= credits,
            b.monthly_allocation - b.monthly_used + b.packs_remaining - b.reserved + held
            >= credits,
        )
        .values(reserved=b.reserved - held, monthly_used=b.monthly_used + credits)
        .returning(
            b.monthly_allocation, b.monthly_used, b.packs_remaining, b.reserved, b.packs_added
        )
    )


async def settle_locked(db: Database, conn: AsyncConnection, request: SettleRequest) -> Charge:
    row = await claim(db, conn, request)
    if row is None:
        return await settled_before(conn, request)
    ctx = request.ctx
    # Count the interaction in the rollup first: its row lock is then taken before the
    # balance lock, in the same order as the fast path, so the two paths cannot deadlock.
    await _roll_up(
        db, WriteBehind(conn), request, member_id=row.member_id, split=ChargeSplit(0, 0, 0)
    )
    before = await locked_balance(conn, ctx)
    split = split_charge(before, request.credits, held=row.reserved)
    after = replace(
        before,
        reserved=before.reserved - row.reserved,
        monthly_used=before.monthly_used + split.monthly,
        packs_remaining=before.packs_remaining - split.packs,
    )
    await store_balance(
        conn,
        ctx.workspace_id,
        reserved=after.reserved,
        monthly_used=after.monthly_used,
        packs_remaining=after.packs_remaining,
    )
    settled = (
        await conn.execute(
            update(interactions)
            .where(interactions.c.id == row.id)
            .values(credits=split.charged, pack_credits=split.packs, written_off=split.written_off)
            .returning(interactions)
        )
    ).one()
    await _charge_entries(conn, request, row, split, after)
    await _add_rollup_credits(conn, request, member_id=row.member_id, split=split)
    await write_answer(WriteBehind(conn), request.record, credits=split.charged)
    packs_added = await conn.scalar(
        select(credit_balances.c.packs_added).where(
            credit_balances.c.workspace_id == ctx.workspace_id
        )
    )
    crossed = await _record_alerts(
        db, conn, request, before=before, after=after, packs_added=int(packs_added or 0)
    )
    return Charge(interaction_from_row(settled), split, after, crossed, duplicate=False)


async def _charge_entries(
    conn: AsyncConnection, request: SettleRequest, row: Any, split: ChargeSplit, after: Balance
) -> None:
    start = after.cycle_start
    entries = []
    if split.monthly:
        entries.append(
            _entry(
                row,
                EntryKind.CHARGE,
                Bucket.MONTHLY,
                -split.monthly,
                request=request,
                cycle_start=start,
            )
        )
    for pack_id, take in await _draw_packs(conn, request.ctx.workspace_id, split.packs):
        entries.append(
            _entry(
                row,
                EntryKind.CHARGE,
                Bucket.PACKS,
                -take,
                request=request,
                cycle_start=start,
                pack_id=pack_id,
            )
        )
    if split.written_off:
        entries.append(
            _entry(
                row,
                EntryKind.WRITE_OFF,
                Bucket.WRITE_OFF,
                -split.written_off,
                request=request,
                cycle_start=start,
            )
        )
    await insert_entries(conn, request.ctx.workspace_id, entries)


def _entry(
    row: Any,
    kind: EntryKind,
    bucket: Bucket,
    delta: int,
    *,
    request: SettleRequest,
    cycle_start: date,
    pack_id: int | None = None,
) -> LedgerEntry:
    return LedgerEntry(
        kind=kind,
        bucket=bucket,
        delta=delta,
        cycle_start=cycle_start,
        at=request.ctx.now,
        pack_id=pack_id,
        interaction_id=row.id,
        member_id=row.member_id,
    )


async def _draw_packs(
    conn: AsyncConnection, workspace_id: int, credits: int
) -> list[tuple[int, int]]:
    if not credits:
        return []
    packs = await conn.execute(
        select(credit_packs.c.id, credit_packs.c.remaining).where(
            credit_packs.c.workspace_id == workspace_id, credit_packs.c.remaining > 0
        )
    )
    draws = draw_packs([(p.id, p.remaining) for p in packs], credits)
    for pack_id, take in draws:
        await conn.execute(
            update(credit_packs)
            .where(credit_packs.c.id == pack_id)
            .values(remaining=credit_packs.c.remaining - take)
        )
    return draws


async def _record_alerts(
    db: Database,
    conn: AsyncConnection,
    request: SettleRequest,
    *,
    before: Balance,
    after: Balance,
    packs_added: int,
) -> tuple[int, ...]:
    """Record the thresholds this charge crossed, and the pause if it emptied the pool."""
    crossed = thresholds_crossed(before.monthly_allocation, before.monthly_used, after.monthly_used)
    items: list[tuple[AlertKind, str, int | None]] = [
        (AlertKind.THRESHOLD, threshold_key(after.cycle_start, p), p) for p in crossed
    ]
    if after.paused and not before.paused:
        items.append((AlertKind.PAUSED, paused_key(after.cycle_start, packs_added), None))
    if items:
        await record_alerts(
            db,
            conn,
            workspace_id=request.ctx.workspace_id,
            cycle_start=after.cycle_start,
            now=request.ctx.now,
            items=items,
        )
    return tuple(crossed)


def _rollup_upsert(db: Database) -> Any:
    r = usage_rollup.c
    insert = db.insert(usage_rollup)
    return insert.on_conflict_do_update(
        index_elements=[r.workspace_id, r.day, r.member_key, r.interaction_type],
        set_={
            "credits": r.credits + insert.excluded.credits,
            "interactions": r.interactions + 1,
            "input_tokens": r.input_tokens + insert.excluded.input_tokens,
            "output_tokens": r.output_tokens + insert.excluded.output_tokens,
            "written_off": r.written_off + insert.excluded.written_off,
        },
    )


async def _roll_up(
    db: Database,
    later: WriteBehind,
    request: SettleRequest,
    *,
    member_id: int | None,
    split: ChargeSplit,
) -> None:
    values = {
        "workspace_id": request.ctx.workspace_id,
        "day": request.ctx.now.date(),
        "member_key": member_id or 0,
        "interaction_type": request.interaction_type.value,
        "credits": split.charged,
        "interactions": 1,
        "input_tokens": request.usage.input_tokens,
        "output_tokens": request.usage.output_tokens,
        "written_off": split.written_off,
    }
    await later.add(db.prepared("rollup_upsert", _rollup_upsert), [values])


async def _add_rollup_credits(
    conn: AsyncConnection, request: SettleRequest, *, member_id: int | None, split: ChargeSplit
) -> None:
    r = usage_rollup.c
    await conn.execute(
        update(usage_rollup)
        .where(
            r.workspace_id == request.ctx.workspace_id,
            r.day == request.ctx.now.date(),
            r.member_key == (member_id or 0),
            r.interaction_type == request.interaction_type.value,
        )
        .values(credits=r.credits + split.charged, written_off=r.written_off + split.written_off)
    )
