"""Benchmark the Slack pipeline: signed `app_mention` events POSTed to `setget-bot serve slack
--http` (a real process on SQLite, or PostgreSQL with --postgres) with a zero-latency local LLM
and a fake Slack Web API, on the same machine in the same run as two other apps:

- the bare app (`bench.bare_slack`): slack-bolt answering each mention with one
  `chat.postMessage` — the floor of the framework;
- the peer (`bench.peer_slack`): a slack-bolt app shaped like ChatGPT-in-Slack (placeholder,
  openai SDK streaming from the same fake LLM, edits, final text), no database, no metering —
  what a user would run instead.

Reply latency: from sending the event to the final `chat.update` (ours: the answer with its
usage footer; the peer: the whole answer) or the `chat.postMessage` (bare). Ack latency: until
the HTTP response. CPU ms per answer: the serving process's user + system time over the level
(/proc/PID/stat) divided by its answers. RSS: /proc/PID/status VmRSS once healthy (idle) and
after the last level.

Targets against the bare app: reply p50 ≤ 1.5x, ack p99 ≤ 1.2x, at every level. Against the
peer (issue 13): throughput ≥ 0.6x, reply p50 at 1 in flight ≤ 1.5x, ack p99 ≤ 1.2x; idle RSS
≤ 1.5x.

    python -m bench.slack_pipeline [--quick] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Literal

import aiohttp

from bench.pipeline import (
    GROWTH_IN_FLIGHT,
    Level,
    Lost,
    Run,
    cli,
    database,
    grow,
    growth_marks,
    machine,
    measured,
    process,
    report,
    rss_mib,
    tail,
    verdict,
)
from tests.adapters.llm.fake_servers import FakeOpenAI, Reply, Usage, chunks
from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.slack.signing import event_body, mention_event, signed_headers

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"
LEVELS = (1, 50, 200)
REPLY_TARGET = 1.5
ACK_TARGET = 1.2
THROUGHPUT_TARGET = 0.6  # of the peer's
ANSWER = "WEB has 14 open items: 9 in progress, 5 to do."
QUESTION = "How many open items are in the WEB project?"
Kind = Literal["ours", "bare", "peer"]


@dataclass(frozen=True)
class App:
    kind: Kind
    url: str
    pid: int


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(600):
            if proc.poll() is not None:
                raise SystemExit(f"{url} exited:\n{tail(log)}")
            try:
                async with http.get(f"{url}/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit(f"{url} never became healthy:\n{tail(log)}")


class Completions:
    """When each event's reply reached the fake Slack."""

    def __init__(self, slack: FakeSlack, *, kind: Kind) -> None:
        self._slack = slack
        self._kind = kind
        self._seen = 0
        self.done: dict[str, float] = {}  # event ts -> arrival

    def scan(self) -> None:
        calls = self._slack.calls
        for call in calls[self._seen :]:
            if call.method == "chat.update" and self._final(call.args):
                thread = self._slack.thread_of.get(str(call.args.get("ts")))
                if thread:
                    self.done[thread] = call.at
            elif self._kind == "bare" and call.method == "chat.postMessage":
                self.done[str(call.args.get("thread_ts"))] = call.at
        self._seen = len(calls)

    def _final(self, args: dict[str, Any]) -> bool:
        """Is this `chat.update` the final answer of this kind of app?"""
        footer = "credit" in str(args)  # ours: the usage footer (in its blocks)
        if self._kind == "ours":
            return footer
        return self._kind == "peer" and args.get("text") == ANSWER and not footer

    async def wait(self, ts: str) -> None:
        """Until the reply to the event `ts` has arrived (polled: the fake records calls)."""
        for _ in range(30_000):
            self.scan()
            if ts in self.done:
                return
            await asyncio.sleep(0.001)
        raise Lost(f"{self._kind}: the reply to {ts} never arrived")


