"""Benchmark the credit ledger: contended reserve+settle, and the usage dashboard as data grows."""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import event, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.storage import Database, open_database, upgrade_schema
from adapters.storage.tables import credit_balances
from bench.usage_data import UsageRow, bench_usage, usage_lines, usage_markdown, verdict
from bot.app import App, build_app
from bot.settings import Settings
from core.credits.pricing import InteractionType, TokenUsage
from core.plans import Plan
from core.workspaces import Member, Platform, Workspace

TASKS = 32
WARMUP = 2 * TASKS
# The target: ours >= 0.8x the like-for-like floor, a bare two-transaction cycle (bare2); the
# one-transaction bare UPDATE is printed for reference.
RATIO_TARGET = 0.8
POSTGRES_ENV = "SETGET_BENCH_POSTGRES_URL"
POSTGRES_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"
LABELS = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
AVAILABLE = "monthly_allocation - monthly_used + packs_remaining - reserved >= 1"
BARE_HOLD = text(
    f"UPDATE credit_balances SET reserved = reserved + 1 WHERE workspace_id = :w AND {AVAILABLE}"
)
BARE_SETTLE = text(
    "UPDATE credit_balances SET reserved = reserved - 1, monthly_used = monthly_used + 1 "
    f"WHERE workspace_id = :w AND {AVAILABLE}"
)
KINDS = {
    "ours": "reserve+settle (ours)",
    "bare": "bare UPDATE (1 txn/op)",
    "bare2": "bare 2-UPDATE cycle",
}
Op = Callable[[int, int], Awaitable[None]]


@dataclass(frozen=True)
class Options:
    ops: int
    sizes: list[int]
    engines: list[str]
    reps: int
    runs: int
    measured: int


@dataclass
class Profile:
    """A profiled run: statements, transactions, time the hot row was locked, wall time."""

    ops: int = 0
    statements: int = 0
    txns: int = 0
    lock_s: float = 0.0
    wall_s: float = 0.0

    def per_op(self) -> tuple[float, float, float, float]:
        """Statements, transactions, hot-lock ms per op; % of the wall time it was locked."""
        n = max(self.ops, 1)
        busy = 100 * self.lock_s / self.wall_s if self.wall_s else 0.0
        return self.statements / n, self.txns / n, self.lock_s * 1000 / n, busy


@dataclass
class EngineResult:
    label: str
    rate: dict[str, float] = field(default_factory=dict)  # median ops/s
    cpu: dict[str, float] = field(default_factory=dict)  # client CPU ms per op
    profile: dict[str, Profile] = field(default_factory=dict)
    usage: list[UsageRow] = field(default_factory=list)

    def ratio(self, kind: str) -> float:
        return self.rate["ours"] / self.rate[kind]


