"""The credit pool in SQL: holds, charges and releases, each one atomic transaction.

Locks are always taken in the same order (interaction row, then member row, then the
workspace balance row) so PostgreSQL transactions never deadlock; on SQLite every write
transaction holds the database write lock from BEGIN. A hold under a rate limit counts the
workspace's recent interactions after it has the balance lock: every other hold of the
workspace has committed (and is counted) or waits for that lock, so a burst admits exactly
the limit.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, bindparam, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.storage.alert_outbox import list_alerts, record_alerts
from adapters.storage.audit_log import insert_audit
from adapters.storage.balance_rows import (
    current_balance,
    insert_entries,
    ledger_entry,
    lock_balance_row,
    locked_balance,
    store_balance,
)
from adapters.storage.database import Database
from adapters.storage.group_commit import GroupCommit
from adapters.storage.interaction_rows import (
    interaction_from_row,
    new_interaction,
    started_since,
)
from adapters.storage.settlement import NeedsBalanceLock, settle_fast, settle_locked
from adapters.storage.tables import (
    credit_balances,
    credit_packs,
    interactions,
    ledger_entries,
    members,
    usage_rollup,
)
from adapters.storage.write_behind import WriteBehind
from core.assistant.audit import AuditRecord
from core.credits.alerts import AlertKind, UsageAlert, pack_key
from core.credits.balance import Balance
from core.credits.interactions import Charge, InteractionState
from core.credits.ledger import Bucket, EntryKind, LedgerEntry, LedgerTotals
from core.ports import (
    CycleContext,
    HoldOutcome,
    HoldRequest,
    HoldStatus,
    PackSource,
    RateWindow,
    SettleRequest,
)


class _Refused(Exception):
    """Rolls a hold's transaction back and carries the outcome out of it."""

    def __init__(self, outcome: HoldOutcome) -> None:
        self.outcome = outcome


def _hold_insert(db: Database) -> Any:
    """A new hold; a key already used in the workspace inserts nothing."""
    return db.insert(interactions).on_conflict_do_nothing().returning(interactions)


def _hold_reserve(_db: Database) -> Any:
    b = credit_balances.c
    amount: BindParameter[int] = bindparam("n")
    return (
        update(credit_balances)
        .where(
            b.workspace_id == bindparam("w"),
            b.cycle_start == bindparam("cs"),
            b.monthly_allocation - b.monthly_used + b.packs_remaining - b.reserved >= amount,
        )
        .values(reserved=b.reserved + amount)
    )


class SqlCreditStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        # SQLite's one writer: concurrent holds and settles share transactions.
        self.group_commit = GroupCommit(db) if db.is_sqlite else None

    async def hold(self, request: HoldRequest) -> HoldOutcome:
        if self.group_commit is None:
            return await self._hold_alone(request)
        return await self.group_commit.run(
            lambda conn, later: self._hold(conn, request, later), lambda: self._hold_alone(request)
        )

    async def _hold_alone(self, request: HoldRequest) -> HoldOutcome:
        try:
            async with self._db.write() as conn:
                return await self._hold(conn, request, WriteBehind(conn))
        except _Refused as refused:
            return refused.outcome

    async def _hold(
        self, conn: AsyncConnection, request: HoldRequest, later: WriteBehind
    ) -> HoldOutcome:
        ctx = request.ctx
        inserted = (
            await conn.execute(
                self._db.prepared("hold_insert", _hold_insert), new_interaction(request)
            )
        ).first()
        if inserted is None:
            existing = await self._interaction_row(conn, ctx.workspace_id, request.key)
            return HoldOutcome(HoldStatus.DUPLICATE, interaction_from_row(existing), None)
        if request.member_cap is not None and not await self._within_cap(conn, request, later):
            raise _Refused(HoldOutcome(HoldStatus.MEMBER_CAP, None, None))
        await self._reserve_within_rate(conn, request)
        return HoldOutcome(HoldStatus.HELD, interaction_from_row(inserted), None)

    async def _reserve_within_rate(self, conn: AsyncConnection, request: HoldRequest) -> None:
        """Reserve the hold's amount; refuse it past the rate limit, counted once every
        branch holds the balance lock."""
        ctx, rate = request.ctx, request.rate
        short = None  # the locked balance, when the fast path did not reserve
        if request.amount and not await self._reserve(conn, request):
            short = await locked_balance(conn, ctx)
        elif not request.amount and rate is not None:
            await lock_balance_row(conn, ctx.workspace_id)  # unmetered: nothing to reserve
        if rate is not None:
            await self._within_rate(conn, request, rate)
        if short is not None:
            if short.available < request.amount:
                raise _Refused(HoldOutcome(HoldStatus.INSUFFICIENT, None, short))
            await store_balance(conn, ctx.workspace_id, reserved=short.reserved + request.amount)

    async def _within_rate(
        self, conn: AsyncConnection, request: HoldRequest, rate: RateWindow
    ) -> None:
        """Refuse past the member's share, then past the workspace's limit (this hold is
        counted: it was inserted in this transaction)."""
        workspace_id, member_id = request.ctx.workspace_id, request.member_id
        if rate.member_limit is not None and member_id is not None:
            mine = await started_since(conn, workspace_id, rate.since, member_id=member_id)
            if mine > rate.member_limit:
                raise _Refused(HoldOutcome(HoldStatus.MEMBER_RATE_LIMITED, None, None))
        if await started_since(conn, workspace_id, rate.since) > rate.limit:
            raise _Refused(HoldOutcome(HoldStatus.RATE_LIMITED, None, None))

    async def _reserve(self, conn: AsyncConnection, request: HoldRequest) -> bool:
        """The fast path: one conditional UPDATE when the stored cycle is current."""
        params = {"w": request.ctx.workspace_id, "cs": request.ctx.cycle.start, "n": request.amount}
        result = await conn.execute(self._db.prepared("hold_reserve", _hold_reserve), params)
        return bool(result.rowcount)

    async def _within_cap(
        self, conn: AsyncConnection, request: HoldRequest, later: WriteBehind
    ) -> bool:
        """Used this cycle plus holds in flight, this hold included, within the cap."""
        assert request.member_id is not None
        assert request.member_cap is not None
        await later.flush()  # the batch's settles counted in the rollup before it is read
        # NO KEY UPDATE: the hold's own insert took a KEY SHARE lock on this row (its foreign
        # key); a plain FOR UPDATE would deadlock two holds of the same member.
        await conn.execute(
            select(members.c.id)
            .where(members.c.id == request.member_id)
            .with_for_update(key_share=True)
        )
        used = (
            select(func.coalesce(func.sum(usage_rollup.c.credits), 0))
            .where(
                usage_rollup.c.workspace_id == request.ctx.workspace_id,
                usage_rollup.c.member_key == request.member_id,
                usage_rollup.c.day >= request.ctx.cycle.start,
            )
            .scalar_subquery()
        )
        held = (
            select(func.coalesce(func.sum(interactions.c.reserved), 0))
            .where(
                interactions.c.member_id == request.member_id,
                interactions.c.state == InteractionState.HELD.value,
            )
            .scalar_subquery()
        )
        total = await conn.scalar(select(used + held))  # one statement: one snapshot
        return int(total or 0) <= request.member_cap

    async def settle(self, request: SettleRequest) -> Charge:
        if (
            self.group_commit is not None
        ):  # the locked path's rules apply to whatever the fast missed
            return await self.group_commit.run(
                lambda conn, later: settle_fast(self._db, conn, request, later),
                lambda: self._settle_locked(request),
            )
        try:
            async with self._db.write() as conn:
                return await settle_fast(self._db, conn, request)
        except NeedsBalanceLock:
            return await self._settle_locked(request)

    async def _settle_locked(self, request: SettleRequest) -> Charge:
        async with self._db.write() as conn:
            return await settle_locked(self._db, conn, request)

    async def release(
        self, ctx: CycleContext, key: str, *, record: AuditRecord | None = None
    ) -> bool:
        async with self._db.write() as conn:
            closed = await self._close_holds(
                conn, ctx, InteractionState.RELEASED, interactions.c.key == key
            )
            expired = not closed and await self._expired(conn, ctx, key)
            if expired:  # a late answer to an expired hold may no longer be charged either
                await conn.execute(
                    update(interactions)
                    .where(
                        interactions.c.workspace_id == ctx.workspace_id,
                        interactions.c.key == key,
                        interactions.c.state == InteractionState.EXPIRED.value,
                    )
                    .values(state=InteractionState.RELEASED.value)
                )
            if record is not None and (closed or expired):
                await insert_audit(conn, record)
            return closed == 1

    async def _expired(self, conn: AsyncConnection, ctx: CycleContext, key: str) -> bool:
        """Whether the sweep expired the hold under `key` (its answer took too long)."""
        row = await self._interaction_row(conn, ctx.workspace_id, key)
        return row is not None and row.state == InteractionState.EXPIRED.value

    async def release_expired(self, ctx: CycleContext) -> int:
        """Release holds a crash left behind; returns how many."""
        async with self._db.write() as conn:
            return await self._close_holds(
                conn, ctx, InteractionState.EXPIRED, interactions.c.expires_at < ctx.now
            )

    async def _close_holds(
        self,
        conn: AsyncConnection,
        ctx: CycleContext,
        state: InteractionState,
        condition: ColumnElement[bool],
    ) -> int:
        """Move matching holds to `state` and give their credits back to the pool."""
        rows = (
            await conn.execute(
                update(interactions)
                .where(
                    interactions.c.workspace_id == ctx.workspace_id,
                    interactions.c.state == InteractionState.HELD.value,
                    condition,
                )
                .values(state=state.value)
                .returning(interactions.c.reserved)
            )
        ).all()
        released = sum(r.reserved for r in rows)
        if released:
            await store_balance(
                conn, ctx.workspace_id, reserved=credit_balances.c.reserved - literal(released)
            )
        return len(rows)

    async def add_pack(
        self, ctx: CycleContext, *, credits: int, source: PackSource, note: str
    ) -> Balance:
        async with self._db.write() as conn:
            balance = await locked_balance(conn, ctx)
            pack_id = await conn.scalar(
                credit_packs.insert()
                .values(
                    workspace_id=ctx.workspace_id,
                    source=source.value,
                    credits=credits,
                    remaining=credits,
                    note=note,
                    created_at=ctx.now,
                )
                .returning(credit_packs.c.id)
            )
            kind = EntryKind.PACK_PURCHASE if source is PackSource.PURCHASE else EntryKind.GRANT
            entry = LedgerEntry(
                kind=kind,
                bucket=Bucket.PACKS,
                delta=credits,
                cycle_start=balance.cycle_start,
                at=ctx.now,
                pack_id=pack_id,
                note=note,
            )
            await insert_entries(conn, ctx.workspace_id, [entry])
            await store_balance(
                conn,
                ctx.workspace_id,
                packs_remaining=balance.packs_remaining + credits,
                packs_added=credit_balances.c.packs_added + 1,
            )
            if source is PackSource.PURCHASE:
                await record_alerts(
                    self._db,
                    conn,
                    workspace_id=ctx.workspace_id,
                    cycle_start=balance.cycle_start,
                    now=ctx.now,
                    items=[(AlertKind.PACK_PURCHASED, pack_key(pack_id), None)],
                )
            return replace(balance, packs_remaining=balance.packs_remaining + credits)

    async def balance(self, ctx: CycleContext) -> Balance:
        async with self._db.read() as conn:
            balance, _ = await current_balance(conn, ctx)
            return balance

    async def ledger(self, workspace_id: int) -> list[LedgerEntry]:
        async with self._db.read(offload=True) as conn:
            rows = await conn.execute(
                select(ledger_entries)
                .where(ledger_entries.c.workspace_id == workspace_id)
                .order_by(ledger_entries.c.id)
            )
            return [ledger_entry(r) for r in rows]

    async def ledger_totals(self, ctx: CycleContext) -> LedgerTotals:
        async with self._db.write() as conn:  # a pending renewal is written first
            balance = await locked_balance(conn, ctx)
            e = ledger_entries.c
            rows = await conn.execute(
                select(e.bucket, func.sum(e.delta))
                .where(
                    e.workspace_id == ctx.workspace_id,
                    (e.bucket != Bucket.MONTHLY.value) | (e.cycle_start == balance.cycle_start),
                )
                .group_by(e.bucket)
            )
            sums = {bucket: int(total) for bucket, total in rows}
        return LedgerTotals(
            monthly_this_cycle=sums.get(Bucket.MONTHLY.value, 0),
            packs=sums.get(Bucket.PACKS.value, 0),
            written_off=-sums.get(Bucket.WRITE_OFF.value, 0),
        )

    async def alerts(self, workspace_id: int) -> list[UsageAlert]:
        return await list_alerts(self._db, workspace_id)

    async def _interaction_row(
        self, conn: AsyncConnection, workspace_id: int, key: str, *, lock: bool = False
    ) -> Any:
        query = select(interactions).where(
            interactions.c.workspace_id == workspace_id, interactions.c.key == key
        )
        if lock:
            query = query.with_for_update()
        return (await conn.execute(query)).first()
