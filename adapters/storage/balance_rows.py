"""Reading, locking and writing a workspace's balance row, and appending ledger entries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.storage.database import utc
from adapters.storage.tables import credit_balances, ledger_entries
from adapters.storage.write_behind import write_rows
from core.credits.balance import Balance, renew
from core.credits.ledger import Bucket, EntryKind, LedgerEntry
from core.ports import CycleContext


def ledger_entry(row: Any) -> LedgerEntry:
    """A `ledger_entries` row as the core's entry."""
    return LedgerEntry(
        kind=EntryKind(row.kind),
        bucket=Bucket(row.bucket),
        delta=row.delta,
        cycle_start=row.cycle_start,
        at=utc(row.at),
        pack_id=row.pack_id,
        interaction_id=row.interaction_id,
        member_id=row.member_id,
        note=row.note,
    )


def _balance(row: Any) -> Balance:
    return Balance(
        cycle_start=row.cycle_start,
        monthly_allocation=row.monthly_allocation,
        monthly_used=row.monthly_used,
        packs_remaining=row.packs_remaining,
        reserved=row.reserved,
    )


async def _balance_row(conn: AsyncConnection, workspace_id: int, *, lock: bool) -> Any:
    query = select(credit_balances).where(credit_balances.c.workspace_id == workspace_id)
    if lock:
        query = query.with_for_update()  # PostgreSQL row lock; SQLite holds the write lock
    return (await conn.execute(query)).one()


async def lock_balance_row(conn: AsyncConnection, workspace_id: int) -> None:
    """Take the balance lock without reading or renewing the balance."""
    await conn.execute(
        select(credit_balances.c.workspace_id)
        .where(credit_balances.c.workspace_id == workspace_id)
        .with_for_update()
    )


async def locked_balance(conn: AsyncConnection, ctx: CycleContext) -> Balance:
    """The balance under its row lock, renewed first if a renewal date has passed."""
    row = await _balance_row(conn, ctx.workspace_id, lock=True)
    balance = _balance(row)
    if balance.cycle_start >= ctx.cycle.start:
        return balance
    renewed, entries = renew(balance, ctx.cycle, ctx.allocation, at=ctx.now)
    await insert_entries(conn, ctx.workspace_id, entries)
    await store_balance(
        conn,
        ctx.workspace_id,
        cycle_start=renewed.cycle_start,
        monthly_allocation=renewed.monthly_allocation,
        monthly_used=renewed.monthly_used,
    )
    return renewed


async def current_balance(conn: AsyncConnection, ctx: CycleContext) -> tuple[Balance, int]:
    """The balance as of `ctx` without writing (a pending renewal is applied in memory)."""
    row = await _balance_row(conn, ctx.workspace_id, lock=False)
    balance = _balance(row)
    if balance.cycle_start < ctx.cycle.start:
        balance, _ = renew(balance, ctx.cycle, ctx.allocation, at=ctx.now)
    return balance, row.packs_added


async def store_balance(conn: AsyncConnection, workspace_id: int, **values: Any) -> None:
    await conn.execute(
        update(credit_balances)
        .where(credit_balances.c.workspace_id == workspace_id)
        .values(**values)
    )


LEDGER_INSERT = ledger_entries.insert()


def ledger_rows(workspace_id: int, entries: Sequence[LedgerEntry]) -> list[dict[str, Any]]:
    return [
        {
            "workspace_id": workspace_id,
            "at": e.at,
            "kind": e.kind.value,
            "bucket": e.bucket.value,
            "delta": e.delta,
            "cycle_start": e.cycle_start,
            "pack_id": e.pack_id,
            "interaction_id": e.interaction_id,
            "member_id": e.member_id,
            "note": e.note,
        }
        for e in entries
    ]


async def insert_entries(
    conn: AsyncConnection, workspace_id: int, entries: Sequence[LedgerEntry]
) -> None:
    await write_rows(conn, LEDGER_INSERT, ledger_rows(workspace_id, entries))
