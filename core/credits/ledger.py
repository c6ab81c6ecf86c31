"""The append-only credit ledger: every movement that explains a balance."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime


class EntryKind(enum.StrEnum):
    MONTHLY_GRANT = "monthly_grant"  # a cycle's allocation starts
    MONTHLY_EXPIRY = "monthly_expiry"  # unused allocation expires at renewal
    PLAN_TOPUP = "plan_topup"  # an upgrade tops the current cycle up
    PACK_PURCHASE = "pack_purchase"
    GRANT = "grant"  # operator grant; behaves like a pack
    CHARGE = "charge"  # an answered interaction
    WRITE_OFF = "write_off"  # what an answer cost beyond the end of the pool


class Bucket(enum.StrEnum):
    MONTHLY = "monthly"
    PACKS = "packs"
    WRITE_OFF = "write_off"  # not a balance: a counted record of credits never paid


@dataclass(frozen=True)
class LedgerEntry:
    """One movement. `delta` is signed: what it added to (or took from) its bucket."""

    kind: EntryKind
    bucket: Bucket
    delta: int
    cycle_start: date
    at: datetime
    pack_id: int | None = None
    interaction_id: int | None = None
    member_id: int | None = None
    note: str = ""


@dataclass(frozen=True)
class LedgerTotals:
    """Sums of the ledger that must equal the balance the store keeps."""

    monthly_this_cycle: int
    packs: int
    written_off: int
