"""The usage chart as PNG bytes for platforms to upload: cumulative use across the billing
cycle against the pool (the monthly allocation, packs above it), today, and the recent pace
projected to where the pool runs out.

matplotlib's object API (no GUI backend, no global pyplot state, safe in a server), imported
when a chart is drawn, so commands that draw none start without it. The x axis counts days
from the cycle's start: the value at day `d` is what was used by the end of that day.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate
from typing import TYPE_CHECKING, Any

from core.credits.dashboard import UsageReport
from core.credits.forecast import Forecast, Outlook, day_label, forecast_headline

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

WIDTH, HEIGHT = 1200, 600  # pixels; the layout is the same at any size of this shape
INCHES = 8.0  # the figure's width: font sizes in points are relative to it

USED = "#2f5fc4"
POOL = "#4a4a4a"
PACKS = "#3f9c5a"
TODAY = "#8a8a8a"
ALARM = "#c8362f"
LABEL_BOX = {"boxstyle": "square,pad=0.1", "facecolor": "white", "alpha": 0.85, "linewidth": 0}


@dataclass(frozen=True)
class _Series:
    days: list[float]  # days since the cycle's start
    cumulative: list[int]
    what: str  # the y axis


def usage_chart_png(report: UsageReport, *, width: int = WIDTH, height: int = HEIGHT) -> bytes:
    """The cycle's cumulative use against the allocation (and packs above it), the forecast."""
    out = io.BytesIO()
    usage_chart(report, width=width, height=height).savefig(out, format="png")
    return out.getvalue()


def usage_chart(report: UsageReport, *, width: int = WIDTH, height: int = HEIGHT) -> Figure:
    """The chart as a matplotlib figure (what the PNG shows; tests read its texts)."""
    from matplotlib.figure import Figure
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    if width < 200 or height < 100:
        raise ValueError(f"a chart needs at least 200x100 pixels, not {width}x{height}")
    dpi = width / INCHES
    layout = ConstrainedLayoutEngine(w_pad=0.15, h_pad=0.08)  # room for the renewal's label
    figure = Figure(figsize=(INCHES, height / dpi), dpi=dpi, layout=layout)
    axes = figure.subplots()
    series = _series(report)
    top = _draw_pool(axes, report) if report.forecast else 0.0
    axes.fill_between(series.days, series.cumulative, color=USED, alpha=0.12, linewidth=0)
    axes.plot(series.days, series.cumulative, color=USED, linewidth=2.5)
    if report.forecast:
        top = max(top, _draw_projection(axes, report.forecast))
    top = max(top, *series.cumulative, 10) * 1.18
    axes.set_ylim(0, top)
    _mark_today(axes, report, series, top=top)
    _frame(axes, report, series)
    return figure


def _series(report: UsageReport) -> _Series:
    start = report.cycle.start
    days = [_x(start, d.day) for d in report.cycle_days] or [_x(start, report.until)]
    if report.workspace.metered:
        per_day = [d.credits for d in report.cycle_days]
        what = "credits used"
    else:  # self-hosted answers cost no credits: the chart counts interactions instead
        per_day = [d.interactions for d in report.cycle_days]
        what = "AI interactions"
    return _Series(days=days, cumulative=list(accumulate(per_day)) or [0], what=what)


def _mark_today(axes: Axes, report: UsageReport, series: _Series, *, top: float) -> None:
    """Today as a dotted line through the current point, labelled `today: 378 used` below
    right of it, where neither the line so far nor the projection goes."""
    x, now = series.days[-1], series.cumulative[-1]
    axes.axvline(x, color=TODAY, linestyle=":", linewidth=1.5)
    axes.plot([x], [now], "o", color=USED, markersize=7, clip_on=False)
    late = (report.cycle.renewal - report.until).days < 9  # no room on the right
    dx, dy = (-8 if late else 8), (34 if now < 0.15 * top else -8)
    place: dict[str, Any] = {"xytext": (dx, dy), "ha": "right" if late else "left", "va": "top"}
    used = f"today: {now:,} used" if report.workspace.metered else f"today: {now:,} so far"
    axes.annotate(
        used,
        (x, now),
        **place,
        textcoords="offset points",
        bbox=LABEL_BOX,
        color=USED,
        fontsize=13,
        fontweight="bold",
    )
    if report.forecast and report.forecast.outlook is Outlook.EXHAUSTED:
        _alarm_label(axes, "used up: AI paused", (x, now), **{**place, "xytext": (dx, dy - 22)})


