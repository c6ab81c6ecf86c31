"""What the operator and workspace admins do: workspaces, plans, links, roles, caps, packs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.clock import Clock
from core.credits.balance import Balance
from core.credits.cycles import cycle_containing
from core.credits.pool import cycle_context
from core.errors import InvalidInput, NotFound, PacksNotAllowed, WorkspaceNotFound
from core.plans import PLAN_TERMS, Plan, monthly_allocation
from core.ports import CreditStore, PackSource, WorkspaceStore
from core.workspaces import (
    Member,
    Mode,
    Platform,
    Role,
    Workspace,
    check_workspace_name,
    name_taken,
)

MAX_PACK_CREDITS = 1_000_000
MAX_CAP = 1_000_000


@dataclass(frozen=True)
class PlanChange:
    workspace: Workspace
    topup: int


def check_credits(credits: int, *, what: str = "credits") -> int:
    if credits <= 0:
        raise InvalidInput(f"{what} must be a positive whole number, not {credits}")
    if credits > MAX_PACK_CREDITS:
        raise InvalidInput(f"{what} must be at most {MAX_PACK_CREDITS:,}, not {credits:,}")
    return credits


def parse_member_ref(text: str) -> tuple[Platform | None, str]:
    """`slack:U123`, `discord:42`, `console:alice`, or a bare name or id."""
    prefix, sep, rest = text.partition(":")
    if sep and prefix in {p.value for p in Platform}:
        if not rest:
            raise InvalidInput(f"member {text!r} names no id after {prefix!r}")
        return Platform(prefix), rest
    return None, text


class WorkspaceAdmin:
    def __init__(self, *, workspaces: WorkspaceStore, credits: CreditStore, clock: Clock) -> None:
        self._workspaces = workspaces
        self._credits = credits
        self._clock = clock

    async def create(
        self,
        name: str,
        *,
        plan: Plan,
        allocation: int | None = None,
        anchor: date | None = None,
        mode: Mode = Mode.CLOUD,
    ) -> Workspace:
        check_workspace_name(name)
        await self._refuse_taken(name)
        now = self._clock.now()
        monthly = monthly_allocation(plan, allocation)
        first_anchor = anchor or now.date()
        return await self._workspaces.create_workspace(
            name=name,
            plan=plan,
            allocation=monthly,
            anchor=first_anchor,
            mode=mode,
            cycle=cycle_containing(first_anchor, now.date()),
            now=now,
        )

    async def _refuse_taken(self, name: str) -> None:
        """`Demo` when `demo` exists is refused here, with the existing name; the database's
        unique index on the lower-cased name refuses it too, for two creations at once."""
        try:
            existing = await self._workspaces.get_workspace(name)
        except WorkspaceNotFound:
            return
        raise name_taken(name, existing)

    async def get(self, name: str) -> Workspace:
        """The workspace of that name, in any case."""
        return await self._workspaces.get_workspace(name)

    async def list(self) -> list[Workspace]:
        return await self._workspaces.list_workspaces()

    async def set_plan(self, name: str, plan: Plan, *, allocation: int | None = None) -> PlanChange:
        """Change plan; an upgrade tops up the current cycle, a downgrade waits for renewal."""
        workspace = await self.get(name)
        monthly = monthly_allocation(plan, allocation)
        ctx = cycle_context(workspace, self._clock.now())
        topup = await self._workspaces.change_plan(ctx, plan=plan, allocation=monthly)
        return PlanChange(workspace=await self.get(name), topup=topup)

    async def link(self, name: str, platform: Platform, external_id: str) -> Workspace:
        workspace = await self.get(name)
        if not external_id.strip():
            raise InvalidInput(f"a {platform.value} id cannot be empty")
        await self._workspaces.link(workspace.id, platform, external_id.strip())
        return workspace

    async def add_admin(self, name: str, platform: Platform, external_id: str) -> Member:
        workspace = await self.get(name)
        if not external_id.strip():
            raise InvalidInput(f"a {platform.value} user id cannot be empty")
        member = await self._workspaces.ensure_member(
            workspace.id, platform, external_id.strip(), external_id.strip()
        )
        return await self._workspaces.set_role(member.id, Role.ADMIN)

    async def set_member_cap(self, name: str, member_ref: str, cap: int | None) -> Member:
        """An admin's per-member monthly cap (`None` removes it); the pool stays shared."""
        if cap is not None and not 0 <= cap <= MAX_CAP:
            raise InvalidInput(f"a member cap must be between 0 and {MAX_CAP:,}, not {cap}")
        workspace = await self.get(name)
        member = await self._find_member(workspace, member_ref)
        return await self._workspaces.set_member_cap(member.id, cap)

    async def buy_pack(self, name: str, credits: int) -> Balance:
        check_credits(credits)
        workspace = await self.get(name)
        if not PLAN_TERMS[workspace.plan].can_buy_packs:
            raise PacksNotAllowed(workspace.plan.value)
        ctx = cycle_context(workspace, self._clock.now())
        return await self._credits.add_pack(
            ctx, credits=credits, source=PackSource.PURCHASE, note=f"pack of {credits}"
        )

    async def grant(self, name: str, credits: int, *, reason: str) -> Balance:
        check_credits(credits)
        if not reason.strip():
            raise InvalidInput("a grant needs a --reason")
        workspace = await self.get(name)
        ctx = cycle_context(workspace, self._clock.now())
        return await self._credits.add_pack(
            ctx, credits=credits, source=PackSource.GRANT, note=reason.strip()
        )

    async def _find_member(self, workspace: Workspace, ref: str) -> Member:
        platform, ident = parse_member_ref(ref.strip())
        if platform is not None:
            return await self._workspaces.ensure_member(workspace.id, platform, ident, ident)
        matches = [
            m
            for m in await self._workspaces.list_members(workspace.id)
            if ident in (m.external_id, m.display_name)
        ]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise NotFound(
                f"no member {ident!r} in workspace {workspace.name!r} "
                "(name one as slack:U…, discord:… or console:NAME)"
            )
        raise InvalidInput(
            f"{ident!r} matches {len(matches)} members of {workspace.name!r}; "
            "name one as slack:U…, discord:… or console:NAME"
        )
