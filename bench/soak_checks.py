"""The soak's verdicts: every turn answered once, the database's charges against what the
members saw, `setget-bot ledger verify --all`, and each process's memory over the run."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url

from bench.pipeline import cpu_seconds, rss_mib
from bench.soak_load import Sent
from bench.soak_outcomes import ANSWERED, Outcomes


@dataclass(frozen=True)
class Replies:
    """Turns sent against outcomes seen, over every conversation."""

    turns: int
    outcomes: int
    duplicates: int  # outcomes beyond one per turn
    missing: int  # turns with no outcome
    answered: Counter[str]  # workspace -> answers seen
    refused: Counter[str]  # reason -> refusals seen

    @property
    def once(self) -> bool:
        return self.duplicates == 0 and self.missing == 0


def replies(sent: Sent, outcomes: Outcomes) -> Replies:
    duplicates = missing = 0
    answered: Counter[str] = Counter()
    refused: Counter[str] = Counter()
    for key, turns in sent.turns.items():
        seen = outcomes.by_key.get(key, [])
        duplicates += max(0, len(seen) - turns)
        missing += max(0, turns - len(seen))
        for outcome in seen:
            if outcome.kind == ANSWERED:
                answered[sent.workspace_of[key]] += 1
            else:
                refused[outcome.kind] += 1
    stray = sum(len(v) for k, v in outcomes.by_key.items() if k not in sent.turns)
    return Replies(
        turns=sum(sent.turns.values()),
        outcomes=sum(len(v) for v in outcomes.by_key.values()),
        duplicates=duplicates + stray,
        missing=missing,
        answered=answered,
        refused=refused,
    )


@dataclass(frozen=True)
class Pool:
    """One workspace's figures as the database holds them."""

    name: str
    allocation: int
    used: int
    charges: int  # settled interactions
    held: int  # interactions still holding credits


async def pools(database_url: str) -> list[Pool]:
    dsn = make_url(database_url).set(drivername="postgresql")
    conn = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    try:
        rows = await conn.fetch(
            """
            SELECT w.name, b.monthly_allocation, b.monthly_used,
                   count(i.id) FILTER (WHERE i.state = 'settled') AS charges,
                   count(i.id) FILTER (WHERE i.state = 'held') AS held
            FROM workspaces w
            JOIN credit_balances b ON b.workspace_id = w.id
            LEFT JOIN interactions i ON i.workspace_id = w.id
            GROUP BY w.name, b.monthly_allocation, b.monthly_used
            ORDER BY w.name
            """
        )
    finally:
        await conn.close()
    return [Pool(r["name"], r[1], r[2], r["charges"], r["held"]) for r in rows]


@dataclass(frozen=True)
class Alert:
    """A usage alert the database holds, and its delivery to one platform."""

    workspace: str
    kind: str
    percent: int | None
    platform: str | None  # None: no delivery row (no platform to deliver to)
    delivered: bool
    error: str | None


async def alerts(database_url: str) -> list[Alert]:
    dsn = make_url(database_url).set(drivername="postgresql")
    conn = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    try:
        rows = await conn.fetch(
            """
            SELECT w.name, a.kind, a.percent, d.platform,
                   d.delivered_at IS NOT NULL AS delivered, d.last_error
            FROM alerts a
            JOIN workspaces w ON w.id = a.workspace_id
            LEFT JOIN alert_deliveries d ON d.alert_id = a.id
            ORDER BY w.name, a.id
            """
        )
    finally:
        await conn.close()
    return [Alert(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]


@dataclass(frozen=True)
class Charges:
    """The database against the members: one charge per answer seen, none for refusals."""

    problems: list[str]
    drained: list[str]  # workspaces whose pool reached zero

    @property
    def clean(self) -> bool:
        return not self.problems


def charges(found: list[Pool], answered: Counter[str]) -> Charges:
    problems, drained = [], []
    for pool in found:
        if pool.charges != answered[pool.name]:
            problems.append(
                f"{pool.name}: {pool.charges} charges for {answered[pool.name]} answers seen"
            )
        if pool.used > pool.allocation:
            problems.append(f"{pool.name}: {pool.used} credits used of {pool.allocation}")
        if pool.held:
            problems.append(f"{pool.name}: {pool.held} holds left")
        if pool.used == pool.allocation:
            drained.append(pool.name)
    return Charges(problems, drained)


@dataclass(frozen=True)
class Verify:
    ok: bool
    printed: str


def ledger_verify(env: dict[str, str]) -> Verify:
    """`setget-bot ledger verify --all` on the run's database."""
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ledger", "verify", "--all"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return Verify(done.returncode == 0, (done.stdout + done.stderr).strip())


@dataclass
class Memory:
    """RSS of each process, sampled every second: (seconds into the run, MiB)."""

    samples: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds during the run

    def _cpu(self, pids: dict[str, int]) -> dict[str, float]:
        found = {"load (this process)": time.process_time()}
        for name, pid in pids.items():
            with contextlib.suppress(OSError):
                found[name] = cpu_seconds(pid)
        return found

    async def sample(self, pids: dict[str, int], stop: asyncio.Event) -> None:
        start, before = time.perf_counter(), self._cpu(pids)
        while not stop.is_set():
            at = time.perf_counter() - start
            for name, pid in pids.items():
                # a process that is gone has no RSS: its exit is reported by the run
                with contextlib.suppress(OSError, SystemExit):
                    self.samples.setdefault(name, []).append((at, rss_mib(pid)))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)
        after = self._cpu(pids)
        self.cpu = {name: after[name] - before[name] for name in after if name in before}

    def at(self, name: str, share: float, seconds: float) -> float:
        """RSS at `share` of the run (the first sample from then on)."""
        points = self.samples[name]
        return next((mib for at, mib in points if at >= share * seconds), points[-1][1])

    def peak(self, name: str) -> float:
        return max(mib for _, mib in self.samples[name])

    def end(self, name: str) -> float:
        return self.samples[name][-1][1]
