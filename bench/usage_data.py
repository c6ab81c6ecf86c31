"""Bulk-seeded usage history (interactions, ledger, rollup) and timing of the dashboard."""

from __future__ import annotations

import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Date, bindparam, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.storage import Database, open_database, upgrade_schema
from adapters.storage.tables import usage_rollup
from bot.app import App, build_app
from bot.settings import Settings
from core.credits.cycles import Cycle, cycle_containing
from core.credits.pool import cycle_context
from core.plans import Plan
from core.workspaces import Platform, Workspace

MEASURED_MEMBERS = 40
OTHER_TENANTS = 9
GROWTH_TARGET = 1.2
QUERIES = {"report": "report (cycle)", "report_30d": "report (30 days)", "status": "pool.status"}
ALLOCATION = 10_000_000
_LCG = "({x} * 1103515245 + 12345) % 2147483648"
# interaction type, share (percent, cumulative upper bound), typical input and output tokens
_TYPES = (
    ("simple_question", 40, 1200, 300),
    ("data_analysis", 58, 6000, 900),
    ("summarization", 72, 9000, 600),
    ("action_single", 85, 2000, 250),
    ("action_bulk", 93, 5000, 800),
    ("complex_multi_turn", 100, 14000, 2500),
)


@dataclass(frozen=True)
class Tenant:
    """A seeded workspace: its members' id range, its cycles, its share of the others' load."""

    workspace: Workspace
    first_member: int
    members: int
    cycles: list[Cycle]
    weight: int


