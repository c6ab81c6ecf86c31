"""`setget-bot audit export`: a workspace's AI interactions as CSV or JSON lines."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path
from typing import Annotated

import typer

from adapters.storage import SqlAuditLog
from bot.app import App
from bot.cli.runner import checked, fail, parse_date, run
from core.assistant.audit import AuditRecord
from core.assistant.audit_export import FORMATS, as_csv, as_jsonl
from core.errors import InvalidInput

app = typer.Typer(help="The audit log of AI interactions.", no_args_is_help=True)


def _format(text: str) -> str:
    value = text.strip().lower()
    if value not in FORMATS:
        raise InvalidInput(f"--format must be csv or jsonl, not {text!r}")
    return value


def _since(text: str | None) -> datetime | None:
    day = parse_date(text, option="--since")
    return None if day is None else datetime.combine(day, time(), tzinfo=UTC)


@app.command("export")
def export(
    name: str,
    format_: Annotated[str, typer.Option("--format", help="csv | jsonl")],
    since: Annotated[
        str | None, typer.Option("--since", help="From this day on (YYYY-MM-DD, UTC).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to FILE instead of stdout.")
    ] = None,
) -> None:
    """Every AI interaction of the workspace (already redacted), oldest first."""
    kind, since_ = checked(lambda: (_format(format_), _since(since)))

    async def action(a: App) -> list[AuditRecord]:
        workspace = await a.admin.get(name)
        return await SqlAuditLog(a.db).entries(workspace.id, since=since_)

    records = run(action)
    text = as_csv(records) if kind == "csv" else as_jsonl(records)
    if output is None:
        print(text, end="")
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    print(f"exported {len(records)} audit records of {name!r} to {output}")
