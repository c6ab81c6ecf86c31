"""A state machine over the credit pool, checked against the DESIGN.md invariants.

Rules: reserve, settle (random token usage), release, buy pack, grant, renew (the clock
moves past the renewal date, sometimes by several months), plan change (upgrade and
downgrade), waiting, and expiring holds. After every step the machine compares the store
with its own model of the rules and checks the invariants: the balance is never negative,
`reserved` is the sum of the holds in flight, the ledger totals equal the balance, packs are
drawn only once the monthly allocation is used up (oldest first), no key is charged twice,
threshold alerts fire at most once per threshold and cycle, and the pool is paused exactly
when nothing remains.

The same machine runs on the in-memory store of tests/fakes.py and on the real SQLite store
(one fresh database file per example).
"""

from __future__ import annotations

import asyncio
import enum
import itertools
import shutil
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from adapters.storage import SqlCreditStore, SqlWorkspaceStore, open_database, upgrade_schema
from adapters.storage.database import Database
from adapters.storage.tables import interactions
from core.admin import WorkspaceAdmin
from core.credits.alerts import AlertKind
from core.credits.cycles import Cycle, cycle_containing
from core.credits.interactions import InteractionState
from core.credits.ledger import Bucket, EntryKind
from core.credits.pool import CreditPolicy, CreditPool
from core.credits.pricing import InteractionType, PricingRule, TokenUsage
from core.errors import InvalidInput, OutOfCredits, PacksNotAllowed, PoolBusy, ReservationClosed
from core.plans import Plan
from core.ports import CreditStore, WorkspaceStore
from core.workspaces import Member, Platform, Workspace
from tests.fakes import FakeClock, InMemoryStore

T = TypeVar("T")

START = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
HOLD_TTL = timedelta(minutes=5)
# No waiting for holds in flight: a busy pool answers PoolBusy at once, after one sweep.
POLICY = CreditPolicy(hold_ttl=HOLD_TTL, wait_for_holds=timedelta(0))
NAME = "acme"
THRESHOLDS = (75, 90, 100)
PACK_PLANS = {Plan.PRO, Plan.BUSINESS}
DEFAULT_ALLOCATION = {Plan.FREE: 50, Plan.PRO: 500, Plan.BUSINESS: 2000}

# Mostly small allocations, so that pools run out; sometimes a plan's default.
ALLOCATIONS = st.integers(-1, 10).map(lambda n: None if n < 0 else n)
PICKS = st.integers(0, 1000)
WHO = st.sampled_from([None, 0, 1])


