"""The audit log of AI interactions in SQL; records arrive already redacted."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.storage.database import Database, utc
from adapters.storage.tables import audit_log
from adapters.storage.write_behind import write_rows
from core.assistant.audit import AuditRecord


class SqlAuditLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(self, entry: AuditRecord) -> None:
        async with self._db.write() as conn:
            await insert_audit(conn, entry)

    async def entries(self, workspace_id: int, *, since: datetime | None) -> list[AuditRecord]:
        """The workspace's records in the order they were written, from `since` on."""
        a = audit_log.c
        query = select(audit_log).where(a.workspace_id == workspace_id).order_by(a.id)
        if since is not None:
            query = query.where(a.at >= since.astimezone(UTC))
        async with self._db.read(offload=True) as conn:
            return [_record(r) for r in await conn.execute(query)]


AUDIT_INSERT = audit_log.insert()


async def insert_audit(conn: AsyncConnection, entry: AuditRecord) -> None:
    """Write one record in the caller's transaction (a release, a refusal)."""
    await write_rows(conn, AUDIT_INSERT, [audit_row(entry)])


def audit_row(entry: AuditRecord) -> dict[str, Any]:
    return {
        "workspace_id": entry.workspace_id,
        "thread_id": entry.thread_id,
        "member_id": entry.member_id,
        "event_id": entry.event_id,
        "at": entry.at.astimezone(UTC),
        "prompt": entry.prompt,
        "answer": entry.answer,
        "tools": json.dumps(list(entry.tools)),
        "input_tokens": entry.input_tokens,
        "output_tokens": entry.output_tokens,
        "tokens_estimated": entry.tokens_estimated,
        "credits": entry.credits,
        "interaction_type": entry.interaction_type,
        "model": entry.model,
        "outcome": entry.outcome,
        "proposals": json.dumps(list(entry.proposals)),
    }


def _record(row: Any) -> AuditRecord:
    return AuditRecord(
        workspace_id=row.workspace_id,
        thread_id=row.thread_id,
        member_id=row.member_id,
        event_id=row.event_id,
        at=utc(row.at),
        prompt=row.prompt,
        answer=row.answer,
        tools=tuple(json.loads(row.tools)),
        input_tokens=row.input_tokens,
        output_tokens=row.output_tokens,
        tokens_estimated=row.tokens_estimated,
        credits=row.credits,
        interaction_type=row.interaction_type,
        model=row.model,
        outcome=row.outcome,
        proposals=tuple(json.loads(row.proposals)),
    )
