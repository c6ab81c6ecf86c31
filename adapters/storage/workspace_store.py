"""Workspaces, members and platform links in SQL."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError

from adapters.storage.balance_rows import insert_entries, locked_balance, store_balance
from adapters.storage.database import Database, utc
from adapters.storage.tables import (
    credit_balances,
    members,
    platform_links,
    workspaces,
)
from core.credits.balance import plan_change_topup
from core.credits.cycles import Cycle
from core.credits.ledger import Bucket, EntryKind, LedgerEntry
from core.errors import Conflict, NotFound, WorkspaceNotFound
from core.plans import Plan
from core.ports import CycleContext
from core.workspaces import Member, Mode, Platform, Role, Workspace, name_taken


def _workspace(row: Any) -> Workspace:
    return Workspace(
        id=row.id,
        name=row.name,
        plan=Plan(row.plan),
        allocation=row.allocation,
        anchor=row.anchor,
        mode=Mode(row.mode),
        created_at=utc(row.created_at),
    )


def _member(row: Any) -> Member:
    return Member(
        id=row.id,
        workspace_id=row.workspace_id,
        platform=Platform(row.platform),
        external_id=row.external_id,
        display_name=row.display_name,
        role=Role(row.role),
        monthly_cap=row.monthly_cap,
    )


class SqlWorkspaceStore:
    def __init__(self, db: Database) -> None:
        self._db = db

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
        try:
            async with self._db.write() as conn:
                workspace_id = await conn.scalar(
                    workspaces.insert()
                    .values(
                        name=name,
                        plan=plan.value,
                        allocation=allocation,
                        anchor=anchor,
                        mode=mode.value,
                        created_at=now,
                    )
                    .returning(workspaces.c.id)
                )
                await conn.execute(
                    credit_balances.insert().values(
                        workspace_id=workspace_id,
                        cycle_start=cycle.start,
                        monthly_allocation=allocation,
                        monthly_used=0,
                        packs_remaining=0,
                        reserved=0,
                        packs_added=0,
                    )
                )
                grant = LedgerEntry(
                    kind=EntryKind.MONTHLY_GRANT,
                    bucket=Bucket.MONTHLY,
                    delta=allocation,
                    cycle_start=cycle.start,
                    at=now,
                )
                await insert_entries(conn, workspace_id, [grant])
        except IntegrityError:
            raise name_taken(name, await self.get_workspace(name)) from None
        return await self.get_workspace(name)

    async def get_workspace(self, name: str) -> Workspace:
        """By name, whatever its case (names are unique ignoring case)."""
        async with self._db.read() as conn:
            row = (
                await conn.execute(
                    select(workspaces).where(func.lower(workspaces.c.name) == name.lower())
                )
            ).first()
        if row is None:
            raise WorkspaceNotFound(name)
        return _workspace(row)

    async def list_workspaces(self) -> list[Workspace]:
        async with self._db.read() as conn:
            rows = await conn.execute(select(workspaces).order_by(workspaces.c.name))
            return [_workspace(r) for r in rows]

    async def change_plan(self, ctx: CycleContext, *, plan: Plan, allocation: int) -> int:
        async with self._db.write() as conn:
            balance = await locked_balance(conn, ctx)
            topup = plan_change_topup(balance.monthly_allocation, allocation)
            if topup:
                entry = LedgerEntry(
                    kind=EntryKind.PLAN_TOPUP,
                    bucket=Bucket.MONTHLY,
                    delta=topup,
                    cycle_start=balance.cycle_start,
                    at=ctx.now,
                    note=f"upgrade to {plan.value}",
                )
                await insert_entries(conn, ctx.workspace_id, [entry])
                await store_balance(
                    conn,
                    ctx.workspace_id,
                    monthly_allocation=balance.monthly_allocation + topup,
                )
            await conn.execute(
                update(workspaces)
                .where(workspaces.c.id == ctx.workspace_id)
                .values(plan=plan.value, allocation=allocation)
            )
        return topup

    async def link(self, workspace_id: int, platform: Platform, external_id: str) -> None:
        async with self._db.write() as conn:
            owner = await conn.scalar(
                select(platform_links.c.workspace_id).where(
                    platform_links.c.platform == platform.value,
                    platform_links.c.external_id == external_id,
                )
            )
            if owner == workspace_id:
                return
            if owner is not None:
                name = await conn.scalar(select(workspaces.c.name).where(workspaces.c.id == owner))
                raise Conflict(
                    f"{platform.value} {external_id} is already linked to workspace {name!r}"
                )
            await conn.execute(
                platform_links.insert().values(
                    platform=platform.value, external_id=external_id, workspace_id=workspace_id
                )
            )

    async def workspace_for(self, platform: Platform, external_id: str) -> Workspace | None:
        params = {"p": platform.value, "team": external_id}
        async with self._db.read() as conn:
            row = (await conn.execute(_WORKSPACE_FOR, params)).first()
        return _workspace(row) if row else None

    async def ensure_member(
        self, workspace_id: int, platform: Platform, external_id: str, display_name: str
    ) -> Member:
        """The member, created on first use (concurrent first uses create one row)."""
        async with self._db.write() as conn:
            await conn.execute(
                self._db.insert(members)
                .values(
                    workspace_id=workspace_id,
                    platform=platform.value,
                    external_id=external_id,
                    display_name=display_name,
                    role=Role.MEMBER.value,
                )
                .on_conflict_do_nothing()
            )
            row = (
                await conn.execute(
                    select(members).where(
                        members.c.workspace_id == workspace_id,
                        members.c.platform == platform.value,
                        members.c.external_id == external_id,
                    )
                )
            ).one()
        return _member(row)

    async def set_role(self, member_id: int, role: Role) -> Member:
        return await self._update_member(member_id, role=role.value)

    async def set_member_cap(self, member_id: int, cap: int | None) -> Member:
        return await self._update_member(member_id, monthly_cap=cap)

    async def list_members(self, workspace_id: int) -> list[Member]:
        async with self._db.read() as conn:
            rows = await conn.execute(
                select(members).where(members.c.workspace_id == workspace_id).order_by(members.c.id)
            )
            return [_member(r) for r in rows]

    async def _update_member(self, member_id: int, **values: Any) -> Member:
        async with self._db.write() as conn:
            row = (
                await conn.execute(
                    update(members)
                    .where(members.c.id == member_id)
                    .values(**values)
                    .returning(members)
                )
            ).first()
        if row is None:
            raise NotFound(f"no member with id {member_id}")
        return _member(row)


# Read on every message: built once, with parameters.
_WORKSPACE_FOR = (
    select(workspaces)
    .join(platform_links, platform_links.c.workspace_id == workspaces.c.id)
    .where(
        platform_links.c.platform == bindparam("p"),
        platform_links.c.external_id == bindparam("team"),
    )
)