@st.composite
def usages(draw: st.DrawFn) -> TokenUsage:
    """Token usage across the whole price range: 1 to 6 credits, and beyond the maximum."""
    weighted = max(0, draw(st.sampled_from(range(8))) * 4000 - draw(st.integers(0, 3999)))
    output_tokens = draw(st.integers(0, weighted // 4))
    return TokenUsage(input_tokens=weighted - 4 * output_tokens, output_tokens=output_tokens)


USAGES = usages()


def price(usage: TokenUsage) -> int:
    """The default pricing, written out: clamp(ceil((in + 4 out) / 4000), 1, 6)."""
    weighted = usage.input_tokens + 4 * usage.output_tokens
    return max(1, min(6, -(-weighted // 4000)))


# -- the model -----------------------------------------------------------------------------


class State(enum.Enum):
    HELD = "held"
    SETTLED = "settled"
    RELEASED = "released"
    EXPIRED = "expired"


OPEN = (State.HELD, State.EXPIRED)  # may still be settled


@dataclass
class ModelInteraction:
    state: State
    reserved: int
    expires_at: datetime
    charged: int = 0
    written_off: int = 0


@dataclass
class Model:
    """What the credit rules of DESIGN.md say the pool must hold."""

    plan: Plan
    allocation: int  # what each new cycle starts with
    anchor: date
    cycle: Cycle
    monthly_allocation: int  # this cycle's, top-ups included
    monthly_used: int = 0
    packs: list[int] = field(default_factory=list)  # remaining per pack, oldest first
    packs_added: int = 0
    purchases: int = 0
    interactions: dict[str, ModelInteraction] = field(default_factory=dict)
    charged: int = 0
    written_off: int = 0
    alert_keys: set[str] = field(default_factory=set)  # threshold and paused alerts

    @property
    def reserved(self) -> int:
        return sum(i.reserved for i in self.interactions.values() if i.state is State.HELD)

    @property
    def monthly_remaining(self) -> int:
        return self.monthly_allocation - self.monthly_used

    @property
    def remaining(self) -> int:
        return self.monthly_remaining + sum(self.packs)

    @property
    def available(self) -> int:
        return max(0, self.remaining - self.reserved)

    def sync(self, now: datetime) -> None:
        """Renewal: unused monthly credits expire, the new allocation starts."""
        cycle = cycle_containing(self.anchor, now.date())
        if cycle.start > self.cycle.start:
            self.cycle = cycle
            self.monthly_allocation = self.allocation
            self.monthly_used = 0

    def reserve(self, key: str, now: datetime) -> str:
        """'duplicate', 'held', 'out' or 'busy' (after sweeping expired holds once)."""
        if key in self.interactions:
            return "duplicate"
        for swept in (False, True):
            if self.available >= 1:
                self.interactions[key] = ModelInteraction(State.HELD, 1, now + HOLD_TTL)
                return "held"
            if self.remaining < 1 or self.reserved == 0:
                return "out"
            if swept or not self.expire(now):
                return "busy"
        raise AssertionError("unreachable")

    def expire(self, now: datetime) -> int:
        expired = [
            i for i in self.interactions.values() if i.state is State.HELD and i.expires_at < now
        ]
        for i in expired:
            i.state = State.EXPIRED
        return len(expired)

    def release(self, key: str) -> bool:
        """Closes a held or an expired interaction (a late answer may not be charged)."""
        found = self.interactions.get(key)
        if found is None or found.state not in OPEN:
            return False
        held = found.state is State.HELD
        found.state = State.RELEASED
        return held

    def settle(self, key: str, credits: int) -> tuple[str, int, int, int]:
        """('closed'|'duplicate'|'charged', monthly, packs, written_off)."""
        found = self.interactions.get(key)
        if found is None or found.state is State.RELEASED:
            return "closed", 0, 0, 0
        if found.state is State.SETTLED:
            return "duplicate", found.charged, 0, found.written_off
        held = found.reserved if found.state is State.HELD else 0
        others = self.reserved - held
        spendable = max(0, min(credits, self.remaining - others))
        monthly = min(spendable, self.monthly_remaining)
        from_packs = spendable - monthly
        remaining_before, used_before = self.remaining, self.monthly_used
        self.monthly_used += monthly
        left = from_packs
        for n, pack in enumerate(self.packs):  # oldest first
            take = min(pack, left)
            self.packs[n] -= take
            left -= take
        assert left == 0
        if self.monthly_allocation > 0:
            for t in THRESHOLDS:
                if used_before * 100 < t * self.monthly_allocation <= self.monthly_used * 100:
                    self.alert_keys.add(f"threshold:{self.cycle.start.isoformat()}:{t}")
        if remaining_before > 0 and self.remaining <= 0:
            self.alert_keys.add(f"paused:{self.cycle.start.isoformat()}:{self.packs_added}")
        found.state = State.SETTLED
        found.charged, found.written_off = spendable, credits - spendable
        self.charged += spendable
        self.written_off += credits - spendable
        return "charged", monthly, from_packs, credits - spendable

    def add_pack(self, credits: int, *, purchase: bool) -> None:
        self.packs.append(credits)
        self.packs_added += 1
        self.purchases += purchase

    def set_plan(self, plan: Plan, allocation: int) -> int:
        topup = max(0, allocation - self.monthly_allocation)
        self.monthly_allocation += topup
        self.plan, self.allocation = plan, allocation
        return topup


# -- the stores under test -----------------------------------------------------------------


class Backend(Protocol):
    workspaces: WorkspaceStore
    admin: WorkspaceAdmin
    pool: CreditPool
    credits: CreditStore

    async def held(self, workspace_id: int) -> int:
        """Sum of the credits the store's interactions in state HELD reserve."""
        ...

    async def close(self) -> None: ...


def _wire(store: Any, workspaces: Any, clock: FakeClock) -> tuple[WorkspaceAdmin, CreditPool]:
    admin = WorkspaceAdmin(workspaces=workspaces, credits=store, clock=clock)
    pool = CreditPool(store=store, clock=clock, pricing=PricingRule(), policy=POLICY)
    return admin, pool


class FakeBackend:
    def __init__(self, clock: FakeClock) -> None:
        self.store = InMemoryStore()
        self.workspaces: WorkspaceStore = self.store
        self.credits: CreditStore = self.store
        self.admin, self.pool = _wire(self.store, self.store, clock)

    async def held(self, workspace_id: int) -> int:
        return sum(
            i.reserved
            for i in self.store.interactions.values()
            if i.workspace_id == workspace_id and i.state is InteractionState.HELD
        )

    async def close(self) -> None:
        return None


class SqliteBackend:
    def __init__(self, clock: FakeClock, template: Path, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True)
        path = directory / "pool.db"
        shutil.copyfile(template, path)
        self.db: Database = open_database(f"sqlite:///{path}", pool_size=2)
        self.workspaces = SqlWorkspaceStore(self.db)
        self.credits = SqlCreditStore(self.db)
        self.admin, self.pool = _wire(self.credits, self.workspaces, clock)

    async def held(self, workspace_id: int) -> int:
        i = interactions.c
        async with self.db.read() as conn:
            total = await conn.scalar(
                select(func.coalesce(func.sum(i.reserved), 0)).where(
                    i.workspace_id == workspace_id, i.state == InteractionState.HELD.value
                )
            )
        return int(total or 0)

    async def close(self) -> None:
        await self.db.dispose()
        shutil.rmtree(self.directory, ignore_errors=True)


# -- the machine ---------------------------------------------------------------------------


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self, make_backend: Callable[[FakeClock], Backend]) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.clock = FakeClock(START)
        self.backend = make_backend(self.clock)
        self.model: Model | None = None
        self.ws: Workspace | None = None
        self.members: list[Member] = []

    def run(self, coro: Coroutine[Any, Any, T] | Awaitable[T]) -> T:
        return self.loop.run_until_complete(coro)

    def teardown(self) -> None:
        try:
            self.run(self.backend.close())
        finally:
            self.loop.close()

    @property
    def m(self) -> Model:
        assert self.model is not None
        return self.model

    def workspace(self) -> Workspace:
        """The workspace as the bot holds it: read at creation and after each plan change."""
        assert self.ws is not None
        return self.ws

    def moved_clock(self) -> None:
        self.m.sync(self.clock.now())

    # -- set-up -------------------------------------------------------------------------
    @initialize(
        plan=st.sampled_from(Plan),
        allocation=ALLOCATIONS,
        anchor_day=st.sampled_from([1, 15, 28, 29, 30, 31]),
    )
    def create(self, plan: Plan, allocation: int | None, anchor_day: int) -> None:
        if plan is Plan.ENTERPRISE and allocation is None:
            allocation = 10
        anchor = date(2026, 1, anchor_day)
        self.ws = ws = self.run(
            self.backend.admin.create(NAME, plan=plan, allocation=allocation, anchor=anchor)
        )
        monthly = DEFAULT_ALLOCATION[plan] if allocation is None else allocation
        cycle = cycle_containing(anchor, self.clock.now().date())
        self.model = Model(plan, monthly, anchor, cycle, monthly_allocation=monthly)
        self.members = [
            self.run(self.backend.workspaces.ensure_member(ws.id, Platform.SLACK, uid, uid))
            for uid in ("U1", "U2")
        ]

    # -- AI interactions ----------------------------------------------------------------
    def pick_key(self, which: str, pick: int) -> str:
        """A key: 'fresh' (never used), 'open' (held or expired), 'any' used one, 'stray'."""
        used = list(self.m.interactions)
        open_ = [k for k, i in self.m.interactions.items() if i.state in OPEN]
        if which == "open" and open_:
            return open_[pick % len(open_)]
        if which in ("open", "any") and used:
            return used[pick % len(used)]
        if which == "stray":
            return f"stray-{pick % 3}"
        return f"evt-{len(used)}"

    @rule(which=st.sampled_from(["fresh", "fresh", "any"]), pick=PICKS, who=WHO)
    def reserve(self, which: str, pick: int, who: int | None) -> None:
        self.do_reserve(self.pick_key(which, pick), who)

    def do_reserve(self, key: str, who: int | None) -> str:
        member = None if who is None else self.members[who]
        ws = self.workspace()
        expected = self.m.reserve(key, self.clock.now())
        try:
            hold = self.run(self.backend.pool.reserve(ws, key=key, member=member))
        except OutOfCredits:
            assert expected == "out"
            return expected
        except PoolBusy:
            assert expected == "busy"
            return expected
        assert expected == ("duplicate" if hold.duplicate else "held")
        assert hold.interaction.state.value == self.m.interactions[key].state.value
        return expected

    @rule(
        which=st.sampled_from(["open", "open", "open", "open", "any", "stray"]),
        pick=PICKS,
        usage=USAGES,
        kind=st.sampled_from(InteractionType),
    )
    def settle(self, which: str, pick: int, usage: TokenUsage, kind: InteractionType) -> None:
        self.do_settle(self.pick_key(which, pick), usage, kind)

    @rule(who=WHO, usages=st.lists(USAGES, min_size=1, max_size=4))
    def ask(self, who: int | None, usages: list[TokenUsage]) -> None:
        """Questions in flight together: each holds a fresh key, then all are answered at
        once. The settles are submitted together, so on SQLite they share one transaction
        (group commit) and are applied in the order submitted, as the model applies them."""
        keys = []
        for _ in usages:
            key = self.pick_key("fresh", 0)
            if self.do_reserve(key, who) == "held":
                keys.append(key)
        answered = list(zip(keys, usages, strict=False))
        ws, kind = self.workspace(), InteractionType.SIMPLE_QUESTION
        expected = []  # each settle's outcome, and what the pool has left right after it
        for key, usage in answered:
            expected.append((self.m.settle(key, price(usage)), self.m.remaining))

        async def together() -> list[Any]:
            settles = [
                self.backend.pool.settle(ws, key=key, usage=usage, interaction_type=kind)
                for key, usage in answered
            ]
            return await asyncio.gather(*settles, return_exceptions=True)

        charges = self.run(together())
        for (key, _), (outcome, remaining), charge in zip(answered, expected, charges, strict=True):
            if isinstance(charge, BaseException):
                raise charge
            self.check_charge(key, outcome, charge, remaining=remaining)

    def do_settle(self, key: str, usage: TokenUsage, kind: InteractionType) -> None:
        ws = self.workspace()
        outcome = self.m.settle(key, price(usage))
        if outcome[0] == "closed":
            with pytest.raises(ReservationClosed):
                self.run(self.backend.pool.settle(ws, key=key, usage=usage, interaction_type=kind))
            return
        charge = self.run(self.backend.pool.settle(ws, key=key, usage=usage, interaction_type=kind))
        self.check_charge(key, outcome, charge, remaining=self.m.remaining)

    def check_charge(
        self, key: str, expected: tuple[str, int, int, int], charge: Any, *, remaining: int
    ) -> None:
        outcome, monthly, packs, written_off = expected
        assert charge.duplicate == (outcome == "duplicate")
        assert charge.interaction.key == key
        if charge.duplicate:  # the earlier charge, not a second one
            assert (charge.split.charged, charge.split.written_off) == (monthly, written_off)
            return
        assert (charge.split.monthly, charge.split.packs, charge.split.written_off) == (
            monthly,
            packs,
            written_off,
        )
        assert charge.balance is not None
        assert charge.balance.remaining == remaining
        if charge.split.packs:  # packs only once the monthly allocation is used up
            assert charge.balance.monthly_remaining == 0

    @rule(which=st.sampled_from(["open", "open", "any", "stray"]), pick=PICKS)
    def release(self, which: str, pick: int) -> None:
        key = self.pick_key(which, pick)
        expected = self.m.release(key)
        assert self.run(self.backend.pool.release(self.workspace(), key=key)) == expected

    # -- admins -------------------------------------------------------------------------
    @rule(credits=st.integers(1, 8))
    def buy_pack(self, credits: int) -> None:
        if self.m.plan not in PACK_PLANS:
            with pytest.raises(PacksNotAllowed):
                self.run(self.backend.admin.buy_pack(NAME, credits))
            return
        balance = self.run(self.backend.admin.buy_pack(NAME, credits))
        self.m.add_pack(credits, purchase=True)
        assert balance.packs_remaining == sum(self.m.packs)

    @rule(credits=st.integers(1, 8))
    def grant(self, credits: int) -> None:
        balance = self.run(self.backend.admin.grant(NAME, credits, reason="support"))
        self.m.add_pack(credits, purchase=False)
        assert balance.packs_remaining == sum(self.m.packs)

    @rule(plan=st.sampled_from(Plan), allocation=ALLOCATIONS)
    def change_plan(self, plan: Plan, allocation: int | None) -> None:
        if plan is Plan.ENTERPRISE and allocation is None:
            with pytest.raises(InvalidInput):
                self.run(self.backend.admin.set_plan(NAME, plan, allocation=allocation))
            return
        monthly = DEFAULT_ALLOCATION[plan] if allocation is None else allocation
        change = self.run(self.backend.admin.set_plan(NAME, plan, allocation=allocation))
        self.ws = change.workspace
        assert change.topup == self.m.set_plan(plan, monthly)
        assert (change.workspace.plan, change.workspace.allocation) == (plan, monthly)

    # -- time ---------------------------------------------------------------------------
    @rule(months=st.integers(1, 4), hour=st.integers(0, 23))
    def renew(self, months: int, hour: int) -> None:
        renewal = self.m.cycle.renewal
        for _ in range(months - 1):
            renewal = cycle_containing(self.m.anchor, renewal).renewal
        self.clock.set(datetime.combine(renewal, time(hour), tzinfo=UTC))
        self.moved_clock()

    @rule(minutes=st.integers(1, 4))
    def wait(self, minutes: int) -> None:
        self.clock.advance(minutes=minutes)
        self.moved_clock()

    @rule()
    def expire_holds(self) -> None:
        self.clock.advance(seconds=HOLD_TTL.total_seconds() + 1)
        self.moved_clock()
        expected = self.m.expire(self.clock.now())
        assert self.run(self.backend.pool.release_expired(self.workspace())) == expected

    # -- invariants ---------------------------------------------------------------------
    @invariant()
    def pool_matches_the_rules(self) -> None:
        self.run(self._check())

    async def _check(self) -> None:
        m, backend = self.m, self.backend
        ws = self.workspace()
        status = await backend.pool.status(ws)
        b = status.balance

        assert b.remaining >= 0
        assert 0 <= b.monthly_used <= b.monthly_allocation
        assert b.packs_remaining >= 0
        assert status.paused == (b.remaining == 0)
        assert b.reserved == await backend.held(ws.id)
        assert (b.cycle_start, b.monthly_allocation, b.monthly_used) == (
            m.cycle.start,
            m.monthly_allocation,
            m.monthly_used,
        )
        assert (b.packs_remaining, b.reserved) == (sum(m.packs), m.reserved)

        totals = await backend.credits.ledger_totals(backend.pool.context(ws))
        assert totals.monthly_this_cycle == b.monthly_remaining
        assert totals.packs == b.packs_remaining
        assert totals.written_off == m.written_off

        ledger = await backend.credits.ledger(ws.id)
        charges = [e for e in ledger if e.kind is EntryKind.CHARGE]
        assert -sum(e.delta for e in charges) == m.charged  # each key charged once
        write_offs = [e for e in ledger if e.kind is EntryKind.WRITE_OFF]
        assert -sum(e.delta for e in write_offs) == m.written_off
        monthly: dict[date, int] = {}
        packs: dict[int, int] = {}
        for e in ledger:  # replayed in order
            if e.bucket is Bucket.MONTHLY:
                monthly[e.cycle_start] = monthly.get(e.cycle_start, 0) + e.delta
                assert monthly[e.cycle_start] >= 0
            elif e.bucket is Bucket.PACKS:
                assert e.pack_id is not None
                if e.kind is EntryKind.CHARGE:
                    assert monthly.get(e.cycle_start, 0) == 0, "pack drawn before monthly"
                    assert all(left == 0 for p, left in packs.items() if p < e.pack_id), (
                        "a newer pack was drawn before an older one was used up"
                    )
                packs[e.pack_id] = packs.get(e.pack_id, 0) + e.delta
        assert [packs[p] for p in sorted(packs)] == m.packs
        for cycle_start, left in monthly.items():  # past cycles' unused credits expired
            assert left == (b.monthly_remaining if cycle_start == b.cycle_start else 0)

        alerts = await backend.credits.alerts(ws.id)
        counted = [
            a.dedupe_key for a in alerts if a.kind in (AlertKind.THRESHOLD, AlertKind.PAUSED)
        ]
        assert len(counted) == len(set(counted)), "an alert fired twice"
        assert set(counted) == m.alert_keys
        thresholds = [(a.cycle_start, a.percent) for a in alerts if a.kind is AlertKind.THRESHOLD]
        assert len(thresholds) == len(set(thresholds))
        assert [a.kind for a in alerts].count(AlertKind.PACK_PURCHASED) == m.purchases


# -- the tests -----------------------------------------------------------------------------


def test_ledger_machine_on_the_in_memory_store() -> None:
    run_state_machine_as_test(
        lambda: LedgerMachine(FakeBackend),
        settings=settings(max_examples=100, stateful_step_count=40, deadline=None),
    )


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An upgraded, empty SQLite database that each example copies."""
    path = tmp_path_factory.mktemp("ledger-template") / "template.db"

    async def build() -> None:
        db = open_database(f"sqlite:///{path}", pool_size=1)
        try:
            await upgrade_schema(db)
        finally:
            await db.dispose()

    asyncio.run(build())
    return path


def test_ledger_machine_on_sqlite(sqlite_template: Path, tmp_path: Path) -> None:
    examples = itertools.count()

    def machine() -> LedgerMachine:
        directory = tmp_path / f"example-{next(examples)}"
        return LedgerMachine(lambda clock: SqliteBackend(clock, sqlite_template, directory))

    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
