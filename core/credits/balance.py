"""A workspace's credit balance and the pure rules that move it.

Both storage adapters and the in-memory fake call these functions while they hold the
workspace's balance lock, so the rules live here once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from core.credits.cycles import Cycle
from core.credits.ledger import Bucket, EntryKind, LedgerEntry

ALERT_THRESHOLDS: tuple[int, ...] = (75, 90, 100)


@dataclass(frozen=True)
class Balance:
    """The pool of one workspace at one moment (cloud mode)."""

    cycle_start: date
    monthly_allocation: int
    monthly_used: int
    packs_remaining: int
    reserved: int

    @property
    def monthly_remaining(self) -> int:
        return self.monthly_allocation - self.monthly_used

    @property
    def remaining(self) -> int:
        return self.monthly_remaining + self.packs_remaining

    @property
    def available(self) -> int:
        """What a new reservation may still take: remaining minus holds in flight."""
        return max(0, self.remaining - self.reserved)

    @property
    def paused(self) -> bool:
        return self.remaining <= 0


@dataclass(frozen=True)
class ChargeSplit:
    """Where a charge's credits come from: monthly first, then packs, then written off."""

    monthly: int
    packs: int
    written_off: int

    @property
    def charged(self) -> int:
        return self.monthly + self.packs


def split_charge(balance: Balance, credits: int, *, held: int) -> ChargeSplit:
    """Take `credits` from the monthly allocation, then packs; cap the rest as a write-off.

    The interaction's own hold of `held` is counted in `balance.reserved`; it may spend that
    hold and any unreserved credits, never other requests' holds, so concurrent answers can
    never overspend the pool. What cannot be paid is written off, never owed.
    """
    others_reserved = max(0, balance.reserved - held)
    spendable = max(0, min(credits, balance.remaining - others_reserved))
    monthly = min(spendable, max(0, balance.monthly_remaining))
    packs = spendable - monthly
    return ChargeSplit(monthly=monthly, packs=packs, written_off=credits - spendable)


def thresholds_crossed(allocation: int, used_before: int, used_after: int) -> list[int]:
    """Alert thresholds (percent of the monthly allocation) that this step crossed."""
    if allocation <= 0:
        return []
    return [t for t in ALERT_THRESHOLDS if used_before * 100 < t * allocation <= used_after * 100]


def plan_change_topup(current_allocation: int, new_allocation: int) -> int:
    """Credits added to the current cycle when the plan changes mid-cycle.

    An upgrade tops the current cycle up to the new allocation at once; a downgrade takes
    nothing back (the smaller allocation starts at the next renewal).
    """
    return max(0, new_allocation - current_allocation)


def draw_packs(packs: list[tuple[int, int]], credits: int) -> list[tuple[int, int]]:
    """Take `credits` from `(pack_id, remaining)` pairs, oldest (lowest id) first."""
    draws: list[tuple[int, int]] = []
    for pack_id, remaining in sorted(packs):
        if credits <= 0:
            break
        take = min(remaining, credits)
        if take > 0:
            draws.append((pack_id, take))
            credits -= take
    return draws


def renew(
    balance: Balance, cycle: Cycle, allocation: int, *, at: datetime
) -> tuple[Balance, list[LedgerEntry]]:
    """Roll the pool into `cycle`: unused monthly credits expire, the new allocation starts.

    Packs and holds in flight carry over. Cycles skipped while nothing ran need no entries:
    nothing was granted or used in them.
    """
    entries: list[LedgerEntry] = []
    if balance.monthly_remaining > 0:
        entries.append(
            LedgerEntry(
                kind=EntryKind.MONTHLY_EXPIRY,
                bucket=Bucket.MONTHLY,
                delta=-balance.monthly_remaining,
                cycle_start=balance.cycle_start,
                at=at,
            )
        )
    entries.append(
        LedgerEntry(
            kind=EntryKind.MONTHLY_GRANT,
            bucket=Bucket.MONTHLY,
            delta=allocation,
            cycle_start=cycle.start,
            at=at,
        )
    )
    renewed = replace(
        balance, cycle_start=cycle.start, monthly_allocation=allocation, monthly_used=0
    )
    return renewed, entries
