"""An answer's history rows (its turns and audit record) in the transaction of its charge."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.storage.audit_log import insert_audit
from adapters.storage.threads import insert_turns
from core.ports import AnswerRecord


async def write_answer(conn: AsyncConnection, record: AnswerRecord | None, *, credits: int) -> None:
    """Store what the answer leaves behind, with the credits the charge took in its audit
    record; called once by whichever settle path claims the interaction."""
    if record is None:
        return
    await insert_turns(conn, record.turns)
    await insert_audit(conn, replace(record.audit, credits=credits))
