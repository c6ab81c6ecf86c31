"""The audit log as files: CSV or JSON lines, one row per AI interaction, with the feedback
people gave its answer (who, 👍 or 👎, when)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from core.assistant.audit import AuditRecord
from core.assistant.feedback import Feedback

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
    "feedback",
)


def feedback_json(f: Feedback) -> dict[str, Any]:
    return {"member_id": f.member_id, "positive": f.positive, "at": f.at.isoformat()}


def record_json(r: AuditRecord, feedback: Sequence[Feedback] = ()) -> dict[str, Any]:
    """The record, and the verdicts of `feedback` given on its answer."""
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
        "feedback": [feedback_json(f) for f in feedback if f.event_id == r.event_id],
    }


def as_csv(records: list[AuditRecord], *, feedback: Sequence[Feedback] = ()) -> str:
    """A header row, then one row per record; tools and proposals joined with `;`, feedback
    as `+member@time` or `-member@time` joined with `;`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    for r in records:
        row = record_json(r, feedback)
        row["tools"] = ";".join(r.tools)
        row["proposals"] = ";".join(str(p) for p in r.proposals)
        row["feedback"] = ";".join(
            f"{'+' if f['positive'] else '-'}{f['member_id']}@{f['at']}" for f in row["feedback"]
        )
        writer.writerow(row[name] for name in FIELDS)
    return out.getvalue()


def as_jsonl(records: list[AuditRecord], *, feedback: Sequence[Feedback] = ()) -> str:
    return "".join(json.dumps(record_json(r, feedback), ensure_ascii=False) + "\n" for r in records)
