"""Reading what `ledger verify` compares: one workspace per read transaction, one snapshot.

On PostgreSQL the transaction is REPEATABLE READ, so every statement sees the same committed
state even while the bot keeps charging; SQLite's deferred read transaction keeps its WAL
snapshot from the first read to the end.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.storage.balance_rows import ledger_entry
from adapters.storage.database import Database, utc
from adapters.storage.tables import (
    alerts,
    credit_balances,
    credit_packs,
    interactions,
    ledger_entries,
    usage_rollup,
    workspaces,
)
from core.credits.interactions import InteractionState
from core.credits.verify import (
    RollupFigures,
    RollupKey,
    StoredBalance,
    StoredInteraction,
    StoredPack,
    WorkspaceSnapshot,
)
from core.ports import PackSource
from core.workspaces import Mode


async def workspace_snapshot(
    db: Database, workspace_id: int, *, now: datetime
) -> WorkspaceSnapshot:
    """Everything `core.credits.verify.verify` needs about one workspace, read consistently."""
    async with db.read(offload=True) as conn:
        if not db.is_sqlite:  # the first statement of the transaction fixes its snapshot
            await conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
        ws = (await conn.execute(select(workspaces).where(workspaces.c.id == workspace_id))).one()
        return WorkspaceSnapshot(
            workspace=ws.name,
            now=now,
            metered=ws.mode == Mode.CLOUD.value,
            balance=await _balance(conn, workspace_id),
            entries=tuple(
                ledger_entry(r)
                for r in await conn.execute(
                    select(ledger_entries)
                    .where(ledger_entries.c.workspace_id == workspace_id)
                    .order_by(ledger_entries.c.id)
                )
            ),
            interactions=await _interactions(conn, workspace_id),
            packs=tuple(
                StoredPack(
                    id=r.id,
                    purchased=r.source == PackSource.PURCHASE.value,
                    credits=r.credits,
                    remaining=r.remaining,
                )
                for r in await conn.execute(
                    select(credit_packs).where(credit_packs.c.workspace_id == workspace_id)
                )
            ),
            rollup=await _rollup(conn, workspace_id),
            alert_keys=frozenset(
                await conn.scalars(
                    select(alerts.c.dedupe_key).where(alerts.c.workspace_id == workspace_id)
                )
            ),
        )


async def _balance(conn: AsyncConnection, workspace_id: int) -> StoredBalance | None:
    row = (
        await conn.execute(
            select(credit_balances).where(credit_balances.c.workspace_id == workspace_id)
        )
    ).first()
    if row is None:
        return None
    return StoredBalance(
        cycle_start=row.cycle_start,
        monthly_allocation=row.monthly_allocation,
        monthly_used=row.monthly_used,
        packs_remaining=row.packs_remaining,
        reserved=row.reserved,
        packs_added=row.packs_added,
    )


async def _interactions(conn: AsyncConnection, workspace_id: int) -> tuple[StoredInteraction, ...]:
    rows = await conn.execute(
        select(interactions)
        .where(interactions.c.workspace_id == workspace_id)
        .order_by(interactions.c.id)
    )
    return tuple(
        StoredInteraction(
            id=r.id,
            key=r.key,
            member_id=r.member_id,
            state=InteractionState(r.state),
            reserved=r.reserved,
            credits=r.credits,
            pack_credits=r.pack_credits,
            written_off=r.written_off,
            interaction_type=r.interaction_type,
            input_tokens=r.input_tokens,
            output_tokens=r.output_tokens,
            expires_at=utc(r.expires_at),
            settled_at=utc(r.settled_at) if r.settled_at else None,
        )
        for r in rows
    )


async def _rollup(conn: AsyncConnection, workspace_id: int) -> dict[RollupKey, RollupFigures]:
    rows = await conn.execute(
        select(usage_rollup).where(usage_rollup.c.workspace_id == workspace_id)
    )
    return {
        RollupKey(r.day, int(r.member_key), r.interaction_type): RollupFigures(
            credits=int(r.credits),
            interactions=int(r.interactions),
            input_tokens=int(r.input_tokens),
            output_tokens=int(r.output_tokens),
            written_off=int(r.written_off),
        )
        for r in rows
    }
