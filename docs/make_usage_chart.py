"""Remake `docs/usage-chart.png`, the README's usage chart, from the demo workspace.

    .venv/bin/python docs/make_usage_chart.py [OUT.png]

The demo workspace (Pro, 500 credits a month; members alice, bob, carol and dave) is set up
in a throwaway SQLite database and asks questions through the real credit pool for 18 days
of a cycle (30 Nov to 30 Dec 2026), buying a 200-credit pack when the monthly credits run
low; the chart is then drawn from the usage dashboard, as `/setget usage` draws it.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from adapters.charts import usage_chart_png
from adapters.storage import open_database, upgrade_schema
from bot.app import build_app
from bot.settings import Settings
from core.credits.forecast import forecast_sentence
from core.credits.pricing import InteractionType, TokenUsage
from core.plans import Plan
from core.workspaces import Platform, Role

OUT = Path(__file__).resolve().parent / "usage-chart.png"
START = date(2026, 11, 30)
MEMBERS = ("alice", "bob", "carol", "dave")
# Credits asked of the AI each day from 30 Nov (weekends are quiet); 17 Dec is "today".
PER_DAY = (20, 32, 36, 30, 28, 6, 4, 34, 40, 38, 42, 40, 8, 4, 46, 50, 44, 48)
PACK_ON = 15  # the day (0-based) an admin buys a pack: the monthly credits are nearly gone


class DemoClock:
    def __init__(self) -> None:
        self.at = datetime(START.year, START.month, START.day, 9, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at

    async def sleep(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


async def make() -> tuple[bytes, str]:
    """The chart and its forecast sentence."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'demo.db'}"
        db = open_database(url, pool_size=2)
        try:
            await upgrade_schema(db)
            clock = DemoClock()
            app = build_app(Settings(database_url=url), db=db, clock=clock)
            demo = await app.admin.create("demo", plan=Plan.PRO, anchor=START)
            members = [
                await app.workspace_store.ensure_member(demo.id, Platform.CONSOLE, n, n)
                for n in MEMBERS
            ]
            await app.workspace_store.set_role(members[0].id, Role.ADMIN)
            for day, credits in enumerate(PER_DAY):
                clock.at = datetime(START.year, START.month, START.day, 9, tzinfo=UTC)
                clock.at += timedelta(days=day)
                if day == PACK_ON:
                    await app.admin.buy_pack("demo", 200)
                for n in range(credits // 2):  # answers of 2 credits, members in turn
                    key = f"{day}-{n}"
                    clock.at += timedelta(minutes=7)
                    member = members[n % len(members)]
                    await app.pool.reserve(demo, key=key, member=member)
                    await app.pool.settle(
                        demo,
                        key=key,
                        usage=TokenUsage(8_000, 0),
                        interaction_type=InteractionType.DATA_ANALYSIS,
                    )
            report = await app.dashboard.report(demo)
            assert report.forecast is not None
            return usage_chart_png(report), forecast_sentence(report.forecast)
        finally:
            await db.dispose()


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    png, sentence = asyncio.run(make())
    target.write_bytes(png)
    print(f"{target}: {sentence}")