async def drive(app: App, slack: FakeSlack, *, level: int, events: int, name: str) -> Run:
    completions = Completions(slack, kind=app.kind)
    sent: dict[str, float] = {}
    acks: list[float] = []
    prefix = uuid.uuid4().int % 10**6
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(events):
        queue.put_nowait(i)
    connector = aiohttp.TCPConnector(limit=level + 10)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def worker() -> None:
            while not queue.empty():
                i = queue.get_nowait()
                ts = f"{1_700_000_000 + prefix}.{i:06d}"
                body = event_body(mention_event(QUESTION, ts=ts), event_id=f"Ev{prefix}{i}")
                headers = signed_headers(body, secret=SECRET)
                start = time.perf_counter()
                sent[ts] = start
                events_url = f"{app.url}/slack/events"
                async with http.post(events_url, data=body, headers=headers) as resp:
                    await resp.read()
                    if resp.status != 200:
                        raise SystemExit(f"{name}: HTTP {resp.status}")
                acks.append(time.perf_counter() - start)
                await completions.wait(ts)

        first = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(min(level, events))))
    replies = [completions.done[ts] - sent[ts] for ts in sent]
    last = max(completions.done[ts] for ts in sent)
    return Run(name, level, events, last - first, replies, acks)


@asynccontextmanager
async def servers(database_url: str, workdir: Path) -> AsyncIterator[tuple[list[App], FakeSlack]]:
    """The three apps, healthy: [ours, bare, peer]."""
    fallback = Reply(text=chunks(ANSWER), usage=Usage(900, 12))
    async with FakeSlack() as slack, FakeOpenAI(fallback=fallback) as llm:
        slack.add_user("U0ALICE", "alice")  # who mentions the bot (users.info knows her)
        env = {
            **os.environ,
            "SETGET_DATABASE_URL": database_url,
            "SLACK_API_URL": slack.api_url,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_BOT_TOKEN": TOKEN,
            "SETGET_LLM_PROVIDER": "openai-compatible",
            "SETGET_LLM_BASE_URL": f"{llm.root}/v1",
            "SETGET_LLM_MODEL": "local-zero-latency",
            "SETGET_RATE_LIMIT_ENTERPRISE": "1000000",
        }
        cli(env, "db", "upgrade")
        cli(env, "workspace", "create", "bench", "--plan", "enterprise", "--allocation", "10000000")
        cli(env, "workspace", "link", "bench", "--slack-team", slack.team_id)
        ports = {kind: _free_port() for kind in ("ours", "bare", "peer")}
        serve = ["-m", "bot.cli", "serve", "slack", "--http", "--host", "127.0.0.1", "--port"]
        commands: dict[Kind, list[str]] = {
            "ours": [sys.executable, *serve, str(ports["ours"])],
            "bare": [sys.executable, "-m", "bench.bare_slack", "--port", str(ports["bare"])],
            "peer": [sys.executable, "-m", "bench.peer_slack", "--port", str(ports["peer"])],
        }
        with ExitStack() as stack:
            apps = []
            for kind, command in commands.items():
                log = workdir / f"{kind}.log"
                proc = stack.enter_context(process(command, env, log))
                url = f"http://127.0.0.1:{ports[kind]}"
                await wait_healthy(url, proc, log)
                apps.append(App(kind, url, proc.pid))
            try:
                yield apps, slack
            except Lost:
                for kind in commands:
                    print(f"{kind}:\n{tail(workdir / f'{kind}.log')}", file=sys.stderr)
                raise


async def bench(database_url: str, *, quick: bool, answers: int) -> None:
    rows: list[Level] = []
    with tempfile.TemporaryDirectory() as tmp:
        async with servers(database_url, Path(tmp)) as (apps, slack):
            ours, bare, peer = apps
            idle: dict[str, float] = {app.kind: rss_mib(app.pid) for app in apps}
            for level in LEVELS:
                events = max(40 if quick else 200, 2 * level)
                warm = min(events, 20)
                for app in (bare, peer, ours):
                    await drive(app, slack, level=min(level, warm), events=warm, name="warm-up")
                runs = {
                    app.kind: await measured(
                        app.pid, drive(app, slack, level=level, events=events, name=app.kind)
                    )
                    for app in (bare, peer, ours)
                }
                rows.append(Level(runs["bare"], runs["peer"], runs["ours"]))
                print(f"  {level} in flight: done", file=sys.stderr, flush=True)
            after: dict[str, float] = {app.kind: rss_mib(app.pid) for app in apps}
            done = sum(len(row.ours.replies) for row in rows) + len(LEVELS) * 20
            growth = [
                await grow(
                    app.kind,
                    app.pid,
                    done,
                    growth_marks(answers),
                    partial(drive, app, slack, level=GROWTH_IN_FLIGHT, name="grow"),
                )
                for app in (peer, ours)
                if answers
            ]
    report(
        rows,
        bare=(BARE_HEADER, bare_line),
        peer=(PEER_HEADER, peer_line),
        idle=idle,
        after=after,
        answers=done,
        growth=growth,
    )


