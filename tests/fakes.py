"""In-memory fakes of the ports, for unit tests of the core rules."""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from core.assistant.audit import AuditRecord
from core.credits.alerts import AlertKind, UsageAlert, pack_key, paused_key, threshold_key
from core.credits.balance import (
    Balance,
    ChargeSplit,
    draw_packs,
    plan_change_topup,
    renew,
    split_charge,
    thresholds_crossed,
)
from core.credits.cycles import Cycle
from core.credits.interactions import Charge, Interaction, InteractionState
from core.credits.ledger import Bucket, EntryKind, LedgerEntry, LedgerTotals
from core.credits.pricing import InteractionType, TokenUsage
from core.credits.usage import DayUsage, MemberUsage, TypeUsage, UsageFigures
from core.errors import Conflict, NotFound, ReservationClosed, WorkspaceNotFound
from core.plans import Plan
from core.ports import (
    AnswerRecord,
    CycleContext,
    HoldOutcome,
    HoldRequest,
    HoldStatus,
    PackSource,
    SettleRequest,
)
from core.workspaces import Member, Mode, Platform, Role, Workspace
from tests.assistant_fakes import InMemoryAudit, InMemoryThreads


class FakeClock:
    """A clock tests move by hand; `sleep` advances it and lets other tasks run a moment.

    The real pause is short but long enough for another task's database transaction to
    commit, so tests of waiting do not depend on which task the event loop picks first.
    """

    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> None:
        self._now = now

    def advance(self, **delta: float) -> None:
        self._now += timedelta(**delta)

    async def sleep(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        await asyncio.sleep(min(seconds, 0.02))


@dataclass
class _Pool:
    balance: Balance
    packs_added: int = 0
    packs: dict[int, int] = field(default_factory=dict)  # pack id -> remaining


class InMemoryStore:
    """Workspace, credit and usage stores in one, atomic under one asyncio lock.

    An answer's record (turns, audit) lands in `threads` and `audit` in the same atomic step
    as its charge or release, or not at all, as in the SQL store's one transaction.
    """

    def __init__(
        self, *, threads: InMemoryThreads | None = None, audit: InMemoryAudit | None = None
    ) -> None:
        self.threads = threads or InMemoryThreads()
        self.audit = audit or InMemoryAudit()
        self._lock = asyncio.Lock()
        self._ids = itertools.count(1)
        self.workspaces: dict[int, Workspace] = {}
        self.members: dict[int, Member] = {}
        self.links: dict[tuple[Platform, str], int] = {}
        self.pools: dict[int, _Pool] = {}
        self.interactions: dict[tuple[int, str], Interaction] = {}
        self.splits: dict[tuple[int, str], ChargeSplit] = {}  # each settled charge's split
        self.entries: dict[int, list[LedgerEntry]] = defaultdict(list)
        self.outbox: dict[tuple[int, str], UsageAlert] = {}
        self.rollup: list[tuple[int, date, int, InteractionType, int, TokenUsage, int]] = []

    # -- workspaces -------------------------------------------------------------------
    async def create_workspace(
        self,
        *,
        name: str,
        plan: Plan,
        allocation: int,
        anchor: date,
        mode: Mode,
        cycle: Cycle,
        now: datetime,
    ) -> Workspace:
        if any(w.name == name for w in self.workspaces.values()):
            raise Conflict(f"a workspace named {name!r} already exists")
        w = Workspace(next(self._ids), name, plan, allocation, anchor, mode, now)
        self.workspaces[w.id] = w
        self.pools[w.id] = _Pool(Balance(cycle.start, allocation, 0, 0, 0))
        self.entries[w.id].append(
            LedgerEntry(EntryKind.MONTHLY_GRANT, Bucket.MONTHLY, allocation, cycle.start, now)
        )
        return w

    async def get_workspace(self, name: str) -> Workspace:
        for w in self.workspaces.values():
            if w.name == name:
                return w
        raise WorkspaceNotFound(name)

    async def list_workspaces(self) -> list[Workspace]:
        return sorted(self.workspaces.values(), key=lambda w: w.name)

    async def change_plan(self, ctx: CycleContext, *, plan: Plan, allocation: int) -> int:
        async with self._lock:
            pool = self._renewed(ctx)
            topup = plan_change_topup(pool.balance.monthly_allocation, allocation)
            if topup:
                pool.balance = replace(
                    pool.balance, monthly_allocation=pool.balance.monthly_allocation + topup
                )
                self.entries[ctx.workspace_id].append(
                    LedgerEntry(
                        EntryKind.PLAN_TOPUP,
                        Bucket.MONTHLY,
                        topup,
                        pool.balance.cycle_start,
                        ctx.now,
                    )
                )
            w = self.workspaces[ctx.workspace_id]
            self.workspaces[w.id] = replace(w, plan=plan, allocation=allocation)
            return topup

    async def link(self, workspace_id: int, platform: Platform, external_id: str) -> None:
        owner = self.links.get((platform, external_id))
        if owner is not None and owner != workspace_id:
            raise Conflict(f"{platform.value} {external_id} is already linked")
        self.links[(platform, external_id)] = workspace_id

    async def workspace_for(self, platform: Platform, external_id: str) -> Workspace | None:
        owner = self.links.get((platform, external_id))
        return self.workspaces[owner] if owner is not None else None

    async def ensure_member(
        self, workspace_id: int, platform: Platform, external_id: str, display_name: str
    ) -> Member:
        for m in self.members.values():
            if (m.workspace_id, m.platform, m.external_id) == (workspace_id, platform, external_id):
                return m
        m = Member(
            next(self._ids), workspace_id, platform, external_id, display_name, Role.MEMBER, None
        )
        self.members[m.id] = m
        return m

    async def set_role(self, member_id: int, role: Role) -> Member:
        return self._update_member(member_id, role=role)

    async def set_member_cap(self, member_id: int, cap: int | None) -> Member:
        return self._update_member(member_id, monthly_cap=cap)

    async def list_members(self, workspace_id: int) -> list[Member]:
        return [m for m in self.members.values() if m.workspace_id == workspace_id]

    def _update_member(self, member_id: int, **values: object) -> Member:
        if member_id not in self.members:
            raise NotFound(f"no member with id {member_id}")
        self.members[member_id] = replace(self.members[member_id], **values)  # type: ignore[arg-type]
        return self.members[member_id]

    # -- credits ----------------------------------------------------------------------
    def _renewed(self, ctx: CycleContext) -> _Pool:
        pool = self.pools[ctx.workspace_id]
        if pool.balance.cycle_start < ctx.cycle.start:
            pool.balance, entries = renew(pool.balance, ctx.cycle, ctx.allocation, at=ctx.now)
            self.entries[ctx.workspace_id].extend(entries)
        return pool

    async def hold(self, request: HoldRequest) -> HoldOutcome:
        ctx = request.ctx
        async with self._lock:
            existing = self.interactions.get((ctx.workspace_id, request.key))
            if existing is not None:
                return HoldOutcome(HoldStatus.DUPLICATE, existing, None)
            if request.member_cap is not None:
                used = self._member_used(ctx, request.member_id) + self._member_held(
                    request.member_id
                )
                if used + request.amount > request.member_cap:
                    return HoldOutcome(HoldStatus.MEMBER_CAP, None, None)
            rate = request.rate
            if rate is not None and rate.member_limit is not None:
                mine = self._started_since(ctx.workspace_id, rate.since, request.member_id)
                if mine >= rate.member_limit:
                    return HoldOutcome(HoldStatus.MEMBER_RATE_LIMITED, None, None)
            if rate is not None and self._started_since(ctx.workspace_id, rate.since) >= rate.limit:
                return HoldOutcome(HoldStatus.RATE_LIMITED, None, None)
            pool = self._renewed(ctx)
            if request.amount:
                if pool.balance.available < request.amount:
                    return HoldOutcome(HoldStatus.INSUFFICIENT, None, pool.balance)
                pool.balance = replace(
                    pool.balance, reserved=pool.balance.reserved + request.amount
                )
            interaction = Interaction(
                id=next(self._ids),
                workspace_id=ctx.workspace_id,
                key=request.key,
                member_id=request.member_id,
                state=InteractionState.HELD,
                reserved=request.amount,
                credits=0,
                written_off=0,
                interaction_type=None,
                usage=TokenUsage(),
                created_at=ctx.now,
                expires_at=request.expires_at,
                settled_at=None,
            )
            self.interactions[(ctx.workspace_id, request.key)] = interaction
            return HoldOutcome(HoldStatus.HELD, interaction, None)

    def _started_since(
        self, workspace_id: int, since: datetime, member_id: int | None = None
    ) -> int:
        return sum(
            1
            for i in self.interactions.values()
            if i.workspace_id == workspace_id
            and i.created_at >= since
            and member_id in (None, i.member_id)
        )

    def _member_used(self, ctx: CycleContext, member_id: int | None) -> int:
        return sum(
            r[4]
            for r in self.rollup
            if r[0] == ctx.workspace_id and r[2] == (member_id or 0) and r[1] >= ctx.cycle.start
        )

    def _member_held(self, member_id: int | None) -> int:
        return sum(
            i.reserved
            for i in self.interactions.values()
            if i.member_id == member_id and i.state is InteractionState.HELD
        )

    async def settle(self, request: SettleRequest) -> Charge:
        ctx = request.ctx
        async with self._lock:
            found = self.interactions.get((ctx.workspace_id, request.key))
            if found is None:
                raise ReservationClosed(f"no AI interaction is held under key {request.key!r}")
            if found.state is InteractionState.SETTLED:
                pool = self._renewed(ctx)
                split = self.splits[(ctx.workspace_id, request.key)]
                return Charge(found, split, pool.balance, (), duplicate=True)
            if found.state is InteractionState.RELEASED:
                raise ReservationClosed(f"{request.key!r} was released without an answer")
            if request.record is not None:  # a failing write changes nothing, as a rollback
                self.threads.check_writable()
                self.audit.check_writable()
            held = found.reserved if found.state is InteractionState.HELD else 0
            split, balance, crossed = ChargeSplit(0, 0, 0), None, []
            if request.credits or held:
                split, balance, crossed = self._charge(ctx, found, request.credits, held)
            settled = replace(
                found,
                state=InteractionState.SETTLED,
                credits=split.charged,
                written_off=split.written_off,
                interaction_type=request.interaction_type,
                usage=request.usage,
                settled_at=ctx.now,
            )
            self.interactions[(ctx.workspace_id, request.key)] = settled
            self.splits[(ctx.workspace_id, request.key)] = split
            self._keep(request.record, credits=split.charged)
            self.rollup.append(
                (
                    ctx.workspace_id,
                    ctx.now.date(),
                    found.member_id or 0,
                    request.interaction_type,
                    split.charged,
                    request.usage,
                    split.written_off,
                )
            )
            return Charge(settled, split, balance, tuple(crossed), duplicate=False)

    def _keep(self, record: AnswerRecord | None, *, credits: int) -> None:
        if record is not None:
            self.threads.append(record.turns)
            self.audit.append(replace(record.audit, credits=credits))

    def _charge(
        self, ctx: CycleContext, found: Interaction, credits: int, held: int
    ) -> tuple[ChargeSplit, Balance, list[int]]:
        pool = self._renewed(ctx)
        before = pool.balance
        split = split_charge(before, credits, held=held)
        pool.balance = after = replace(
            before,
            reserved=before.reserved - held,
            monthly_used=before.monthly_used + split.monthly,
            packs_remaining=before.packs_remaining - split.packs,
        )
        out = self.entries[ctx.workspace_id]
        if split.monthly:
            out.append(
                LedgerEntry(
                    EntryKind.CHARGE, Bucket.MONTHLY, -split.monthly, after.cycle_start, ctx.now
                )
            )
        for pack_id, take in draw_packs(list(pool.packs.items()), split.packs):
            pool.packs[pack_id] -= take
            out.append(
                LedgerEntry(
                    EntryKind.CHARGE, Bucket.PACKS, -take, after.cycle_start, ctx.now, pack_id
                )
            )
        if split.written_off:
            out.append(
                LedgerEntry(
                    EntryKind.WRITE_OFF,
                    Bucket.WRITE_OFF,
                    -split.written_off,
                    after.cycle_start,
                    ctx.now,
                )
            )
        crossed = thresholds_crossed(
            before.monthly_allocation, before.monthly_used, after.monthly_used
        )
        for p in crossed:
            self._alert(ctx, AlertKind.THRESHOLD, threshold_key(after.cycle_start, p), p)
        if after.paused and not before.paused:
            self._alert(ctx, AlertKind.PAUSED, paused_key(after.cycle_start, pool.packs_added))
        return split, after, crossed

    def _alert(
        self, ctx: CycleContext, kind: AlertKind, key: str, percent: int | None = None
    ) -> None:
        cycle_start = self.pools[ctx.workspace_id].balance.cycle_start
        self.outbox.setdefault(
            (ctx.workspace_id, key),
            UsageAlert(ctx.workspace_id, kind, cycle_start, key, percent, ctx.now, None),
        )

    async def release(
        self, ctx: CycleContext, key: str, *, record: AuditRecord | None = None
    ) -> bool:
        async with self._lock:
            found = self.interactions.get((ctx.workspace_id, key))
            state = found.state if found else None
            if record is not None and state in (InteractionState.HELD, InteractionState.EXPIRED):
                self.audit.append(record)  # first: a failing write releases nothing
            if found is not None and state is InteractionState.EXPIRED:
                # a late answer to an expired hold may no longer be charged either
                self.interactions[(ctx.workspace_id, key)] = replace(
                    found, state=InteractionState.RELEASED
                )
            if found is None or state is not InteractionState.HELD:
                return False
            self._unhold(ctx, found, InteractionState.RELEASED)
            return True

    async def release_expired(self, ctx: CycleContext) -> int:
        async with self._lock:
            expired = [
                i
                for i in self.interactions.values()
                if i.workspace_id == ctx.workspace_id
                and i.state is InteractionState.HELD
                and i.expires_at < ctx.now
            ]
            for found in expired:
                self._unhold(ctx, found, InteractionState.EXPIRED)
            return len(expired)

    def _unhold(self, ctx: CycleContext, found: Interaction, state: InteractionState) -> None:
        pool = self.pools[ctx.workspace_id]
        pool.balance = replace(pool.balance, reserved=pool.balance.reserved - found.reserved)
        self.interactions[(ctx.workspace_id, found.key)] = replace(found, state=state)

    async def add_pack(
        self, ctx: CycleContext, *, credits: int, source: PackSource, note: str
    ) -> Balance:
        async with self._lock:
            pool = self._renewed(ctx)
            pack_id = next(self._ids)
            pool.packs[pack_id] = credits
            pool.packs_added += 1
            pool.balance = replace(
                pool.balance, packs_remaining=pool.balance.packs_remaining + credits
            )
            kind = EntryKind.PACK_PURCHASE if source is PackSource.PURCHASE else EntryKind.GRANT
            self.entries[ctx.workspace_id].append(
                LedgerEntry(
                    kind,
                    Bucket.PACKS,
                    credits,
                    pool.balance.cycle_start,
                    ctx.now,
                    pack_id,
                    note=note,
                )
            )
            if source is PackSource.PURCHASE:
                self._alert(ctx, AlertKind.PACK_PURCHASED, pack_key(pack_id))
            return pool.balance

    async def balance(self, ctx: CycleContext) -> Balance:
        pool = self.pools[ctx.workspace_id]
        if pool.balance.cycle_start < ctx.cycle.start:
            return renew(pool.balance, ctx.cycle, ctx.allocation, at=ctx.now)[0]
        return pool.balance

    async def ledger(self, workspace_id: int) -> list[LedgerEntry]:
        return list(self.entries[workspace_id])

    async def ledger_totals(self, ctx: CycleContext) -> LedgerTotals:
        async with self._lock:
            start = self._renewed(ctx).balance.cycle_start
        entries = self.entries[ctx.workspace_id]
        return LedgerTotals(
            monthly_this_cycle=sum(
                e.delta for e in entries if e.bucket is Bucket.MONTHLY and e.cycle_start == start
            ),
            packs=sum(e.delta for e in entries if e.bucket is Bucket.PACKS),
            written_off=-sum(e.delta for e in entries if e.bucket is Bucket.WRITE_OFF),
        )

    async def alerts(self, workspace_id: int) -> list[UsageAlert]:
        return [a for (w, _), a in self.outbox.items() if w == workspace_id]

    # -- usage ------------------------------------------------------------------------
    async def last_used(
        self, platform: Platform, external_id: str, workspace_ids: Sequence[int]
    ) -> int | None:
        theirs = {
            m.id
            for m in self.members.values()
            if m.platform is platform
            and m.external_id == external_id
            and m.workspace_id in workspace_ids
        }
        used = [i for i in self.interactions.values() if i.member_id in theirs]
        latest = max(used, key=lambda i: (i.created_at, i.id), default=None)
        return None if latest is None else latest.workspace_id

    async def usage(self, ctx: CycleContext, *, since: date, until: date) -> UsageFigures:
        rows = [r for r in self.rollup if r[0] == ctx.workspace_id and since <= r[1] <= until]
        per_member: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        per_day: dict[date, list[int]] = defaultdict(lambda: [0, 0])
        per_type: dict[InteractionType, list[int]] = defaultdict(lambda: [0, 0])
        for _, day, member, kind, credits, _usage, _ in rows:
            for bucket in (per_member[member], per_day[day], per_type[kind]):
                bucket[0] += credits
                bucket[1] += 1
        capped = {m.id for m in self.members.values() if m.monthly_cap is not None}
        by_member = [
            MemberUsage(
                key,
                self.members[key].display_name if key in self.members else "(no member)",
                per_member[key][0],
                per_member[key][1],
                self.members[key].monthly_cap if key in self.members else None,
            )
            for key in set(per_member) | capped
        ]
        days = [since + timedelta(days=i) for i in range((until - since).days + 1)]
        return UsageFigures(
            by_member=tuple(sorted(by_member, key=lambda m: (-m.credits, m.member))),
            by_day=tuple(DayUsage(d, *per_day.get(d, [0, 0])) for d in days),
            by_type=tuple(
                TypeUsage(k, v[0], v[1]) for k, v in sorted(per_type.items(), key=lambda kv: kv[0])
            ),
            input_tokens=sum(r[5].input_tokens for r in rows),
            output_tokens=sum(r[5].output_tokens for r in rows),
            written_off=sum(r[6] for r in rows),
        )
