"""Usage breakdowns read from the daily rollup, so their cost does not grow with history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.storage.database import Database
from adapters.storage.tables import interactions, members, usage_rollup
from core.credits.pricing import InteractionType
from core.credits.usage import DayUsage, MemberUsage, TypeUsage, UsageFigures
from core.ports import CycleContext
from core.workspaces import Platform

NO_MEMBER = "(no member)"


class SqlUsageStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def last_used(
        self, platform: Platform, external_id: str, workspace_ids: Sequence[int]
    ) -> int | None:
        """One indexed read: the person's member rows, then their latest interaction."""
        if not workspace_ids:
            return None
        i, m = interactions.c, members.c
        async with self._db.read() as conn:
            found = await conn.scalar(
                select(i.workspace_id)
                .join(members, m.id == i.member_id)
                .where(
                    m.platform == platform.value,
                    m.external_id == external_id,
                    m.workspace_id.in_(list(workspace_ids)),
                )
                .order_by(i.created_at.desc(), i.id.desc())
                .limit(1)
            )
        return None if found is None else int(found)

    async def usage(self, ctx: CycleContext, *, since: date, until: date) -> UsageFigures:
        r = usage_rollup.c
        window = (r.workspace_id == ctx.workspace_id, r.day >= since, r.day <= until)
        async with self._db.read(offload=True) as conn:
            by_member = await _by_member(conn, ctx.workspace_id, window)
            days = {
                row.day: (int(row.credits), int(row.n))
                for row in await conn.execute(
                    select(
                        r.day,
                        func.sum(r.credits).label("credits"),
                        func.sum(r.interactions).label("n"),
                    )
                    .where(*window)
                    .group_by(r.day)
                )
            }
            by_type = [
                TypeUsage(InteractionType(row.interaction_type), int(row.credits), int(row.n))
                for row in await conn.execute(
                    select(
                        r.interaction_type,
                        func.sum(r.credits).label("credits"),
                        func.sum(r.interactions).label("n"),
                    )
                    .where(*window)
                    .group_by(r.interaction_type)
                    .order_by(r.interaction_type)
                )
            ]
            totals = (
                await conn.execute(
                    select(
                        func.coalesce(func.sum(r.input_tokens), 0),
                        func.coalesce(func.sum(r.output_tokens), 0),
                        func.coalesce(func.sum(r.written_off), 0),
                    ).where(*window)
                )
            ).one()
        span = (until - since).days + 1
        by_day = tuple(
            DayUsage(day, *days.get(day, (0, 0)))
            for day in (since + timedelta(days=i) for i in range(max(span, 0)))
        )
        return UsageFigures(
            by_member=tuple(by_member),
            by_day=by_day,
            by_type=tuple(by_type),
            input_tokens=int(totals[0]),
            output_tokens=int(totals[1]),
            written_off=int(totals[2]),
        )


async def _by_member(
    conn: AsyncConnection, workspace_id: int, window: tuple[object, ...]
) -> list[MemberUsage]:
    """Members who used credits in the window, and every member with a cap."""
    r = usage_rollup.c
    used = {
        int(row.member_key): (int(row.credits), int(row.n))
        for row in await conn.execute(
            select(
                r.member_key,
                func.sum(r.credits).label("credits"),
                func.sum(r.interactions).label("n"),
            )
            .where(*window)  # type: ignore[arg-type]
            .group_by(r.member_key)
        )
    }
    people = {
        row.id: row
        for row in await conn.execute(
            select(members.c.id, members.c.display_name, members.c.monthly_cap).where(
                members.c.workspace_id == workspace_id,
                members.c.id.in_(list(used)) | members.c.monthly_cap.is_not(None),
            )
        )
    }
    result = [
        MemberUsage(
            member_id=key,
            member=people[key].display_name if key in people else NO_MEMBER,
            credits=used.get(key, (0, 0))[0],
            interactions=used.get(key, (0, 0))[1],
            cap=people[key].monthly_cap if key in people else None,
        )
        for key in set(used) | set(people)
    ]
    return sorted(result, key=lambda m: (-m.credits, m.member))
