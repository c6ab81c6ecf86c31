"""The workspace credit pool: reserve before an AI answer, settle after it, or release."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.assistant.audit import AuditRecord
from core.clock import Clock
from core.credits.balance import Balance
from core.credits.cycles import Cycle, cycle_containing
from core.credits.interactions import Charge, Hold
from core.credits.pricing import InteractionType, PricingRule, TokenUsage
from core.errors import (
    InvalidInput,
    MemberCapReached,
    OutOfCredits,
    PoolBusy,
    RateLimited,
)
from core.plans import PLAN_TERMS, remedy
from core.ports import (
    AnswerRecord,
    CreditStore,
    CycleContext,
    HoldOutcome,
    HoldRequest,
    HoldStatus,
    RateWindow,
    SettleRequest,
)
from core.workspaces import Member, Workspace

logger = logging.getLogger(__name__)

MAX_KEY_LENGTH = 200
RATE_WINDOW = timedelta(minutes=1)  # a per-minute rate limit counts the last minute


@dataclass(frozen=True)
class CreditPolicy:
    """How holds behave: their lifetime, and how long a request waits for answers in flight."""

    hold_ttl: timedelta = timedelta(minutes=5)
    wait_for_holds: timedelta = timedelta(seconds=10)
    first_poll: timedelta = timedelta(milliseconds=20)  # doubles up to `max_poll`
    max_poll: timedelta = timedelta(milliseconds=500)


def cycle_context(workspace: Workspace, now: datetime) -> CycleContext:
    """The current cycle is computed from the anchor, never from a job having run."""
    return CycleContext(
        workspace_id=workspace.id,
        cycle=cycle_containing(workspace.anchor, now.date()),
        allocation=workspace.allocation,
        now=now,
    )


@dataclass(frozen=True)
class CreditStatus:
    workspace: Workspace
    balance: Balance
    cycle: Cycle

    @property
    def paused(self) -> bool:
        return self.workspace.metered and self.balance.paused


class CreditPool:
    """One place for the credit rules of an AI interaction; the store makes each step atomic.

    A hold reserves the pricing minimum (an estimate, not the maximum), so requests in
    flight never make the pool look empty; the true price is settled afterwards and what an
    answer cost beyond the end of the pool is written off, never owed.
    """

    def __init__(
        self,
        *,
        store: CreditStore,
        clock: Clock,
        pricing: PricingRule,
        policy: CreditPolicy | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._pricing = pricing
        self._policy = policy or CreditPolicy()

    def context(self, workspace: Workspace) -> CycleContext:
        return cycle_context(workspace, self._clock.now())

    async def reserve(
        self,
        workspace: Workspace,
        *,
        key: str,
        member: Member | None,
        per_minute: int | None = None,
        per_member_minute: int | None = None,
    ) -> Hold:
        """Hold credits for one AI answer; the same key returns the earlier hold.

        Refuses only when the pool is really exhausted; while answers in flight hold the
        last credits it waits (backing off) for them to settle or be released. With
        `per_minute`, the hold itself refuses (`RateLimited`) once the workspace started
        that many interactions in the last minute, atomically with the other holds, and
        with `per_member_minute` once the member started that many of them.
        """
        _check_key(key)
        if member is not None and member.workspace_id != workspace.id:
            raise InvalidInput(f"{member.display_name} is not a member of {workspace.name!r}")
        waited, pause, swept = timedelta(0), self._policy.first_poll, False
        while True:
            ctx = self.context(workspace)
            request = self._hold_request(
                ctx,
                workspace,
                key,
                member,
                per_minute=per_minute,
                per_member_minute=per_member_minute,
            )
            outcome = await self._store.hold(request)
            if outcome.interaction is not None:
                duplicate = outcome.status is HoldStatus.DUPLICATE
                return Hold(interaction=outcome.interaction, duplicate=duplicate)
            if outcome.status is HoldStatus.RATE_LIMITED:
                assert per_minute is not None
                raise RateLimited(workspace=workspace.name, per_minute=per_minute)
            if outcome.status is HoldStatus.MEMBER_RATE_LIMITED:
                assert per_member_minute is not None
                assert member is not None
                raise RateLimited(
                    workspace=workspace.name,
                    per_minute=per_member_minute,
                    member=member.display_name,
                )
            self._refuse_if_final(ctx, workspace, member, outcome)
            if not swept:
                swept = True
                if await self._store.release_expired(ctx):
                    continue
            if waited >= self._policy.wait_for_holds:
                raise PoolBusy(workspace=workspace.name)
            await self._clock.sleep(pause.total_seconds())
            waited += pause
            pause = min(pause * 2, self._policy.max_poll)

    def _hold_request(
        self,
        ctx: CycleContext,
        workspace: Workspace,
        key: str,
        member: Member | None,
        *,
        per_minute: int | None,
        per_member_minute: int | None,
    ) -> HoldRequest:
        metered = workspace.metered
        return HoldRequest(
            ctx=ctx,
            key=key,
            member_id=member.id if member else None,
            amount=self._pricing.minimum if metered else 0,
            member_cap=member.monthly_cap if (member and metered) else None,
            expires_at=ctx.now + self._policy.hold_ttl,
            rate=None
            if per_minute is None
            else RateWindow(
                per_minute,
                ctx.now - RATE_WINDOW,
                member_limit=per_member_minute if member is not None else None,
            ),
        )

    def _refuse_if_final(
        self, ctx: CycleContext, workspace: Workspace, member: Member | None, outcome: HoldOutcome
    ) -> None:
        """Raise when waiting cannot help: the member's cap, or a pool with nothing left."""
        if outcome.status is HoldStatus.MEMBER_CAP:
            assert member is not None
            assert member.monthly_cap is not None
            raise MemberCapReached(
                member=member.display_name, cap=member.monthly_cap, renewal_date=ctx.cycle.renewal
            )
        balance = outcome.balance
        assert balance is not None
        if balance.remaining < self._pricing.minimum or balance.reserved == 0:
            raise OutOfCredits(
                workspace=workspace.name,
                renewal_date=ctx.cycle.renewal,
                can_buy_packs=PLAN_TERMS[workspace.plan].can_buy_packs,
                remedy=remedy(workspace.plan),
            )

    async def settle(
        self,
        workspace: Workspace,
        *,
        key: str,
        usage: TokenUsage,
        interaction_type: InteractionType,
        record: AnswerRecord | None = None,
    ) -> Charge:
        """Charge an answered interaction once, from the tokens of every LLM call it made.

        `record` (the answer's turns and audit record) commits with the charge or not at all.
        """
        _check_key(key)
        credits = self._pricing.credits_for(usage) if workspace.metered else 0
        charge = await self._store.settle(
            SettleRequest(
                ctx=self.context(workspace),
                key=key,
                credits=credits,
                usage=usage,
                interaction_type=interaction_type,
                record=record,
            )
        )
        if charge.split.written_off:
            logger.warning(
                "workspace %s: %d credits written off at the end of the pool",
                workspace.name,
                charge.split.written_off,
            )
        return charge

    async def release(
        self, workspace: Workspace, *, key: str, record: AuditRecord | None = None
    ) -> bool:
        """Give a hold back without charge (no answer, provider failure), with the audit
        record of why in the same transaction."""
        _check_key(key)
        return await self._store.release(self.context(workspace), key, record=record)

    async def release_expired(self, workspace: Workspace) -> int:
        return await self._store.release_expired(self.context(workspace))

    async def status(self, workspace: Workspace) -> CreditStatus:
        ctx = self.context(workspace)
        balance = await self._store.balance(ctx)
        return CreditStatus(workspace=workspace, balance=balance, cycle=ctx.cycle)


def _check_key(key: str) -> None:
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(f"an idempotency key must have 1 to {MAX_KEY_LENGTH} characters")
