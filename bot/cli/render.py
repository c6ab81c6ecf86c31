"""How CLI results look: one JSON object with --json, a rich table otherwise (rich is
imported for a table only: `--json` and scripts never load it)."""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any

from core.credits.interactions import interaction_label

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from core.credits.dashboard import UsageReport
    from core.credits.pool import CreditStatus
    from core.workspaces import Workspace


@functools.cache
def _console() -> Console:
    from rich.console import Console

    return Console(highlight=False)


def _table(*columns: str, title: str, show_header: bool = True) -> Table:
    from rich.table import Table

    return Table(*columns, title=title, show_header=show_header)


def emit_json(data: Any) -> None:
    print(json.dumps(data, indent=2, sort_keys=False))


def workspace_json(w: Workspace) -> dict[str, Any]:
    return {
        "workspace": w.name,
        "plan": w.plan.value,
        "allocation": w.allocation,
        "anchor": w.anchor.isoformat(),
        "mode": w.mode.value,
        "created_at": w.created_at.isoformat(),
    }


def status_json(s: CreditStatus) -> dict[str, Any]:
    b = s.balance
    return {
        "workspace": s.workspace.name,
        "plan": s.workspace.plan.value,
        "mode": s.workspace.mode.value,
        "monthly_allocation": b.monthly_allocation,
        "monthly_used": b.monthly_used,
        "monthly_remaining": b.monthly_remaining,
        "packs_remaining": b.packs_remaining,
        "remaining": b.remaining,
        "reserved": b.reserved,
        "cycle_start": s.cycle.start.isoformat(),
        "renewal_date": s.cycle.renewal.isoformat(),
        "paused": s.paused,
    }


def usage_json(r: UsageReport) -> dict[str, Any]:
    f = r.figures
    return {
        "workspace": r.workspace.name,
        "mode": r.workspace.mode.value,
        "cycle_start": r.cycle.start.isoformat(),
        "renewal_date": r.cycle.renewal.isoformat(),
        "since": r.since.isoformat(),
        "until": r.until.isoformat(),
        "used": r.used,
        "remaining": r.balance.remaining,
        "packs_remaining": r.balance.packs_remaining,
        "by_member": [
            {"member": m.member, "credits": m.credits, "interactions": m.interactions, "cap": m.cap}
            for m in f.by_member
        ],
        "by_day": [{"date": d.day.isoformat(), "credits": d.credits} for d in f.by_day],
        "by_type": {t.interaction_type.value: t.credits for t in f.by_type},
        "interactions": sum(t.interactions for t in f.by_type),
        "input_tokens": f.input_tokens,
        "output_tokens": f.output_tokens,
        "written_off": f.written_off,
    }


def show_workspaces(items: list[Workspace]) -> None:
    table = _table("workspace", "plan", "monthly", "anchor", "mode", title="Workspaces")
    for w in items:
        table.add_row(w.name, w.plan.value, str(w.allocation), w.anchor.isoformat(), w.mode.value)
    _console().print(
        table if items else "No workspaces yet: `setget-bot workspace create NAME --plan free`"
    )


def show_status(s: CreditStatus) -> None:
    b = s.balance
    table = _table(
        show_header=False, title=f"AI credits — {s.workspace.name} ({s.workspace.plan.value})"
    )
    table.add_row("Remaining", f"{b.remaining:,}")
    table.add_row("Monthly", f"{b.monthly_used:,} of {b.monthly_allocation:,} used")
    table.add_row("Packs remaining", f"{b.packs_remaining:,}")
    table.add_row("Held by answers in progress", f"{b.reserved:,}")
    table.add_row("Cycle", f"{s.cycle.start.isoformat()} → renews {s.cycle.renewal.isoformat()}")
    table.add_row("Mode", s.workspace.mode.value)
    if s.paused:
        table.add_row("State", "[bold red]AI paused: out of credits[/]")
    _console().print(table)


def show_usage(r: UsageReport) -> None:
    _console().print(
        f"[bold]{r.workspace.name}[/]: {r.used:,} credits used this cycle "
        f"({r.cycle.start.isoformat()} → renews {r.cycle.renewal.isoformat()}), "
        f"{r.balance.remaining:,} remaining"
    )
    members = _table("member", "credits", "interactions", "cap", title=f"By member since {r.since}")
    for m in r.figures.by_member:
        members.add_row(
            m.member, str(m.credits), str(m.interactions), "—" if m.cap is None else str(m.cap)
        )
    _console().print(members)
    types = _table("type", "credits", title="By interaction type")
    for t in r.figures.by_type:
        types.add_row(interaction_label(t.interaction_type), str(t.credits))
    _console().print(types)
    days = _table("date", "credits", title="By day")
    for d in r.figures.by_day:
        days.add_row(d.day.isoformat(), str(d.credits))
    _console().print(days)
