"""Feedback on answers in SQL: one verdict per person and answer, kept by one upsert."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import or_, select

from adapters.storage.database import Database, utc
from adapters.storage.tables import answer_feedback, audit_log
from core.assistant.feedback import Feedback

ANSWERED = "answered"


class SqlFeedbackStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def answered(self, workspace_id: int, base_key: str) -> str | None:
        a = audit_log.c
        query = (
            select(a.event_id)
            .where(
                a.workspace_id == workspace_id,
                a.outcome == ANSWERED,
                or_(a.event_id == base_key, a.event_id.startswith(f"{base_key}#", autoescape=True)),
            )
            .order_by(a.id.desc())
            .limit(1)
        )
        async with self._db.read() as conn:
            found: str | None = await conn.scalar(query)
        return found

    async def give(self, feedback: Feedback) -> bool:
        """One statement: a new verdict is inserted, a changed one updated, the same one left
        (no row comes back), so two concurrent identical clicks keep one row."""
        f = answer_feedback.c
        upsert = self._db.insert(answer_feedback).values(
            workspace_id=feedback.workspace_id,
            event_id=feedback.event_id,
            member_id=feedback.member_id,
            positive=feedback.positive,
            at=feedback.at.astimezone(UTC),
        )
        statement = upsert.on_conflict_do_update(
            index_elements=["workspace_id", "event_id", "member_id"],
            set_={"positive": upsert.excluded.positive, "at": upsert.excluded.at},
            where=f.positive != upsert.excluded.positive,
        ).returning(f.id)
        async with self._db.write() as conn:
            return (await conn.execute(statement)).first() is not None

    async def entries(self, workspace_id: int, *, since: datetime | None) -> list[Feedback]:
        f = answer_feedback.c
        query = select(answer_feedback).where(f.workspace_id == workspace_id).order_by(f.at, f.id)
        if since is not None:
            query = query.where(f.at >= since.astimezone(UTC))
        async with self._db.read() as conn:
            return [
                Feedback(
                    workspace_id=r.workspace_id,
                    event_id=r.event_id,
                    member_id=r.member_id,
                    positive=bool(r.positive),
                    at=utc(r.at),
                )
                for r in await conn.execute(query)
            ]
