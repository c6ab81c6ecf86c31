"""Benchmark the Slack pipeline: signed `app_mention` events POSTed to `setget-bot serve slack
--http` (a real process on SQLite, or PostgreSQL with --postgres) with a zero-latency local LLM
and a fake Slack Web API, next to a bare slack-bolt app that answers each mention with one
`chat.postMessage`, on the same machine in the same run.

Reply latency: from sending the event to the final `chat.update` (ours: the answer with its
usage footer) or the `chat.postMessage` (bare). Ack latency: until the HTTP response.
Targets: reply p50 within 1.5x of the bare app's, ack p99 within 1.2x, at every level.

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
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp

from bench.pipeline import Run, cli, database, machine, process, tail
from tests.adapters.llm.fake_servers import FakeOpenAI, Reply, Usage, chunks
from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.slack.signing import event_body, mention_event, signed_headers

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"
LEVELS = (1, 50, 200)
REPLY_TARGET = 1.5
ACK_TARGET = 1.2
ANSWER = "WEB has 14 open items: 9 in progress, 5 to do."
QUESTION = "How many open items are in the WEB project?"


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

    def __init__(self, slack: FakeSlack, *, ours: bool) -> None:
        self._slack = slack
        self._ours = ours
        self._seen = 0
        self.done: dict[str, float] = {}  # event ts -> arrival

    def scan(self) -> None:
        calls = self._slack.calls
        for call in calls[self._seen :]:
            if self._ours and call.method == "chat.update" and "credit" in str(call.args):
                thread = self._slack.thread_of.get(str(call.args.get("ts")))
                if thread:
                    self.done[thread] = call.at
            elif not self._ours and call.method == "chat.postMessage":
                self.done[str(call.args.get("thread_ts"))] = call.at
        self._seen = len(calls)

    async def wait(self, ts: str) -> None:
        """Until the reply to the event `ts` has arrived (polled: the fake records calls)."""
        for _ in range(30_000):
            self.scan()
            if ts in self.done:
                return
            await asyncio.sleep(0.001)
        raise SystemExit(f"the reply to {ts} never arrived")


async def drive(
    url: str, slack: FakeSlack, *, ours: bool, level: int, events: int, name: str
) -> Run:
    completions = Completions(slack, ours=ours)
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
                async with http.post(f"{url}/slack/events", data=body, headers=headers) as resp:
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
async def servers(database_url: str, workdir: Path) -> AsyncIterator[tuple[str, str, FakeSlack]]:
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
        ours_port, bare_port = _free_port(), _free_port()
        ours_cmd = [
            sys.executable,
            "-m",
            "bot.cli",
            "serve",
            "slack",
            "--http",
            "--host",
            "127.0.0.1",
            "--port",
            str(ours_port),
        ]
        bare_cmd = [sys.executable, "-m", "bench.bare_slack", "--port", str(bare_port)]
        ours_log, bare_log = workdir / "ours.log", workdir / "bare.log"
        with process(ours_cmd, env, ours_log) as ours, process(bare_cmd, env, bare_log) as bare:
            ours_url, bare_url = f"http://127.0.0.1:{ours_port}", f"http://127.0.0.1:{bare_port}"
            await wait_healthy(ours_url, ours, ours_log)
            await wait_healthy(bare_url, bare, bare_log)
            yield ours_url, bare_url, slack


async def bench(database_url: str, *, quick: bool) -> list[tuple[Run, Run]]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        async with servers(database_url, Path(tmp)) as (ours_url, bare_url, slack):
            for level in LEVELS:
                events = max(40 if quick else 200, 2 * level)
                warm = min(events, 20)
                for url, ours in ((bare_url, False), (ours_url, True)):
                    await drive(
                        url, slack, ours=ours, level=min(level, warm), events=warm, name="warm-up"
                    )
                bare = await drive(
                    bare_url, slack, ours=False, level=level, events=events, name="bare"
                )
                mine = await drive(
                    ours_url, slack, ours=True, level=level, events=events, name="ours"
                )
                rows.append((bare, mine))
                print(line(bare, mine), flush=True)
    return rows


def line(bare: Run, mine: Run) -> str:
    reply = mine.p(mine.replies, 50) / bare.p(bare.replies, 50)
    ack = mine.p(mine.acks, 99) / bare.p(bare.acks, 99)
    return (
        f"| {mine.level} | {mine.events} | {bare.throughput:.0f}/s | {mine.throughput:.0f}/s | "
        f"{bare.p(bare.replies, 50):.1f} / {bare.p(bare.replies, 99):.1f} ms | "
        f"{mine.p(mine.replies, 50):.1f} / {mine.p(mine.replies, 99):.1f} ms | "
        f"{reply:.2f} ({'met' if reply <= REPLY_TARGET else 'missed'}) | "
        f"{bare.p(bare.acks, 99):.1f} ms | {mine.p(mine.acks, 99):.1f} ms | "
        f"{ack:.2f} ({'met' if ack <= ACK_TARGET else 'missed'}) |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer events per level")
    parser.add_argument("--postgres", metavar="URL", help="run the bot on this PostgreSQL server")
    args = parser.parse_args()
    print(machine("Slack pipeline", postgres=bool(args.postgres)))
    print(
        "| in flight | events | bare throughput | ours | bare reply p50 / p99 | ours reply "
        "p50 / p99 | reply p50 ratio (≤1.5) | bare ack p99 | ours ack p99 | "
        "ack p99 ratio (≤1.2) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    with database(args.postgres) as url:
        asyncio.run(bench(url, quick=args.quick))


if __name__ == "__main__":
    main()
