"""Settling one interaction in SQL: the charge, its ledger entries, rollup and alerts."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.storage.alert_outbox import record_alerts
from adapters.storage.balance_rows import insert_entries, locked_balance, store_balance
from adapters.storage.database import Database, utc
from adapters.storage.tables import credit_balances, credit_packs, interactions, usage_rollup
from core.credits.alerts import AlertKind, paused_key, threshold_key
from core.credits.balance import Balance, ChargeSplit, draw_packs, split_charge, thresholds_crossed
from core.credits.interactions import Charge, Interaction, InteractionState
from core.credits.ledger import Bucket, EntryKind, LedgerEntry
from core.credits.pricing import InteractionType, TokenUsage
from core.ports import SettleRequest


def interaction_from_row(row: Any) -> Interaction:
    return Interaction(
        id=row.id,
        workspace_id=row.workspace_id,
        key=row.key,
        member_id=row.member_id,
        state=InteractionState(row.state),
        reserved=row.reserved,
        credits=row.credits,
        written_off=row.written_off,
        interaction_type=InteractionType(row.interaction_type) if row.interaction_type else None,
        usage=TokenUsage(
            input_tokens=row.input_tokens,
            output_tokens=row.output_tokens,
            estimated=bool(row.tokens_estimated),
        ),
        created_at=utc(row.created_at),
        expires_at=utc(row.expires_at),
        settled_at=utc(row.settled_at) if row.settled_at else None,
    )


async def apply_charge(
    db: Database, conn: AsyncConnection, request: SettleRequest, row: Any
) -> Charge:
    """Charge a held (or expired) interaction, under the lock its row already holds."""
    held = row.reserved if row.state == InteractionState.HELD.value else 0
    split, balance = ChargeSplit(0, 0, 0), None
    alerts: tuple[int, ...] = ()
    if request.credits or held:
        split, balance, alerts = await _charge_pool(db, conn, request, row, held)
    ctx = request.ctx
    settled = (
        await conn.execute(
            update(interactions)
            .where(interactions.c.id == row.id)
            .values(
                state=InteractionState.SETTLED.value,
                credits=split.charged,
                pack_credits=split.packs,
                written_off=split.written_off,
                interaction_type=request.interaction_type.value,
                input_tokens=request.usage.input_tokens,
                output_tokens=request.usage.output_tokens,
                tokens_estimated=request.usage.estimated,
                settled_at=ctx.now,
            )
            .returning(interactions)
        )
    ).one()
    await _roll_up(db, conn, request, member_id=row.member_id, split=split)
    return Charge(interaction_from_row(settled), split, balance, alerts, duplicate=False)


async def _charge_pool(
    db: Database, conn: AsyncConnection, request: SettleRequest, row: Any, held: int
) -> tuple[ChargeSplit, Balance, tuple[int, ...]]:
    ctx = request.ctx
    before = await locked_balance(conn, ctx)
    split = split_charge(before, request.credits, held=held)
    after = replace(
        before,
        reserved=before.reserved - held,
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

    def entry(
        kind: EntryKind, bucket: Bucket, delta: int, pack_id: int | None = None
    ) -> LedgerEntry:
        return LedgerEntry(
            kind=kind,
            bucket=bucket,
            delta=delta,
            cycle_start=after.cycle_start,
            at=ctx.now,
            pack_id=pack_id,
            interaction_id=row.id,
            member_id=row.member_id,
        )

    entries = []
    if split.monthly:
        entries.append(entry(EntryKind.CHARGE, Bucket.MONTHLY, -split.monthly))
    for pack_id, take in await _draw_packs(conn, ctx.workspace_id, split.packs):
        entries.append(entry(EntryKind.CHARGE, Bucket.PACKS, -take, pack_id))
    if split.written_off:
        entries.append(entry(EntryKind.WRITE_OFF, Bucket.WRITE_OFF, -split.written_off))
    await insert_entries(conn, ctx.workspace_id, entries)
    crossed = thresholds_crossed(before.monthly_allocation, before.monthly_used, after.monthly_used)
    await _record_alerts(db, conn, request, before=before, after=after, crossed=crossed)
    return split, after, tuple(crossed)


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
    crossed: list[int],
) -> None:
    items: list[tuple[AlertKind, str, int | None]] = [
        (AlertKind.THRESHOLD, threshold_key(after.cycle_start, p), p) for p in crossed
    ]
    if after.paused and not before.paused:
        packs_added = await conn.scalar(
            select(credit_balances.c.packs_added).where(
                credit_balances.c.workspace_id == request.ctx.workspace_id
            )
        )
        items.append((AlertKind.PAUSED, paused_key(after.cycle_start, int(packs_added or 0)), None))
    if items:
        await record_alerts(
            db,
            conn,
            workspace_id=request.ctx.workspace_id,
            cycle_start=after.cycle_start,
            now=request.ctx.now,
            items=items,
        )


async def _roll_up(
    db: Database,
    conn: AsyncConnection,
    request: SettleRequest,
    *,
    member_id: int | None,
    split: ChargeSplit,
) -> None:
    r = usage_rollup.c
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
    insert = db.insert(usage_rollup).values(values)
    await conn.execute(
        insert.on_conflict_do_update(
            index_elements=[r.workspace_id, r.day, r.member_key, r.interaction_type],
            set_={
                "credits": r.credits + insert.excluded.credits,
                "interactions": r.interactions + 1,
                "input_tokens": r.input_tokens + insert.excluded.input_tokens,
                "output_tokens": r.output_tokens + insert.excluded.output_tokens,
                "written_off": r.written_off + insert.excluded.written_off,
            },
        )
    )
