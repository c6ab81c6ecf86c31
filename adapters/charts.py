"""Charts as PNG bytes for platforms to upload (matplotlib's object API: no GUI backend,
no global pyplot state, safe in a server)."""

from __future__ import annotations

import io

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from core.credits.dashboard import UsageReport


def usage_by_day_png(report: UsageReport) -> bytes:
    """Credits used per day over the report's days, with the renewal date in the title."""
    days = [d.day.strftime("%b %d") for d in report.figures.by_day]
    credits = [d.credits for d in report.figures.by_day]
    figure = Figure(figsize=(8, 3.2), dpi=100)
    axes = figure.subplots()
    axes.bar(days, credits, color="#3b6fd4", width=0.8)
    axes.set_title(
        f"AI credits used by day — {report.workspace.name} "
        f"(renews {report.cycle.renewal.isoformat()})",
        fontsize=10,
    )
    axes.set_ylabel("credits")
    axes.spines[["top", "right"]].set_visible(False)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.tick_params(axis="x", labelsize=7)
    figure.autofmt_xdate()
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
