"""Soak: two `setget-bot serve slack --http` replicas and the two shards of `setget-bot serve
discord` (one process each) on one PostgreSQL database, 50 workspaces (half on Slack teams,
half on Discord guilds, every tenth on both), members in many concurrent conversations, a
local OpenAI-compatible LLM answering after 200 ms, some workspaces with a small allocation
that runs out during the run (their members must be told, not charged) and two on a plan
with a low rate limit. Slack events go to either replica; a few are delivered again to the
other replica with Slack's retry headers, as Slack does when an ack is late.

Reported: turns sent, answers and refusals by reason, reply latency p50 / p99 (from sending
the event to the final message at the fake), peak RSS of each process with its RSS at 25 %
of the run and at the end; then the checks, each failing the run (exit 1): every turn got
exactly one outcome, the database holds one charge per answer seen and none for refusals, no
pool is overspent, no hold is left, and `setget-bot ledger verify --all` is clean.

    python -m bench.soak [--seconds N | --quick] [--workspaces N] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.pipeline import database, machine
from bench.soak_checks import (
    Alert,
    Charges,
    Memory,
    Replies,
    Verify,
    alerts,
    charges,
    ledger_verify,
    pools,
    replies,
)
from bench.soak_load import Load, Pace, Sent
from bench.soak_outcomes import DiscordReplies, Outcomes, SlackReplies, watch
from bench.soak_world import ANSWER, SLACK_ALERTS, Shape, world

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
LATENCY = 0.2
GRACE = 5.0  # seconds after the last outcome in which a duplicate would still be seen
FLAT = 1.15  # memory is flat when the end RSS is at most this times the RSS at 25 %


@dataclass(frozen=True)
class Result:
    seconds: float  # the load, until the last turn's outcome
    grace: float  # then this long, to catch late duplicates
    small: int  # workspaces given a small allocation
    members: int  # members in conversation at once
    sent: Sent
    replies: Replies
    charges: Charges
    verify: Verify
    memory: Memory
    exited: list[str]  # processes that died during the run
    alerts: Counter[str]  # platform -> usage alerts posted in the alerts channels
    stored: list[Alert]  # the usage alerts the database holds, one row per platform

    @property
    def undelivered(self) -> list[Alert]:
        return [alert for alert in self.stored if not alert.delivered]

    @property
    def clean(self) -> bool:
        return (
            self.replies.once
            and self.charges.clean
            and self.verify.ok
            and not self.exited
            and not self.sent.bad_acks
            and not self.sent.undelivered
        )


async def soak(
    database_url: str,
    *,
    seconds: float,
    shape: Shape,
    pace: Pace,
    seed: int = 14,
    grace: float = GRACE,
) -> Result:
    """One run on `database_url` (a fresh database): start, load, check."""
    outcomes = Outcomes()
    memory = Memory()
    with tempfile.TemporaryDirectory() as tmp:
        async with world(database_url, Path(tmp), shape=shape, latency=LATENCY) as w:
            discord = DiscordReplies(w.discord, outcomes, answer=ANSWER)
            stop = asyncio.Event()
            scanners: list[SlackReplies | DiscordReplies] = [
                SlackReplies(w.slack, outcomes, answer=ANSWER, alerts=SLACK_ALERTS),
                discord,
            ]
            watching = asyncio.create_task(watch(scanners, stop))
            sampling = asyncio.create_task(memory.sample(w.processes.pids, stop))
            load = Load(w, outcomes, discord, pace=pace, seed=seed)
            print(f"soak: {len(w.tenants)} workspaces for {seconds:.0f} s", file=sys.stderr)
            began = time.perf_counter()
            await load.run(seconds)
            elapsed = time.perf_counter() - began
            await asyncio.sleep(grace)
            stop.set()
            await asyncio.gather(watching, sampling)
            exited = [name for name, pid in w.processes.pids.items() if not alive(pid)]
            if exited or load.sent.lost:
                print(w.processes.tails(), file=sys.stderr)
                print(lost(load.sent, outcomes), file=sys.stderr)
            env = w.env
        found = replies(load.sent, outcomes)
        held = charges(await pools(database_url), found.answered)
        stored = await alerts(database_url)
        verdict = ledger_verify(env)
    return Result(
        seconds=elapsed,
        grace=grace,
        small=sum(tenant.drained for tenant in w.tenants),
        members=sum(len(t.slack_users) + len(t.discord_users) for t in w.tenants),
        sent=load.sent,
        replies=found,
        charges=held,
        verify=verdict,
        memory=memory,
        exited=exited,
        alerts=outcomes.alerts,
        stored=stored,
    )


def lost(sent: Sent, outcomes: Outcomes) -> str:
    """The conversations whose last turn never got a reply, with what they did get."""
    return "\n".join(
        f"lost: {sent.platform_of[key]} {sent.workspace_of[key]} {key}: "
        f"{sent.turns[key]} turns, replies {outcomes.by_key.get(key)}"
        for key in sent.lost
    )


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    status = Path(f"/proc/{pid}/status").read_text()
    return "zombie" not in status


def ms(values: list[float], q: int) -> str:
    if len(values) < 2:
        return f"{values[0] * 1000:.0f}" if values else "-"
    return f"{statistics.quantiles(values, n=100, method='inclusive')[q - 1] * 1000:.0f}"


def report(result: Result, shape: Shape) -> str:
    sent, seen = result.sent, result.replies
    answers = sum(seen.answered.values())
    latencies = sent.latencies.get("answered", [])
    refusals = [v for kind, values in sent.latencies.items() if kind != "answered" for v in values]
    lines = [
        f"workspaces: {shape.workspaces}, members in conversation at once: {result.members}, "
        f"run: {result.seconds:.0f} s of load, then {result.grace:.0f} s to catch late replies",
        f"small allocations run out: {len(result.charges.drained)} of {result.small} "
        "workspaces drained to zero",
        f"turns sent: {seen.turns} (Slack retries to the other replica: {sent.retries})",
        f"requests served: {seen.outcomes} — answered {answers} "
        f"({answers / result.seconds:.1f}/s), refused {sum(seen.refused.values())}",
        "refusals by reason: "
        + (", ".join(f"{k} {v}" for k, v in sorted(seen.refused.items())) or "none"),
        f"reply latency: answers p50 {ms(latencies, 50)} ms / p99 {ms(latencies, 99)} ms; "
        f"refusals p50 {ms(refusals, 50)} ms / p99 {ms(refusals, 99)} ms",
        f"usage alerts: {len(result.stored)} stored (one per platform), posted in the alerts "
        "channels: " + (", ".join(f"{k} {v}" for k, v in sorted(result.alerts.items())) or "none"),
        "",
        "| process | RSS at 25 % | RSS at end | peak RSS | memory flat (end ≤ 1.15x 25 %) |",
        "|---|---|---|---|---|",
    ]
    memory = result.memory
    for name in memory.samples:
        quarter, end = memory.at(name, 0.25, result.seconds), memory.end(name)
        flat = "yes" if end <= FLAT * quarter else "no"
        lines.append(
            f"| {name} | {quarter:.0f} MiB | {end:.0f} MiB | {memory.peak(name):.0f} MiB | {flat} |"
        )
    cpu = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in memory.cpu.items())
    lines += ["", f"CPU during the run: {cpu}", "", *checks(result)]
    return "\n".join(lines)


def checks(result: Result) -> list[str]:
    seen, sent = result.replies, result.sent

    def mark(ok: bool) -> str:
        return "ok  " if ok else "FAIL"

    once = (
        f"{mark(seen.once)} every turn got exactly one reply: {seen.turns} turns, "
        f"{seen.outcomes} replies, {seen.duplicates} duplicates, {seen.missing} missing"
    )
    lines = [
        once,
        f"{mark(not sent.bad_acks)} every Slack event acked 200"
        + (f" (not: {dict(sent.bad_acks)})" if sent.bad_acks else ""),
        f"{mark(not sent.undelivered)} every Discord event reached exactly one shard",
        f"{mark(result.charges.clean)} one charge per answer seen, none for refusals, no pool "
        "overspent, no hold left",
        *(f"     {problem}" for problem in result.charges.problems[:20]),
        f"{mark(not result.exited)} every process still running"
        + (f" (exited: {', '.join(result.exited)})" if result.exited else ""),
        f"{mark(result.verify.ok)} {(result.verify.printed.splitlines() or ['-'])[-1]}",
    ]
    lines.append(
        f"{'ok  ' if not result.undelivered else 'warn'} every usage alert delivered "
        f"({len(result.stored) - len(result.undelivered)} of {len(result.stored)}; "
        "not counted in the verdict)"
    )
    lines += [
        f"     {a.workspace} {a.kind} {a.percent or ''} on {a.platform}: {a.error}"
        for a in result.undelivered[:20]
    ]
    if not result.verify.ok:
        lines += [f"     {line}" for line in result.verify.printed.splitlines()[:20]]
    lines.append("soak: clean" if result.clean else "soak: NOT clean")
    return lines


def drained_allocation(seconds: float) -> int:
    """Credits that run out about a quarter into the run (a member asks every ~10 s)."""
    return max(2, round(seconds / 15))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=180.0, help="how long the load runs")
    parser.add_argument("--quick", action="store_true", help="a 30 s run")
    parser.add_argument("--workspaces", type=int, default=50)
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=os.environ.get("SETGET_TEST_POSTGRES_URL", DEFAULT_POSTGRES),
        help="the PostgreSQL server (a database is created on it for the run, then dropped)",
    )
    args = parser.parse_args(argv)
    seconds = 30.0 if args.quick else args.seconds
    shape = Shape(workspaces=args.workspaces, drained_allocation=drained_allocation(seconds))
    print(
        machine("Soak", postgres=True) + f", {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    with database(args.postgres) as url:
        result = asyncio.run(soak(url, seconds=seconds, shape=shape, pace=Pace()))
    print(report(result, shape))
    if not result.clean:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
