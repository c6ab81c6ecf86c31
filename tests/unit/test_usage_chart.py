"""The usage chart: the whole cycle against the pool, today, the pace; PNGs of the asked size.

The PNGs these tests draw are written to pytest's temporary folder (`--basetemp` to keep
them): look at them when the chart changes.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from matplotlib.figure import Figure
from PIL import Image

from adapters.charts import usage_chart, usage_chart_png
from core.workspaces import Mode
from tests.unit.chart_reports import usage_report

MID_CYCLE = [12, 30, 8, 0, 0, 22, 25, 31, 18, 26, 30, 12, 28, 35, 20, 24, 30, 27]


def texts(figure: Figure) -> list[str]:
    """The title, then every label on the chart (in any order: sorted)."""
    (axes,) = figure.axes
    return [axes.get_title("left"), *sorted(t.get_text() for t in axes.texts)]


def test_mid_cycle_shows_the_pool_today_and_where_the_pace_runs_it_out() -> None:
    figure = usage_chart(usage_report(MID_CYCLE))
    (axes,) = figure.axes
    assert texts(figure) == [
        "demo: 122 credits left · renews 30 Dec",
        "At this pace the pool runs out on 22 Dec, 8 days before renewal",
        "monthly allocation 500",
        "runs out 22 Dec",
        "today: 378 used",
    ]
    assert axes.get_xlim() == (0, 30)  # the whole cycle, 30 Nov to the renewal on 30 Dec
    assert [t.get_text() for t in axes.get_xticklabels()] == [
        "30 Nov",
        "7 Dec",
        "14 Dec",
        "21 Dec",
        "30 Dec",
    ]
    assert (axes.get_xlabel(), axes.get_ylabel()) == ("billing cycle (UTC days)", "credits used")
    dashed = [line for line in axes.lines if line.get_linestyle() == "--"]
    assert len(dashed) == 1  # the pace, from today (day 17, 378 used) to the pool's end
    (x0, x1), (y0, y1) = dashed[0].get_xdata(), dashed[0].get_ydata()
    assert (x0, y0, y1) == (17, 378, 500)
    assert 21 < x1 <= 22  # the pool is empty during 22 Dec


def test_packs_are_a_band_above_the_allocation() -> None:
    figure = usage_chart(usage_report([30] * 16, packs_left=300))
    assert "+ packs 300 = pool 800" in texts(figure)
    (axes,) = figure.axes
    levels = {float(y[0]) for y in (line.get_ydata() for line in axes.lines) if set(y) == {y[0]}}
    assert levels == {480, 500, 800}  # today's point, the allocation, the pool's top
    (band,) = axes.patches
    assert (band.get_y(), band.get_height()) == (500, 300)  # type: ignore[attr-defined]
    assert axes.get_ylim()[1] > 800


def test_an_exhausted_pool_with_packs_used_says_ai_is_paused() -> None:
    figure = usage_chart(usage_report([40] * 12 + [80, 80, 60], packs_used=200))
    assert texts(figure) == [
        "demo: 0 credits left · renews 30 Dec",
        "+ packs 200 = pool 700",
        "The pool is used up: AI paused until the renewal",
        "monthly allocation 500",
        "today: 700 used",
        "used up: AI paused",
    ]


def test_the_first_day_spans_the_whole_cycle_not_one_bar() -> None:
    figure = usage_chart(usage_report([14]))
    (axes,) = figure.axes
    assert axes.get_xlim() == (0, 30)
    assert "today: 14 used" in texts(figure)
    assert "At this pace the pool lasts past the renewal" in texts(figure)


def test_no_use_yet_is_a_flat_line_and_says_so() -> None:
    for report in (usage_report([]), usage_report([0] * 9)):
        figure = usage_chart(report)
        assert texts(figure)[0] == "demo: 500 credits left · renews 30 Dec"
        assert "No AI use yet this cycle" in texts(figure)
        assert not [line for line in figure.axes[0].lines if line.get_linestyle() == "--"]


def test_a_self_hosted_workspace_counts_interactions_with_no_pool_or_forecast() -> None:
    figure = usage_chart(usage_report([3, 5, 0, 8, 2], mode=Mode.SELF_HOSTED))
    assert texts(figure) == [
        "demo: 18 AI interactions this cycle",
        "Self-hosted: AI use is not metered in credits",
        "today: 18 so far",
    ]
    assert figure.axes[0].get_ylabel() == "AI interactions"


@pytest.mark.parametrize("size", [(800, 400), (1200, 600), (400, 200)])
def test_the_png_has_the_size_asked_for(size: tuple[int, int], tmp_path: Path) -> None:
    png = usage_chart_png(usage_report(MID_CYCLE), width=size[0], height=size[1])
    (tmp_path / f"mid-cycle-{size[0]}.png").write_bytes(png)
    assert Image.open(io.BytesIO(png)).size == size


def test_a_tiny_chart_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 200x100"):
        usage_chart_png(usage_report([1]), width=120, height=60)


def test_importing_the_chart_module_does_not_import_matplotlib() -> None:
    code = "import sys, adapters.charts; print('matplotlib' in sys.modules)"
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_the_readme_chart_can_be_remade_from_the_demo_workspace(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    out = tmp_path / "usage-chart.png"
    done = subprocess.run(
        [sys.executable, str(root / "docs" / "make_usage_chart.py"), str(out)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == (
        f"{out}: At this pace (about 34 credits a day over the last 7 days) the pool runs out "
        "on 22 Dec, 8 days before the renewal on 30 Dec."
    )
    with Image.open(out) as png:
        assert png.size == (1200, 600)