class Contention:
    """The three contended workloads on one workspace, 32 tasks, each with its own member."""

    def __init__(self, app: App, workspace: Workspace, members: list[Member]) -> None:
        self.app, self.db, self.ws, self.members = app, app.db, workspace, members
        self.run = 0

    async def ours(self, task: int, i: int) -> None:
        key = f"r{self.run}-{task}-{i}"
        await self.app.pool.reserve(self.ws, key=key, member=self.members[task])
        await self.app.pool.settle(
            self.ws,
            key=key,
            usage=TokenUsage(input_tokens=1200, output_tokens=300),
            interaction_type=InteractionType.SIMPLE_QUESTION,
        )

    async def bare(self, _task: int, _i: int) -> None:
        async with self.db.write() as conn:
            await conn.execute(BARE_HOLD, {"w": self.ws.id})

    async def bare2(self, _task: int, _i: int) -> None:
        await self.bare(_task, _i)
        async with self.db.write() as conn:
            await conn.execute(BARE_SETTLE, {"w": self.ws.id})

    async def measure(self, kind: str, ops: int) -> tuple[float, float]:
        """(ops per second, client CPU ms per op); bare runs give the balance back after."""
        b = credit_balances.c
        async with self.db.read() as conn:
            query = select(b.reserved, b.monthly_used).where(b.workspace_id == self.ws.id)
            before = (await conn.execute(query)).one()
        self.run += 1
        op: Op = getattr(self, kind)
        counts = [ops // TASKS + (k < ops % TASKS) for k in range(TASKS)]
        cpu, start = time.process_time(), time.perf_counter()
        await asyncio.gather(*(_worker(op, k, counts[k]) for k in range(TASKS)))
        secs, cpu = time.perf_counter() - start, time.process_time() - cpu
        if kind != "ours":
            restore = update(credit_balances).where(b.workspace_id == self.ws.id)
            async with self.db.write() as conn:
                await conn.execute(restore.values(reserved=before[0], monthly_used=before[1]))
        return ops / secs, cpu * 1000 / ops

    async def profile(self, kind: str, ops: int) -> Profile:
        with profiling(self.db) as prof:
            rate, _ = await self.measure(kind, ops)
        prof.ops, prof.wall_s = ops, ops / rate
        return prof


async def _worker(op: Op, task: int, count: int) -> None:
    for i in range(count):
        await op(task, i)


def _locks_hot_row(db: Database, statement: str) -> bool:
    s = statement.lstrip().upper()
    if db.is_sqlite:
        return s.startswith("BEGIN IMMEDIATE")  # the database write lock
    return "CREDIT_BALANCES" in s and (s.startswith("UPDATE") or "FOR UPDATE" in s)


@contextmanager
def profiling(db: Database) -> Iterator[Profile]:
    """Count statements, and time from taking the hot-row lock to the end of COMMIT."""
    prof = Profile()

    def after_execute(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        prof.statements += not statement.lstrip().upper().startswith("BEGIN")
        if "lock_t" not in conn.info and _locks_hot_row(db, statement):
            conn.info["lock_t"] = time.perf_counter()

    @asynccontextmanager
    async def write() -> AsyncIterator[AsyncConnection]:
        """The transaction of `Database.write()` (same engine), timed to the end of COMMIT."""
        async with db.engine.connect() as conn:
            async with conn.begin():
                yield conn
            prof.txns += 1
            if (locked := conn.info.pop("lock_t", None)) is not None:
                prof.lock_s += time.perf_counter() - locked

    event.listen(db.engine.sync_engine, "after_cursor_execute", after_execute)
    setattr(db, "write", write)  # noqa: B010 - shadow the method on this instance only
    try:
        yield prof
    finally:
        delattr(db, "write")
        event.remove(db.engine.sync_engine, "after_cursor_execute", after_execute)


async def bench_contention(url: str, opts: Options, result: EngineResult) -> None:
    """Warm up, then each workload in turn, `reps` times; then one profiled run of each."""
    db = open_database(url, pool_size=TASKS)
    try:
        await upgrade_schema(db)
        app = build_app(Settings(database_url=url), db=db)
        ws = await app.admin.create("bench", plan=Plan.ENTERPRISE, allocation=10_000_000)
        slack, store = Platform.SLACK, app.workspace_store
        people = [await store.ensure_member(ws.id, slack, f"U{k}", f"u{k}") for k in range(TASKS)]
        bench = Contention(app, ws, people)
        for kind in KINDS:
            await bench.measure(kind, WARMUP)
        samples: dict[str, list[tuple[float, float]]] = {kind: [] for kind in KINDS}
        for _ in range(opts.reps):
            for kind in KINDS:
                samples[kind].append(await bench.measure(kind, opts.ops))
        for kind, runs in samples.items():
            result.rate[kind] = statistics.median(r for r, _ in runs)
            result.cpu[kind] = statistics.median(c for _, c in runs)
            result.profile[kind] = await bench.profile(kind, min(opts.ops, 20 * TASKS))
    finally:
        await db.dispose()


def _postgres_dsn(database: str | None = None) -> str:
    url = make_url(os.environ.get(POSTGRES_ENV, POSTGRES_DEFAULT)).set(drivername="postgresql")
    return (url.set(database=database) if database else url).render_as_string(hide_password=False)


async def postgres_version() -> tuple[str | None, str]:
    """(server version, or None when the server does not answer; and why)."""
    try:
        conn = await asyncpg.connect(_postgres_dsn(), timeout=5)
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    try:
        return str(await conn.fetchval("SHOW server_version")), ""
    finally:
        await conn.close()


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(_postgres_dsn(), timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@asynccontextmanager
async def fresh_url(engine: str, tmp: Path) -> AsyncIterator[str]:
    """A fresh SQLite file, or a fresh PostgreSQL database dropped (WITH (FORCE)) afterwards."""
    if engine == "sqlite":
        yield f"sqlite:///{tmp / f'bench-{uuid.uuid4().hex[:8]}.db'}"
        return
    name = f"setget_bench_{uuid.uuid4().hex[:12]}"
    await _admin(f'CREATE DATABASE "{name}"')
    try:
        yield _postgres_dsn(name)
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def bench_engine(engine: str, opts: Options, tmp: Path) -> EngineResult:
    result = EngineResult(LABELS[engine])
    print(f"  {result.label}: contended runs, {opts.reps} x {opts.ops} ops each", flush=True)
    async with fresh_url(engine, tmp) as url:
        await bench_contention(url, opts, result)
    print(f"  {result.label}: usage data, sizes {', '.join(map(str, opts.sizes))}", flush=True)
    async with AsyncExitStack() as stack:
        urls = [await stack.enter_async_context(fresh_url(engine, tmp)) for _ in opts.sizes]
        result.usage = await bench_usage(urls, opts.sizes, opts.measured, opts.runs)
    return result


def parse_args(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.ledger", description=__doc__)
    parser.add_argument("--ops", type=int, help="cycles per measured run (default 2000)")
    parser.add_argument("--sizes", help="interaction counts (default 100000,1000000)")
    parser.add_argument("--engines", default="sqlite,postgres", help="sqlite,postgres")
    parser.add_argument("--reps", type=int, default=3, help="repeats of each contended run")
    parser.add_argument("--runs", type=int, help="timed runs of each usage query (default 20)")
    parser.add_argument("--measured", type=int, help="interactions of the measured workspace")
    parser.add_argument("--quick", action="store_true", help="small ops and sizes (smoke run)")
    args = parser.parse_args(argv)
    default_sizes = "10000,50000" if args.quick else "100000,1000000"
    sizes = sorted(int(s) for s in (args.sizes or default_sizes).split(","))
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    if bad := set(engines) - set(LABELS):
        parser.error(f"unknown engines: {', '.join(sorted(bad))}")
    measured = args.measured or sizes[0] // 2
    if measured > sizes[0]:
        parser.error("--measured cannot exceed the smallest size")
    ops, runs = args.ops or (256 if args.quick else 2000), args.runs or (5 if args.quick else 20)
    return Options(ops, sizes, engines, args.reps, runs, measured)


def machine(pg_version: str | None) -> str:
    return (
        f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, PostgreSQL {pg_version or 'unavailable'}"
    )


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def contention_lines(r: EngineResult, opts: Options) -> list[str]:
    lines = [
        f"contended, one workspace, {TASKS} tasks, {opts.ops} ops per run, median of {opts.reps}",
        f"{'':24}{'ops/s':>7}{'client CPU ms/op':>18}{'stmts/op':>10}{'txns/op':>9}"
        f"{'hot-lock ms/op':>16}{'locked %':>10}",
    ]
    for kind, name in KINDS.items():
        stmts, txns, lock_ms, busy = r.profile[kind].per_op()
        lines.append(
            f"{name:24}{r.rate[kind]:>7.0f}{r.cpu[kind]:>18.2f}{stmts:>10.1f}{txns:>9.1f}"
            f"{lock_ms:>16.2f}{busy:>10.0f}"
        )
    lines.append(
        "(last 4 columns from a separate profiled run; hot lock = client-observed time from "
        + ("BEGIN IMMEDIATE" if r.label == "SQLite" else "UPDATE/SELECT FOR UPDATE of the row")
        + " to the end of COMMIT)"
    )
    lines.append(f"ratio ours vs {KINDS['bare']}: {r.ratio('bare'):.2f} (reference)")
    ok = verdict(r.ratio("bare2") >= RATIO_TARGET)
    lines.append(
        f"ratio ours vs {KINDS['bare2']}: {r.ratio('bare2'):.2f} {ok} (target >= {RATIO_TARGET})"
    )
    return lines


def _contention_markdown(results: list[EngineResult], opts: Options) -> list[str]:
    lines = [
        f"Reserve+settle cycles on one workspace, {TASKS} concurrent tasks, {opts.ops} cycles "
        f"per run, median of {opts.reps} runs; the target is >= {RATIO_TARGET} x the bare "
        "2-UPDATE cycle (two one-statement transactions):",
        "",
        "| Engine | reserve+settle/s | bare UPDATE/s (1 txn/op) | ratio | bare 2-UPDATE cycle/s "
        "| ratio |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        floor = f"{r.ratio('bare2'):.2f} {verdict(r.ratio('bare2') >= RATIO_TARGET)}"
        lines.append(
            f"| {r.label} | {r.rate['ours']:,.0f} | {r.rate['bare']:,.0f} | {r.ratio('bare'):.2f} "
            f"| {r.rate['bare2']:,.0f} | {floor} |"
        )
    return lines


def report(results: list[EngineResult], opts: Options, where: str) -> str:
    lines: list[str] = []
    for r in results:
        lines += ["", f"== {r.label} ==", *contention_lines(r, opts), ""]
        lines += usage_lines(r.usage, opts.runs)
    lines += ["", "```markdown", "### Performance", "", f"`python -m bench.ledger` on {where}.", ""]
    lines += _contention_markdown(results, opts)
    lines += ["", *usage_markdown([(r.label, r.usage) for r in results], opts.measured, opts.runs)]
    return "\n".join([*lines, "```"])


async def run(opts: Options) -> None:
    started = time.perf_counter()
    pg_version, why = await postgres_version()
    where = machine(pg_version)
    print(f"setget credit ledger benchmark\n{where}\n{load()} at start", flush=True)
    results: list[EngineResult] = []
    with tempfile.TemporaryDirectory(prefix="setget-bench-") as tmp:
        for engine in opts.engines:
            if engine == "postgres" and pg_version is None:
                url = make_url(_postgres_dsn()).render_as_string(hide_password=True)
                print(f"PostgreSQL: SKIPPED, no answer at {url} ({why})", flush=True)
                continue
            results.append(await bench_engine(engine, opts, Path(tmp)))
    print(report(results, opts, where))
    print(f"total time {time.perf_counter() - started:.0f} s, {load()} at the end")


def main() -> None:
    asyncio.run(run(parse_args()))


if __name__ == "__main__":
    main()
