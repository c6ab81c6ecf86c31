"""`setget-bot audit export`: a workspace's AI interactions as CSV or JSON lines."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.arguments import WorkspaceName
from bot.cli.runner import checked, fail, parse_date, run
from core.errors import InvalidInput

if TYPE_CHECKING:
    from bot.app import App
    from core.assistant.audit import AuditRecord
    from core.assistant.feedback import Feedback

app = typer.Typer(help="The audit log of AI interactions.", no_args_is_help=True)


def _format(text: str) -> str:
    from core.assistant.audit_export import FORMATS

    value = text.strip().lower()
    if value not in FORMATS:
        raise InvalidInput(f"--format must be csv or jsonl, not {text!r}")
    return value


def _since(text: str | None) -> datetime | None:
    day = parse_date(text, option="--since")
    return None if day is None else datetime.combine(day, time(), tzinfo=UTC)


@app.command("export")
def export(
    name: WorkspaceName,
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

    from adapters.storage import SqlAuditLog, SqlFeedbackStore
    from core.assistant.audit_export import as_csv, as_jsonl

    async def action(a: App) -> tuple[list[AuditRecord], list[Feedback]]:
        workspace = await a.admin.get(name)
        records = await SqlAuditLog(a.db).entries(workspace.id, since=since_)
        return records, await SqlFeedbackStore(a.db).entries(workspace.id, since=None)

    records, feedback = run(action)
    export = as_csv if kind == "csv" else as_jsonl
    text = export(records, feedback=feedback)
    if output is None:
        print(text, end="")
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    print(f"exported {len(records)} audit records of {name!r} to {output}")
