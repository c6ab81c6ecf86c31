"""`setget-bot credits ...` and `setget-bot usage`."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.cli import render
from bot.cli.arguments import NUMERIC, Credits, Json, WorkspaceName, whole_number
from bot.cli.runner import checked, run
from core.errors import InvalidInput

if TYPE_CHECKING:
    from bot.app import App
    from core.credits.dashboard import UsageReport
    from core.credits.forecast import Forecast

app = typer.Typer(help="The workspace credit pool.", no_args_is_help=True)


@app.command("status")
def status(name: WorkspaceName, json: Json = False) -> None:
    """Remaining credits, this cycle's use, packs, holds in flight and the renewal date."""

    async def action(a: App) -> None:
        s = await a.pool.status(await a.admin.get(name))
        if json:
            render.emit_json(render.status_json(s))
        else:
            render.show_status(s)

    run(action)


@app.command("buy", context_settings=NUMERIC)
def buy(name: WorkspaceName, credits: Credits) -> None:
    """Buy a credit pack (Pro and Business): available at once, never expires."""

    async def action(a: App) -> None:
        balance = await a.admin.buy_pack(name, credits)
        print(
            f"bought a pack of {credits:,} credits for {name!r}: {balance.remaining:,} remaining "
            f"({balance.packs_remaining:,} in packs)"
        )

    run(action)


@app.command("grant", context_settings=NUMERIC)
def grant(
    name: WorkspaceName,
    credits: Credits,
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the ledger).")],
) -> None:
    """Grant credits as the operator (like a pack: never expires)."""

    async def action(a: App) -> None:
        balance = await a.admin.grant(name, credits, reason=reason)
        print(f"granted {credits:,} credits to {name!r}: {balance.remaining:,} remaining")

    run(action)


def usage(
    name: WorkspaceName,
    days: Annotated[
        int | None,
        typer.Option("--days", parser=whole_number, help="Breakdowns over the last N days."),
    ] = None,
    json: Json = False,
    chart: Annotated[
        Path | None,
        typer.Option(
            "--chart",
            metavar="FILE.png",
            help="Also write the usage chart (this cycle against the pool, and the pace) as a PNG.",
        ),
    ] = None,
) -> None:
    """The usage dashboard: used, remaining, by member, by day, by type, renewal date, and
    where the pool is heading at the recent pace."""
    if chart is not None:
        checked(lambda: _check_chart_path(chart))

    async def action(a: App) -> None:
        workspace = await a.admin.get(name)
        report = await a.dashboard.report(workspace, days=days)
        since = datetime.combine(report.cycle.start, time(), tzinfo=UTC)
        from adapters.storage import SqlFeedbackStore
        from core.assistant.feedback import share_of

        share = share_of(await SqlFeedbackStore(a.db).entries(workspace.id, since=since))
        if chart is not None:
            _write_chart(report, chart)
        if json:
            data = render.usage_json(report) | {"forecast": _forecast_json(report.forecast)}
            data["feedback"] = {"positive": share.positive, "negative": share.negative}
            render.emit_json(data | ({"chart": str(chart)} if chart is not None else {}))
            return
        from core.credits.forecast import forecast_sentence

        render.show_usage(report)
        if report.forecast is not None:
            print(forecast_sentence(report.forecast))
        print(share.sentence())
        if chart is not None:
            print(f"usage chart written to {chart}")

    run(action)


def _check_chart_path(path: Path) -> None:
    """Before any database work: the chart's folder must exist and the name be a file's."""
    folder = path.parent
    if not folder.is_dir():
        raise InvalidInput(f"cannot write the chart to {path}: the folder {folder} does not exist")
    if path.is_dir():
        raise InvalidInput(f"cannot write the chart to {path}: it is a folder; name a file")


def _write_chart(report: UsageReport, path: Path) -> None:
    from adapters.charts import usage_chart_png  # matplotlib only when a chart is drawn

    try:
        path.write_bytes(usage_chart_png(report))
    except OSError as exc:
        raise InvalidInput(f"cannot write the chart to {path}: {exc.strerror}") from None


def _forecast_json(f: Forecast | None) -> dict[str, Any] | None:
    from core.credits.forecast import forecast_sentence

    if f is None:  # self-hosted: nothing is metered, nothing to forecast
        return None
    return {
        "outlook": f.outlook.value,
        "runs_out": f.runs_out.isoformat() if f.runs_out else None,
        "days_before_renewal": f.days_before_renewal,
        "pace_per_day": round(float(f.pace), 2),
        "pace_days": f.pace_days,
        "sentence": forecast_sentence(f),
    }