def _months_back(today: date, months: int) -> date:
    index = today.year * 12 + today.month - 1 - months
    return date(index // 12, index % 12 + 1, min(today.day, 28))


def _cycles(anchor: date, today: date) -> list[Cycle]:
    cycles = [cycle_containing(anchor, anchor)]
    while cycles[-1].renewal <= today:
        cycles.append(cycle_containing(anchor, cycles[-1].renewal))
    return cycles


async def _tenant(app: App, name: str, members: int, months: int, mid: int) -> Tenant:
    """A workspace `months` old whose current cycle started `mid` days ago."""
    today = app.clock.now().date()
    anchor = _months_back(today - timedelta(days=mid), months)
    ws = await app.admin.create(name, plan=Plan.ENTERPRISE, allocation=ALLOCATION, anchor=anchor)
    ids = [
        (await app.workspace_store.ensure_member(ws.id, Platform.SLACK, f"U{k}", f"m{k}")).id
        for k in range(members)
    ]
    if ids != list(range(ids[0], ids[0] + members)):
        raise RuntimeError("member ids are not contiguous; cannot seed by id offset")
    return Tenant(ws, ids[0], members, _cycles(anchor, today), weight=members * months)


async def create_tenants(app: App) -> list[Tenant]:
    """The measured workspace (13 months, 40 members) first, then the other workspaces."""
    tenants = [await _tenant(app, "measured", MEASURED_MEMBERS, 13, mid=15)]
    for k in range(1, OTHER_TENANTS + 1):
        tenants.append(await _tenant(app, f"tenant-{k}", 8 + 4 * k, 4 + k, mid=3 * k))
    return tenants


def _epoch(day: date) -> int:
    return int(datetime.combine(day, datetime.min.time(), UTC).timestamp())


def _generator(db: Database) -> tuple[str, str, str]:
    """(prefix, row source, timestamp of `:t0 + off` seconds) for this dialect."""
    if db.is_sqlite:
        seq = "WITH RECURSIVE seq(i) AS (SELECT :lo UNION ALL SELECT i + 1 FROM seq WHERE i < :hi)"
        return seq, "seq", "datetime(:t0 + off{plus}, 'unixepoch') || '.000000'"
    series = "generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint)) AS seq(i)"
    return "", series, "to_timestamp(:t0 + off{plus})"


def _interactions_sql(db: Database) -> str:
    prefix, source, stamp = _generator(db)
    a, b, c, d = (_LCG.format(x=x) for x in ("i", "a", "b", "c"))
    case = " ".join(f"WHEN tp < {cut} THEN '{name}'" for name, cut, _, _ in _TYPES)
    base_in = " ".join(f"WHEN tp < {cut} THEN {i}" for _, cut, i, _ in _TYPES)
    base_out = " ".join(f"WHEN tp < {cut} THEN {o}" for _, cut, _, o in _TYPES)
    clamp = "max(1, min(6, {x}))" if db.is_sqlite else "GREATEST(1, LEAST(6, {x}))"
    credits = clamp.format(x="(in_t + 4 * out_t + 3999) / 4000")
    false = "0" if db.is_sqlite else "false"
    return f"""{prefix}
INSERT INTO interactions (workspace_id, key, member_id, state, reserved, credits,
  pack_credits, written_off, interaction_type, input_tokens, output_tokens, tokens_estimated,
  created_at, expires_at, settled_at)
SELECT :w, 'seed-' || i, :m0 + mi, 'settled', 1, {credits}, 0, 0, it, in_t, out_t, {false},
  {stamp.format(plus="")}, {stamp.format(plus=" + 300")}, {stamp.format(plus=" + 7")}
FROM (SELECT i, mi, off, CASE {case} END AS it,
        (CASE {base_in} END) / 2 + d % (CASE {base_in} END) AS in_t,
        (CASE {base_out} END) / 2 + (d / 4096) % (CASE {base_out} END) AS out_t
      FROM (SELECT i, (a / 65536) * (a / 65536) * :members / 1073741824 AS mi,
              (b / 65536) % 100 AS tp, (c / 64) % :span AS off, d
            FROM (SELECT i, a, b, c, {d} AS d FROM (SELECT i, a, b, {c} AS c
              FROM (SELECT i, a, {b} AS b FROM (SELECT i, {a} AS a FROM {source}) s1) s2) s3) s4
           ) s5) s6"""


_LEDGER_SQL = text(
    """INSERT INTO ledger_entries (workspace_id, at, kind, bucket, delta, cycle_start, pack_id,
  interaction_id, member_id, note)
SELECT workspace_id, settled_at, 'charge', 'monthly', -credits, :cs, NULL, id, member_id, ''
FROM interactions WHERE id > :after"""
).bindparams(bindparam("cs", type_=Date))


async def _seed_cycle(
    conn: AsyncConnection, sql: str, tenant: Tenant, cycle: Cycle, span: tuple[int, int, int]
) -> None:
    """Insert interactions `lo..hi` spread over `cycle`, and their charges in the ledger."""
    lo, hi, end = span
    t0 = _epoch(cycle.start)
    after = await conn.scalar(text("SELECT COALESCE(MAX(id), 0) FROM interactions"))
    params = {"lo": lo, "hi": hi, "w": tenant.workspace.id, "m0": tenant.first_member}
    await conn.execute(
        text(sql), {**params, "members": tenant.members, "t0": t0, "span": max(end - t0 - 10, 1)}
    )
    await conn.execute(_LEDGER_SQL, {"cs": cycle.start, "after": after})


async def _seed_tenant(
    conn: AsyncConnection, sql: str, tenant: Tenant, count: int, next_i: int
) -> int:
    """Add `count` interactions to `tenant`, spread over its cycles by their length."""
    now = int(time.time()) - 120
    bounds = [(_epoch(c.start), min(now, _epoch(c.renewal))) for c in tenant.cycles]
    total = sum(end - start for start, end in bounds)
    left = count
    for k, (cycle, (start, end)) in enumerate(zip(tenant.cycles, bounds, strict=True)):
        share = left if k == len(bounds) - 1 else count * (end - start) // total
        if share > 0:
            await _seed_cycle(conn, sql, tenant, cycle, (next_i, next_i + share - 1, end))
        next_i, left = next_i + share, left - share
    return next_i


def _targets(tenants: list[Tenant], size: int, measured: int) -> list[int]:
    others = tenants[1:]
    weight = sum(t.weight for t in others)
    shares = [(size - measured) * t.weight // weight for t in others]
    shares[-1] += size - measured - sum(shares)
    return [measured, *shares]


async def seed(db: Database, tenants: list[Tenant], size: int, measured: int) -> None:
    """Seed `size` interactions, `measured` of them in the measured workspace."""
    sql, next_i = _interactions_sql(db), 1
    async with db.write() as conn:
        async with _bulk_load(db, conn):
            for tenant, count in zip(tenants, _targets(tenants, size, measured), strict=True):
                next_i = await _seed_tenant(conn, sql, tenant, count, next_i)
        await _rebuild_derived(db, conn, size)
    if not db.is_sqlite:  # what autovacuum does after a bulk load
        async with db.write() as conn:
            await conn.execute(text("ANALYZE"))


_INDEXES_SQL = {
    "sqlite": "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name LIKE 'ix_%'"
    " AND tbl_name IN ('interactions', 'ledger_entries')",
    "postgresql": "SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE 'ix_%'"
    " AND tablename IN ('interactions', 'ledger_entries')",
}


@asynccontextmanager
async def _bulk_load(db: Database, conn: AsyncConnection) -> AsyncIterator[None]:
    """Load without the secondary indexes and build them after (same schema in the end).

    On PostgreSQL also skip JIT and, when the role may, the per-row foreign-key triggers
    (the seeded rows reference rows that exist).
    """
    indexes = (await conn.execute(text(_INDEXES_SQL[db.dialect]))).all()
    for name, _ in indexes:
        await conn.execute(text(f'DROP INDEX "{name}"'))
    if not db.is_sqlite:
        await conn.execute(text("SET LOCAL jit = off"))
        try:
            async with conn.begin_nested():
                await conn.execute(text("SET LOCAL session_replication_role = replica"))
        except DBAPIError:
            pass  # not a superuser: keep the foreign-key checks
    yield
    for _, create in indexes:
        await conn.execute(text(create))


_ROLLUP_SQL = """INSERT INTO usage_rollup (workspace_id, day, member_key, interaction_type,
  credits, interactions, input_tokens, output_tokens, written_off)
SELECT workspace_id, {day}, COALESCE(member_id, 0), interaction_type, SUM(credits), COUNT(*),
  SUM(input_tokens), SUM(output_tokens), SUM(written_off)
FROM interactions WHERE state = 'settled' GROUP BY 1, 2, 3, 4"""
_USED_SQL = """UPDATE credit_balances SET monthly_used = COALESCE((SELECT -SUM(e.delta)
  FROM ledger_entries e WHERE e.workspace_id = credit_balances.workspace_id
  AND e.bucket = 'monthly' AND e.cycle_start = credit_balances.cycle_start
  AND e.kind = 'charge'), 0)"""


async def _rebuild_derived(db: Database, conn: AsyncConnection, seeded: int) -> None:
    """The rollup (checked against the interactions) and the balances, from the seeded rows."""
    day = "date(settled_at)" if db.is_sqlite else "CAST(settled_at AT TIME ZONE 'UTC' AS date)"
    await conn.execute(usage_rollup.delete())
    await conn.execute(text(_ROLLUP_SQL.format(day=day)))
    rolled = await conn.scalar(select(func.sum(usage_rollup.c.interactions)))
    if int(rolled or 0) != seeded:
        raise RuntimeError(f"the rollup holds {rolled} interactions, not {seeded}")
    await conn.execute(text(_USED_SQL))


async def _rollup_rows(app: App, tenant: Tenant) -> tuple[int, int]:
    """Rollup rows the dashboard reads for this cycle and for the last 30 days."""
    now, r = app.clock.now(), usage_rollup.c
    start = cycle_context(tenant.workspace, now).cycle.start
    query = select(
        func.count().filter(r.day >= start),
        func.count().filter(r.day >= now.date() - timedelta(days=29)),
    ).where(r.workspace_id == tenant.workspace.id)
    async with app.db.read() as conn:
        cycle, month = (await conn.execute(query)).one()
    return int(cycle), int(month)


@dataclass(frozen=True)
class UsageRow:
    size: int
    seed_s: float
    rollup: tuple[int, int]
    ms: dict[str, float]


def _queries(app: App, ws: Workspace) -> dict[str, Callable[[], Awaitable[object]]]:
    return {
        "report": lambda: app.dashboard.report(ws),
        "report_30d": lambda: app.dashboard.report(ws, days=30),
        "status": lambda: app.pool.status(ws),
    }


async def _time_interleaved(apps: list[tuple[App, Workspace]], runs: int) -> list[dict[str, float]]:
    """Median ms of each query on each database, the databases taking turns in every round."""
    calls = [_queries(app, ws) for app, ws in apps]
    times: list[dict[str, list[float]]] = [{q: [] for q in QUERIES} for _ in apps]
    for round_ in range(runs + 3):  # the first 3 rounds warm up
        for queries, spent in zip(calls, times, strict=True):
            for name, call in queries.items():
                start = time.perf_counter()
                await call()
                if round_ >= 3:
                    spent[name].append((time.perf_counter() - start) * 1000)
    return [{q: statistics.median(t) for q, t in spent.items()} for spent in times]


async def _seeded(stack: AsyncExitStack, url: str, size: int, measured: int) -> tuple[App, Tenant]:
    db = open_database(url)
    stack.push_async_callback(db.dispose)
    await upgrade_schema(db)
    app = build_app(Settings(database_url=url), db=db)
    tenants = await create_tenants(app)
    await seed(db, tenants, size, measured)
    return app, tenants[0]


async def bench_usage(
    urls: list[str], sizes: list[int], measured: int, runs: int
) -> list[UsageRow]:
    """Seed one fresh database per size, then time the usage queries on all of them in turns."""
    async with AsyncExitStack() as stack:
        seeded, seconds = [], []
        for url, size in zip(urls, sizes, strict=True):
            start = time.perf_counter()
            seeded.append(await _seeded(stack, url, size, measured))
            seconds.append(time.perf_counter() - start)
            print(f"    seeded {size:,} interactions in {seconds[-1]:.1f} s", flush=True)
        ms = await _time_interleaved([(app, t.workspace) for app, t in seeded], runs)
        rollups = [await _rollup_rows(app, t) for app, t in seeded]
    return [UsageRow(*row) for row in zip(sizes, seconds, rollups, ms, strict=True)]


def growth(rows: list[UsageRow]) -> dict[str, float]:
    """t(largest size) / t(smallest size) for each query."""
    return {q: rows[-1].ms[q] / rows[0].ms[q] for q in QUERIES}


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def usage_lines(rows: list[UsageRow], runs: int) -> list[str]:
    head = f"{'interactions':>13}{'seed s':>8}{'rollup rows cycle/30d':>23}"
    lines = [
        f"usage queries on the measured workspace, median of {runs} runs, ms",
        head + "".join(f"{name:>18}" for name in QUERIES.values()),
    ]
    for row in rows:
        rollup = f"{row.rollup[0]:,} / {row.rollup[1]:,}"
        times = "".join(f"{row.ms[q]:>18.2f}" for q in QUERIES)
        lines.append(f"{row.size:>13,}{row.seed_s:>8.1f}{rollup:>23}{times}")
    if len(rows) > 1:
        ratio = ", ".join(
            f"{QUERIES[q]} {g:.2f} {verdict(g <= GROWTH_TARGET)}" for q, g in growth(rows).items()
        )
        lines.append(f"t({rows[-1].size:,})/t({rows[0].size:,}): {ratio} (target <= 1.2)")
    return lines


def usage_markdown(
    results: list[tuple[str, list[UsageRow]]], measured: int, runs: int
) -> list[str]:
    lines = [
        f"Usage dashboard of a workspace with {measured:,} interactions (13 months, "
        f"{MEASURED_MEMBERS} members) among all stored, median of {runs} runs, ms; "
        f"the target is t(largest) / t(smallest) <= {GROWTH_TARGET}:",
        "",
        "| Engine | Interactions stored | " + " | ".join(QUERIES.values()) + " |",
        "|---|---:|" + "---:|" * len(QUERIES),
    ]
    for label, rows in results:
        lines += [
            f"| {label} | {u.size:,} | " + " | ".join(f"{u.ms[q]:.2f}" for q in QUERIES) + " |"
            for u in rows
        ]
        if len(rows) > 1:
            ratios = [f"x{g:.2f} {verdict(g <= GROWTH_TARGET)}" for g in growth(rows).values()]
            lines.append(f"| {label} | growth | " + " | ".join(ratios) + " |")
    return lines
