"""Storage ports the domain needs; `adapters/storage` implements them on SQL databases.

Each credit operation is atomic in the store: it holds the workspace's balance lock while it
applies the pure rules of `core.credits.balance`, so concurrent requests from several
processes or connections can never overspend the pool nor charge one key twice.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from core.assistant.audit import AuditRecord
from core.assistant.threads import Turn
from core.credits.alerts import UsageAlert
from core.credits.balance import Balance
from core.credits.cycles import Cycle
from core.credits.interactions import Charge, Interaction
from core.credits.ledger import LedgerEntry, LedgerTotals
from core.credits.pricing import InteractionType, TokenUsage
from core.credits.usage import UsageFigures
from core.plans import Plan
from core.workspaces import Member, Mode, Platform, Role, Workspace


@dataclass(frozen=True)
class CycleContext:
    """What every credit operation needs to roll the pool into the current cycle."""

    workspace_id: int
    cycle: Cycle
    allocation: int
    now: datetime


@dataclass(frozen=True)
class RateWindow:
    """At most `limit` interactions of the workspace created since `since`, this one included,
    and at most `member_limit` of them by the member asking (one member's flood leaves room
    for the others)."""

    limit: int
    since: datetime
    member_limit: int | None = None


@dataclass(frozen=True)
class HoldRequest:
    ctx: CycleContext
    key: str
    member_id: int | None
    amount: int  # 0 for an unmetered (self-hosted) interaction
    member_cap: int | None
    expires_at: datetime
    # Counted under the workspace's balance lock, in the hold's transaction: a burst of
    # concurrent holds admits exactly the limit.
    rate: RateWindow | None = None


class HoldStatus(enum.StrEnum):
    HELD = "held"
    DUPLICATE = "duplicate"
    INSUFFICIENT = "insufficient"
    MEMBER_CAP = "member_cap"
    RATE_LIMITED = "rate_limited"
    MEMBER_RATE_LIMITED = "member_rate_limited"


@dataclass(frozen=True)
class HoldOutcome:
    status: HoldStatus
    interaction: Interaction | None
    balance: Balance | None


@dataclass(frozen=True)
class AnswerRecord:
    """What an answer leaves behind: its thread turns and its audit record.

    Written in the transaction of the charge (exactly once, whichever way the settle
    commits; a repeated settle of the key writes nothing), so an answer is charged if and
    only if it is recorded. The store sets the audit record's `credits` to what was charged.
    """

    turns: tuple[Turn, ...]
    audit: AuditRecord


@dataclass(frozen=True)
class SettleRequest:
    ctx: CycleContext
    key: str
    credits: int  # 0 for an unmetered (self-hosted) interaction
    usage: TokenUsage
    interaction_type: InteractionType
    record: AnswerRecord | None = None


class PackSource(enum.StrEnum):
    PURCHASE = "purchase"
    GRANT = "grant"


class WorkspaceStore(Protocol):
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
    ) -> Workspace: ...

    async def get_workspace(self, name: str) -> Workspace: ...

    async def list_workspaces(self) -> list[Workspace]: ...

    async def change_plan(self, ctx: CycleContext, *, plan: Plan, allocation: int) -> int:
        """Set the plan; returns the credits an upgrade added to the current cycle."""
        ...

    async def link(self, workspace_id: int, platform: Platform, external_id: str) -> None: ...

    async def workspace_for(self, platform: Platform, external_id: str) -> Workspace | None: ...

    async def ensure_member(
        self, workspace_id: int, platform: Platform, external_id: str, display_name: str
    ) -> Member: ...

    async def set_role(self, member_id: int, role: Role) -> Member: ...

    async def set_member_cap(self, member_id: int, cap: int | None) -> Member: ...

    async def list_members(self, workspace_id: int) -> list[Member]: ...


class CreditStore(Protocol):
    async def hold(self, request: HoldRequest) -> HoldOutcome: ...

    async def settle(self, request: SettleRequest) -> Charge: ...

    async def release(
        self, ctx: CycleContext, key: str, *, record: AuditRecord | None = None
    ) -> bool:
        """Drop a hold without charge; False when there was nothing held under `key`. A
        hold the sweep expired is closed too: an answer that arrives for it later (a stalled
        replica) can no longer be charged, so a message answered again under another key is
        paid for once.

        `record` (why there is no answer) is written in the same transaction when the hold
        was still open: held, or expired while the answer was being made.
        """
        ...

    async def release_expired(self, ctx: CycleContext) -> int: ...

    async def add_pack(
        self, ctx: CycleContext, *, credits: int, source: PackSource, note: str
    ) -> Balance: ...

    async def balance(self, ctx: CycleContext) -> Balance: ...

    async def ledger(self, workspace_id: int) -> list[LedgerEntry]: ...

    async def ledger_totals(self, ctx: CycleContext) -> LedgerTotals: ...

    async def alerts(self, workspace_id: int) -> list[UsageAlert]: ...


class UsageStore(Protocol):
    async def usage(self, ctx: CycleContext, *, since: date, until: date) -> UsageFigures: ...

    async def last_used(
        self, platform: Platform, external_id: str, workspace_ids: Sequence[int]
    ) -> int | None:
        """Of `workspace_ids`, the one where this person's latest AI interaction was (None:
        no interaction in any of them)."""
        ...