def _draw_pool(axes: Axes, report: UsageReport) -> float:
    """The monthly allocation as a line, the packs as a band above it; returns the top."""
    allocation = report.balance.monthly_allocation
    ceiling = report.used + max(0, report.balance.remaining)  # where the pool is empty
    axes.axhline(allocation, color=POOL, linewidth=1.5)
    _line_label(axes, f"monthly allocation {allocation:,}", allocation, POOL)
    if ceiling > allocation:
        axes.axhspan(allocation, ceiling, color=PACKS, alpha=0.16, linewidth=0)
        axes.axhline(ceiling, color=PACKS, linewidth=1.5)
        _line_label(axes, f"+ packs {ceiling - allocation:,} = pool {ceiling:,}", ceiling, PACKS)
    return float(max(allocation, ceiling))


def _line_label(axes: Axes, text: str, level: float, color: str) -> None:
    axes.annotate(
        text,
        (0.01, level),
        xycoords=("axes fraction", "data"),
        xytext=(0, 4),
        textcoords="offset points",
        color=color,
        fontsize=13,
    )


def _draw_projection(axes: Axes, f: Forecast) -> float:
    """The pace as a dashed line from today to where the pool runs out (or to renewal)."""
    today = _x(f.cycle.start, f.today)
    if f.crossing is None or f.outlook is Outlook.EXHAUSTED:  # nothing to project
        return float(f.used)
    if f.outlook is Outlook.RUNS_OUT:
        end, level = today + float(f.crossing), float(f.used + f.remaining)
    else:
        last = f.cycle.renewal - timedelta(days=1)
        end, level = _x(f.cycle.start, last), float(f.projected_use(last))
    axes.plot([today, end], [f.used, level], linestyle=(0, (5, 3)), color=USED, linewidth=2)
    if f.outlook is Outlook.RUNS_OUT and f.runs_out is not None:
        axes.plot([end], [level], "X", color=ALARM, markersize=11)
        label = f"runs out {day_label(f.runs_out)}"
        _alarm_label(axes, label, (end, level), **_beside_run_out(f, f.runs_out))
    return level


def _alarm_label(axes: Axes, text: str, at: tuple[float, float], **place: Any) -> None:
    axes.annotate(
        text,
        at,
        textcoords="offset points",
        color=ALARM,
        bbox=LABEL_BOX,
        fontsize=14,
        fontweight="bold",
        **{"ha": "left", **place},
    )


def _beside_run_out(f: Forecast, runs_out: date) -> dict[str, Any]:
    """Above the mark; below right of it early in the cycle, where the pool's labels are."""
    into = (runs_out - f.cycle.start).days / (f.cycle.renewal - f.cycle.start).days
    if into < 0.45:
        return {"xytext": (12, -8), "ha": "left", "va": "top"}
    return {"xytext": (0, 9), "ha": "right" if into > 0.85 else "center", "va": "bottom"}


def _frame(axes: Axes, report: UsageReport, series: _Series) -> None:
    """Title (remaining, renewal), the forecast as subtitle, date ticks, axis labels."""
    from matplotlib.ticker import MaxNLocator

    cycle, name = report.cycle, report.workspace.name
    if report.forecast is None:
        count = series.cumulative[-1]
        title = f"{name}: {count:,} AI interaction{'s' if count != 1 else ''} this cycle"
        subtitle = "Self-hosted: AI use is not metered in credits"
    else:
        title = f"{name}: {max(0, report.balance.remaining):,} credits left"
        title += f" · renews {day_label(cycle.renewal)}"
        subtitle = forecast_headline(report.forecast)
    alarming = report.forecast is not None and report.forecast.outlook in _ALARMING
    axes.set_title(title, fontsize=17, fontweight="bold", loc="left", pad=30)
    axes.annotate(
        subtitle,
        (0, 1),
        xycoords="axes fraction",
        xytext=(0, 10),
        textcoords="offset points",
        fontsize=14,
        color=ALARM if alarming else "#333333",
    )
    ticks = _ticks(cycle.start, cycle.renewal)
    axes.set_xlim(0, _x(cycle.start, cycle.renewal))
    axes.set_xticks([_x(cycle.start, t) for t in ticks], labels=[day_label(t) for t in ticks])
    axes.yaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 5, 10], integer=True))
    axes.tick_params(labelsize=11)
    axes.set_xlabel("billing cycle (UTC days)", fontsize=12)
    axes.set_ylabel(series.what, fontsize=12)
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", color="#e4e4e4", linewidth=0.8)
    axes.set_axisbelow(True)


_ALARMING = (Outlook.RUNS_OUT, Outlook.EXHAUSTED)


def _ticks(start: date, renewal: date) -> list[date]:
    """Weekly from the cycle's start, and the renewal; none crowding the renewal's label."""
    ticks = [start + timedelta(days=7 * i) for i in range(5)]
    return [t for t in ticks if (renewal - t).days >= 4] + [renewal]


def _x(start: date, day: date) -> float:
    return float((day - start).days)