BARE_HEADER = (
    "| in flight | events | bare throughput | ours | bare reply p50 / p99 | ours reply "
    "p50 / p99 | reply p50 ratio (≤1.5) | bare ack p99 | ours ack p99 | "
    "ack p99 ratio (≤1.2) |\n|---|---|---|---|---|---|---|---|---|---|"
)
PEER_HEADER = (
    "| in flight | events | peer throughput | ours | throughput ratio (≥0.6) | peer reply "
    "p50 / p99 | ours reply p50 / p99 | reply p50 ratio (≤1.5 at 1) | peer ack p99 | "
    "ours ack p99 | ack p99 ratio (≤1.2) | peer CPU / answer | ours CPU / answer |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def bare_line(bare: Run, mine: Run) -> str:
    reply = mine.p(mine.replies, 50) / bare.p(bare.replies, 50)
    ack = mine.p(mine.acks, 99) / bare.p(bare.acks, 99)
    return (
        f"| {mine.level} | {mine.events} | {bare.throughput:.0f}/s | {mine.throughput:.0f}/s | "
        f"{bare.p(bare.replies, 50):.1f} / {bare.p(bare.replies, 99):.1f} ms | "
        f"{mine.p(mine.replies, 50):.1f} / {mine.p(mine.replies, 99):.1f} ms | "
        f"{reply:.2f} ({verdict(reply <= REPLY_TARGET)}) | "
        f"{bare.p(bare.acks, 99):.1f} ms | {mine.p(mine.acks, 99):.1f} ms | "
        f"{ack:.2f} ({verdict(ack <= ACK_TARGET)}) |"
    )


def peer_line(peer: Run, mine: Run) -> str:
    throughput = mine.throughput / peer.throughput
    reply = mine.p(mine.replies, 50) / peer.p(peer.replies, 50)
    ack = mine.p(mine.acks, 99) / peer.p(peer.acks, 99)
    reply_verdict = f" ({verdict(reply <= REPLY_TARGET)})" if mine.level == 1 else ""
    return (
        f"| {mine.level} | {mine.events} | {peer.throughput:.0f}/s | {mine.throughput:.0f}/s | "
        f"{throughput:.2f} ({verdict(throughput >= THROUGHPUT_TARGET)}) | "
        f"{peer.p(peer.replies, 50):.1f} / {peer.p(peer.replies, 99):.1f} ms | "
        f"{mine.p(mine.replies, 50):.1f} / {mine.p(mine.replies, 99):.1f} ms | "
        f"{reply:.2f}{reply_verdict} | "
        f"{peer.p(peer.acks, 99):.1f} ms | {mine.p(mine.acks, 99):.1f} ms | "
        f"{ack:.2f} ({verdict(ack <= ACK_TARGET)}) | "
        f"{peer.cpu_ms:.1f} ms | {mine.cpu_ms:.1f} ms |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer events per level")
    parser.add_argument(
        "--answers",
        type=int,
        default=None,
        help="answers each of ours and the peer give for the memory table, RSS read at a "
        "fifth and at the end (default 10000; 1000 with --quick; 0: no memory table)",
    )
    parser.add_argument("--postgres", metavar="URL", help="run the bot on this PostgreSQL server")
    args = parser.parse_args()
    if args.answers is None:
        args.answers = 1000 if args.quick else 10_000
    print(machine("Slack pipeline", postgres=bool(args.postgres)))
    with database(args.postgres) as url:
        try:
            asyncio.run(bench(url, quick=args.quick, answers=args.answers))
        except Lost as lost:
            raise SystemExit(str(lost)) from None


if __name__ == "__main__":
    main()
