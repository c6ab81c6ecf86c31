"""An answer's history rows (its turns and audit record) in the transaction of its charge."""

from __future__ import annotations

from dataclasses import replace

from adapters.storage.audit_log import AUDIT_INSERT, audit_row
from adapters.storage.threads import TURNS_INSERT, turn_rows
from adapters.storage.write_behind import WriteBehind
from core.ports import AnswerRecord


async def write_answer(later: WriteBehind, record: AnswerRecord | None, *, credits: int) -> None:
    """Store what the answer leaves behind, with the credits the charge took in its audit
    record; called once by whichever settle path claims the interaction."""
    if record is None:
        return
    await later.add(TURNS_INSERT, turn_rows(record.turns))
    await later.add(AUDIT_INSERT, [audit_row(replace(record.audit, credits=credits))])
