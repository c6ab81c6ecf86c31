"""Checking a workspace's stored figures against its append-only ledger.

`ledger verify` reads one consistent snapshot of a workspace (its ledger entries,
interactions, packs, usage rollup, alerts and balance row) and recomputes from the ledger and
the interactions what every stored figure must be. Each mismatch is one `Difference`; no
difference means the ledger explains the balance, every charge is recorded once, no hold is
left behind and every alert the usage crossed is in the outbox.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from core.credits.alerts import pack_key, threshold_key
from core.credits.balance import ALERT_THRESHOLDS
from core.credits.interactions import InteractionState
from core.credits.ledger import Bucket, EntryKind, LedgerEntry

MONTHLY_ADDS = (EntryKind.MONTHLY_GRANT, EntryKind.PLAN_TOPUP)


@dataclass(frozen=True)
class StoredBalance:
    """The workspace's balance row as stored."""

    cycle_start: date
    monthly_allocation: int
    monthly_used: int
    packs_remaining: int
    reserved: int
    packs_added: int


@dataclass(frozen=True)
class StoredPack:
    id: int
    purchased: bool  # bought (it has a purchase alert) rather than granted
    credits: int
    remaining: int


@dataclass(frozen=True)
class StoredInteraction:
    id: int
    key: str
    member_id: int | None
    state: InteractionState
    reserved: int
    credits: int
    pack_credits: int
    written_off: int
    interaction_type: str | None
    input_tokens: int
    output_tokens: int
    expires_at: datetime
    settled_at: datetime | None


@dataclass(frozen=True)
class RollupKey:
    day: date
    member_key: int
    interaction_type: str


@dataclass(frozen=True)
class RollupFigures:
    credits: int = 0
    interactions: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    written_off: int = 0

    def plus(self, other: RollupFigures) -> RollupFigures:
        return RollupFigures(
            self.credits + other.credits,
            self.interactions + other.interactions,
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.written_off + other.written_off,
        )


@dataclass(frozen=True)
class WorkspaceSnapshot:
    """Everything `verify` compares, read in one transaction."""

    workspace: str
    now: datetime
    metered: bool
    balance: StoredBalance | None
    entries: tuple[LedgerEntry, ...]
    interactions: tuple[StoredInteraction, ...]
    packs: tuple[StoredPack, ...]
    rollup: dict[RollupKey, RollupFigures]
    alert_keys: frozenset[str]


@dataclass(frozen=True)
class Difference:
    """One stored figure that the ledger does not explain."""

    workspace: str
    what: str
    expected: str
    found: str

    def line(self) -> str:
        return f"{self.workspace}: {self.what}: expected {self.expected}, found {self.found}"


def verify(snapshot: WorkspaceSnapshot) -> list[Difference]:
    """Every difference between the stored figures and what the ledger says they are."""
    found: list[tuple[str, object, object]] = []
    found += _balance_differences(snapshot)
    found += _pack_differences(snapshot)
    found += _interaction_differences(snapshot)
    found += _rollup_differences(snapshot)
    found += _outbox_differences(snapshot)
    return [Difference(snapshot.workspace, what, str(e), str(f)) for what, e, f in found]


Found = list[tuple[str, object, object]]


def _sum(entries: Iterable[LedgerEntry]) -> int:
    return sum(e.delta for e in entries)


def _balance_differences(s: WorkspaceSnapshot) -> Found:
    b = s.balance
    if b is None:
        return [("balance row", "one row", "none")] if s.entries else []
    monthly = [e for e in s.entries if e.bucket is Bucket.MONTHLY]
    current = [e for e in monthly if e.cycle_start == b.cycle_start]
    allocation = _sum(e for e in current if e.kind in MONTHLY_ADDS)
    used = -_sum(e for e in current if e.kind is EntryKind.CHARGE)
    packs = _sum(e for e in s.entries if e.bucket is Bucket.PACKS)
    held = sum(i.reserved for i in s.interactions if i.state is InteractionState.HELD)
    out: Found = [
        ("balance monthly_allocation", allocation, b.monthly_allocation),
        ("balance monthly_used", used, b.monthly_used),
        ("balance packs_remaining", packs, b.packs_remaining),
        ("balance reserved (holds in flight)", held, b.reserved),
        ("balance packs_added", len(s.packs), b.packs_added),
    ]
    out = [(what, e, f) for what, e, f in out if e != f]
    if b.monthly_used > b.monthly_allocation or b.packs_remaining < 0:
        out.append(("balance never negative", ">= 0 remaining", _remaining(b)))
    for cycle in sorted({e.cycle_start for e in monthly if e.cycle_start < b.cycle_start}):
        left = _sum(e for e in monthly if e.cycle_start == cycle)
        if left:  # a past cycle: what was not used expired at renewal
            out.append((f"cycle {cycle} monthly credits neither used nor expired", 0, left))
    later = sorted({e.cycle_start for e in monthly if e.cycle_start > b.cycle_start})
    if later:
        out.append(("balance cycle_start", later[-1], b.cycle_start))
    return out


def _remaining(b: StoredBalance) -> str:
    return f"monthly {b.monthly_allocation - b.monthly_used}, packs {b.packs_remaining}"


