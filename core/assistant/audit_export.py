"""The audit log as files: CSV or JSON lines, one row per AI interaction."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from core.assistant.audit import AuditRecord

FORMATS = ("csv", "jsonl")
FIELDS = (
    "at",
    "workspace_id",
    "thread_id",
    "member_id",
    "event_id",
    "interaction_type",
    "model",
    "outcome",
    "prompt",
    "answer",
    "tools",
    "proposals",
    "input_tokens",
    "output_tokens",
    "tokens_estimated",
    "credits",
)


def record_json(r: AuditRecord) -> dict[str, Any]:
    return {
        "at": r.at.isoformat(),
        "workspace_id": r.workspace_id,
        "thread_id": r.thread_id,
        "member_id": r.member_id,
        "event_id": r.event_id,
        "interaction_type": r.interaction_type,
        "model": r.model,
        "outcome": r.outcome,
        "prompt": r.prompt,
        "answer": r.answer,
        "tools": list(r.tools),
        "proposals": list(r.proposals),
        "input_tokens": r.input_tokens,
        "output_tokens": r.output_tokens,
        "tokens_estimated": r.tokens_estimated,
        "credits": r.credits,
    }


def as_csv(records: list[AuditRecord]) -> str:
    """A header row, then one row per record; tools and proposals joined with `;`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    for r in records:
        row = record_json(r)
        row["tools"] = ";".join(r.tools)
        row["proposals"] = ";".join(str(p) for p in r.proposals)
        writer.writerow(row[name] for name in FIELDS)
    return out.getvalue()


def as_jsonl(records: list[AuditRecord]) -> str:
    return "".join(json.dumps(record_json(r), ensure_ascii=False) + "\n" for r in records)
