"""A `CreditStore` decorator that counts what this process holds and charges: holds in flight
(opened here, not yet settled or released here) and credits charged."""

from __future__ import annotations

from bot.metrics import BotMetrics
from core.assistant.audit import AuditRecord
from core.credits.alerts import UsageAlert
from core.credits.balance import Balance
from core.credits.interactions import Charge
from core.credits.ledger import LedgerEntry, LedgerTotals
from core.ports import (
    CreditStore,
    CycleContext,
    HoldOutcome,
    HoldRequest,
    HoldStatus,
    PackSource,
    SettleRequest,
)


class MeasuredCreditStore:
    def __init__(self, store: CreditStore, metrics: BotMetrics) -> None:
        self._store = store
        self._metrics = metrics
        self._open: set[tuple[int, str]] = set()  # (workspace, key) of the holds opened here

    def _closed(self, ctx: CycleContext, key: str) -> None:
        self._open.discard((ctx.workspace_id, key))
        self._metrics.holds_in_flight.set(len(self._open))

    async def hold(self, request: HoldRequest) -> HoldOutcome:
        outcome = await self._store.hold(request)
        if outcome.status is HoldStatus.HELD:
            self._open.add((request.ctx.workspace_id, request.key))
            self._metrics.holds_in_flight.set(len(self._open))
        return outcome

    async def settle(self, request: SettleRequest) -> Charge:
        try:
            charge = await self._store.settle(request)
        finally:
            self._closed(request.ctx, request.key)
        if not charge.duplicate:
            self._metrics.credits_charged.inc(charge.credits)
        return charge

    async def release(
        self, ctx: CycleContext, key: str, *, record: AuditRecord | None = None
    ) -> bool:
        try:
            return await self._store.release(ctx, key, record=record)
        finally:
            self._closed(ctx, key)

    async def release_expired(self, ctx: CycleContext) -> int:
        return await self._store.release_expired(ctx)

    async def add_pack(
        self, ctx: CycleContext, *, credits: int, source: PackSource, note: str
    ) -> Balance:
        return await self._store.add_pack(ctx, credits=credits, source=source, note=note)

    async def balance(self, ctx: CycleContext) -> Balance:
        return await self._store.balance(ctx)

    async def ledger(self, workspace_id: int) -> list[LedgerEntry]:
        return await self._store.ledger(workspace_id)

    async def ledger_totals(self, ctx: CycleContext) -> LedgerTotals:
        return await self._store.ledger_totals(ctx)

    async def alerts(self, workspace_id: int) -> list[UsageAlert]:
        return await self._store.alerts(workspace_id)
