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


def report(
    rows: Sequence[Level],
    *,
    bare: tuple[str, Line],
    peer: tuple[str, Line],
    idle: Mapping[str, float],
    after: Mapping[str, float],
    answers: int,
) -> None:
    """The three tables of a pipeline run: against the bare app, against the peer, memory;
    `bare` and `peer` are each table's header and row."""
    for (header, line), theirs in ((bare, "bare"), (peer, "peer")):
        print(header)
        for row in rows:
            print(line(getattr(row, theirs), row.ours))
        print()
    print(memory_table(idle, after, answers))


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
