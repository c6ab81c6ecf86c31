"""What the pipeline benchmarks share: a run's figures, the bot and its baseline as real
processes, the CLI for set-up, and the database of a run (SQLite in a temporary folder, or a
PostgreSQL database made for the run and dropped after)."""

from __future__ import annotations

import asyncio
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url


@dataclass(frozen=True)
class Run:
    name: str
    level: int  # events in flight
    events: int
    seconds: float
    replies: list[float]  # seconds from sending an event to its reply's arrival
    acks: list[float] = field(default_factory=list)  # seconds until the HTTP answer (Slack)
    cpu: float = 0.0  # CPU seconds the serving process spent during the run (see `measured`)

    @property
    def throughput(self) -> float:
        return self.events / self.seconds

    @property
    def cpu_ms(self) -> float:
        """CPU milliseconds of the serving process per answer."""
        return self.cpu * 1000 / self.events

    def p(self, values: list[float], q: int) -> float:
        """The q-th percentile of `values`, in milliseconds."""
        return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000


@dataclass(frozen=True)
class Level:
    """One level of a run: the same events to the bare app, the peer and ours."""

    bare: Run
    peer: Run
    ours: Run


Line = Callable[[Run, Run], str]  # (theirs, ours) -> one table row


@dataclass(frozen=True)
class Growth:
    """A bot's RSS as it answered more and more: (answers so far, MiB) at each mark."""

    kind: str
    marks: list[tuple[int, float]]

    @property
    def growth(self) -> float:
        """From the first mark to the last, as a fraction of the first."""
        (_, first), (_, last) = self.marks[0], self.marks[-1]
        return (last - first) / first


GROWTH_TARGET = 0.10  # RSS growth between the first and the last mark (issue 13)
GROWTH_IN_FLIGHT = 20


async def grow(
    kind: str, pid: int, answered: int, marks: Sequence[int], drive: Callable[..., Awaitable[Run]]
) -> Growth:
    """Drive the bot (`drive(events=n)` sends n events, `GROWTH_IN_FLIGHT` at a time) from
    `answered` answers so far up to each mark, reading its RSS at each."""
    at = []
    for mark in marks:
        if mark > answered:
            await drive(events=mark - answered)
            answered = mark
        at.append((answered, rss_mib(pid)))
        print(f"  {kind}: {answered} answers, {at[-1][1]:.0f} MiB", file=sys.stderr, flush=True)
    return Growth(kind, at)


def growth_marks(answers: int) -> tuple[int, int]:
    """Where RSS is read: a fifth of the way (2,000 of 10,000) and at the end."""
    return answers // 5, answers


def report(
    rows: Sequence[Level],
    *,
    bare: tuple[str, Line],
    peer: tuple[str, Line],
    idle: Mapping[str, float],
    after: Mapping[str, float],
    answers: int,
    growth: Sequence[Growth] = (),
) -> None:
    """The tables of a pipeline run: against the bare app, against the peer, memory, and
    memory as answers accumulate; `bare` and `peer` are each table's header and row."""
    for (header, line), theirs in ((bare, "bare"), (peer, "peer")):
        print(header)
        for row in rows:
            print(line(getattr(row, theirs), row.ours))
        print()
    print(memory_table(idle, after, answers))
    if growth:
        print()
        print(growth_table(growth))


def growth_table(growth: Sequence[Growth]) -> str:
    marks = [answered for answered, _ in growth[0].marks]
    first, last = marks[0], marks[-1]
    rows = [
        "| bot | "
        + " | ".join(f"RSS after {m:,} answers" for m in marks)
        + f" | growth {first:,} → {last:,} (≤{GROWTH_TARGET:.0%}) |",
        "|---|" + "---|" * (len(marks) + 1),
    ]
    for g in growth:
        sizes = " | ".join(f"{mib:.0f} MiB" for _, mib in g.marks)
        met = g.growth <= GROWTH_TARGET
        rows.append(f"| {g.kind} | {sizes} | {g.growth:+.1%} ({verdict(met)}) |")
    return "\n".join(rows)


class Lost(Exception):
    """A reply never arrived (raised in a worker task; SystemExit there would skip the logs)."""


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` so far, all its threads (/proc/PID/stat)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) ": state is field 3
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def rss_mib(pid: int) -> float:
    """Resident set size of process `pid` in MiB (/proc/PID/status VmRSS)."""
    for row in Path(f"/proc/{pid}/status").read_text().splitlines():
        if row.startswith("VmRSS:"):
            return int(row.split()[1]) / 1024
    raise SystemExit(f"no VmRSS for process {pid}")


async def measured(pid: int, run: Awaitable[Run]) -> Run:
    """`run`, with the CPU time process `pid` (the bot serving it) spent meanwhile."""
    before = cpu_seconds(pid)
    result = await run
    return replace(result, cpu=cpu_seconds(pid) - before)


def verdict(met: bool) -> str:
    return "met" if met else "missed"


def machine(title: str, *, postgres: bool) -> str:
    return (
        f"# {title} — {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {'PostgreSQL' if postgres else 'SQLite'}"
    )


@contextmanager
def process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def printed(log: Path) -> str:
    return log.read_text(errors="replace")


def tail(log: Path) -> str:
    return printed(log)[-2000:]


async def wait_for_line(text: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    """Until the process has printed `text` (its ready line)."""
    for _ in range(600):
        if proc.poll() is not None:
            raise SystemExit(f"{proc.args!r} exited:\n{tail(log)}")
        if text in printed(log):
            return
        await asyncio.sleep(0.1)
    raise SystemExit(f"{proc.args!r} never printed {text!r}:\n{tail(log)}")


def cli(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], env=env, check=True, capture_output=True
    )


@contextmanager
def database(postgres: str | None) -> Iterator[str]:
    """The run's database URL: SQLite in a temporary folder, or a fresh PostgreSQL database
    on the `postgres` server, dropped afterwards."""
    if not postgres:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    name = f"setget_bench_{uuid.uuid4().hex[:10]}"
    admin(postgres, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(postgres).set(database=name).render_as_string(hide_password=False)
    finally:
        admin(postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def admin(server: str, statement: str) -> None:
    """One statement on the server's maintenance connection (create/drop the run's database)."""
    dsn = make_url(server).set(drivername="postgresql").render_as_string(hide_password=False)

    async def run() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(run())


RSS_TARGET = 1.5  # idle RSS of ours, of the peer's (issue 13)


def memory_table(idle: Mapping[str, float], after: Mapping[str, float], answers: int) -> str:
    """RSS of each bot once ready and after the run (`answers` answered by each, warm-ups in)."""
    ratio = idle["ours"] / idle["peer"]
    rows = [
        f"| bot | idle RSS | RSS after {answers} answers |",
        "|---|---|---|",
        *(f"| {kind} | {idle[kind]:.0f} MiB | {after[kind]:.0f} MiB |" for kind in idle),
        "",
        f"Idle RSS ours / peer: {ratio:.2f} (≤{RSS_TARGET}: {verdict(ratio <= RSS_TARGET)})",
    ]
    return "\n".join(rows)