def _pack_differences(s: WorkspaceSnapshot) -> Found:
    by_pack: defaultdict[int | None, list[LedgerEntry]] = defaultdict(list)
    for e in s.entries:
        if e.bucket is Bucket.PACKS:
            by_pack[e.pack_id].append(e)
    out: Found = []
    for pack in s.packs:
        entries = by_pack.pop(pack.id, [])
        added = _sum(e for e in entries if e.kind in (EntryKind.PACK_PURCHASE, EntryKind.GRANT))
        if added != pack.credits:
            out.append((f"pack {pack.id} credits", added, pack.credits))
        if _sum(entries) != pack.remaining:
            out.append((f"pack {pack.id} remaining", _sum(entries), pack.remaining))
    for pack_id, entries in by_pack.items():
        out.append((f"ledger entries of unknown pack {pack_id}", "none", len(entries)))
    return out


def _charges_by_interaction(s: WorkspaceSnapshot) -> dict[int, list[LedgerEntry]]:
    by_id: defaultdict[int, list[LedgerEntry]] = defaultdict(list)
    for e in s.entries:
        if e.interaction_id is not None:
            by_id[e.interaction_id].append(e)
    return by_id


def _interaction_differences(s: WorkspaceSnapshot) -> Found:
    charges = _charges_by_interaction(s)
    out: Found = []
    for i in s.interactions:
        entries = charges.pop(i.id, [])
        name = f"interaction {i.key!r}"
        if i.state is InteractionState.HELD and i.expires_at < s.now:
            out.append(
                (f"{name} hold expired at {i.expires_at:%Y-%m-%d %H:%M}", "released", "held")
            )
        if i.state is not InteractionState.SETTLED:
            if entries:
                out.append((f"{name} ({i.state.value}) ledger entries", 0, len(entries)))
            continue
        charged = -_sum(e for e in entries if e.kind is EntryKind.CHARGE)
        packs = -_sum(e for e in entries if e.kind is EntryKind.CHARGE and e.bucket is Bucket.PACKS)
        written_off = -_sum(e for e in entries if e.kind is EntryKind.WRITE_OFF)
        if i.credits and not entries:
            out.append((f"settled {name} without its ledger entry", f"-{i.credits}", "none"))
            continue
        out += [
            (what, e, f)
            for what, e, f in (
                (f"settled {name} credits", charged, i.credits),
                (f"settled {name} pack credits", packs, i.pack_credits),
                (f"settled {name} written off", written_off, i.written_off),
            )
            if e != f
        ]
    for interaction_id, entries in charges.items():
        out.append((f"ledger entries of unknown interaction {interaction_id}", 0, len(entries)))
    return out


def expected_rollup(s: WorkspaceSnapshot) -> dict[RollupKey, RollupFigures]:
    """The usage rollup as the settled interactions add up, per day, member and type."""
    rollup: dict[RollupKey, RollupFigures] = {}
    for i in s.interactions:
        if i.state is not InteractionState.SETTLED or i.settled_at is None:
            continue
        key = RollupKey(
            i.settled_at.astimezone(UTC).date(), i.member_id or 0, i.interaction_type or ""
        )
        figures = RollupFigures(i.credits, 1, i.input_tokens, i.output_tokens, i.written_off)
        rollup[key] = rollup.get(key, RollupFigures()).plus(figures)
    return rollup


def _rollup_differences(s: WorkspaceSnapshot) -> Found:
    expected = expected_rollup(s)
    out: Found = []
    for key in sorted(expected.keys() | s.rollup.keys(), key=_rollup_order):
        want, have = expected.get(key), s.rollup.get(key)
        if want == have:
            continue
        where = f"usage rollup {key.day} member {key.member_key} {key.interaction_type}"
        out.append((where, _figures(want), _figures(have)))
    return out


def _rollup_order(key: RollupKey) -> tuple[date, int, str]:
    return (key.day, key.member_key, key.interaction_type)


def _figures(f: RollupFigures | None) -> str:
    if f is None:
        return "no row"
    return (
        f"credits {f.credits}, interactions {f.interactions}, tokens {f.input_tokens}/"
        f"{f.output_tokens}, written off {f.written_off}"
    )


def _outbox_differences(s: WorkspaceSnapshot) -> Found:
    """Each threshold a cycle's charges crossed, and each purchased pack, has its alert."""
    if not s.metered:
        return []
    monthly = [e for e in s.entries if e.bucket is Bucket.MONTHLY]
    allocation: Counter[date] = Counter()
    used: Counter[date] = Counter()
    for e in monthly:
        if e.kind in MONTHLY_ADDS:
            allocation[e.cycle_start] += e.delta
        elif e.kind is EntryKind.CHARGE:
            used[e.cycle_start] -= e.delta
    wanted = [
        threshold_key(cycle, percent)
        for cycle in sorted(allocation)
        for percent in ALERT_THRESHOLDS
        if allocation[cycle] > 0 and used[cycle] * 100 >= percent * allocation[cycle]
    ]
    wanted += [pack_key(p.id) for p in s.packs if p.purchased]
    return [
        (f"alert {key} in the outbox", "recorded", "missing")
        for key in wanted
        if key not in s.alert_keys
    ]
