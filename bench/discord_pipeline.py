"""Benchmark the Discord pipeline: mentions sent over the gateway of a local fake Discord to
`setget-bot serve discord` (a real process on SQLite, or PostgreSQL with --postgres) with a
zero-latency local LLM, next to a bare discord.py bot that answers each mention with one
message, on the same machine in the same run (each bot has a fake Discord of its own).

Reply latency: from dispatching the MESSAGE_CREATE to the reply's arrival at the fake: ours,
the final edit of the answer in its thread (the one with the usage footer, after the thread,
the placeholder and the stream's edits at SETGET_DISCORD_STREAM_INTERVAL); the bare bot, its
one reply. Target, as for Slack: reply p50 within 1.5x of the bare bot's at every level.

    python -m bench.discord_pipeline [--quick] [--postgres URL] [--interval SECONDS]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from bench.pipeline import Run, cli, database, machine, process, tail, wait_for_line
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.adapters.llm.fake_servers import FakeOpenAI, Reply, Usage, chunks

LEVELS = (1, 50, 200)
REPLY_TARGET = 1.5
WAIT_SECONDS = 300.0  # a reply later than this is reported as lost
ANSWER = "WEB has 14 open items: 9 in progress, 5 to do."
QUESTION = "How many open items are in the WEB project?"
FOOTER = "\n-# "  # the usage footer's line starts the final edit's last line


class Replies:
    """When the reply to each mention reached the fake (polled: the fake records calls)."""

    def __init__(self, fake: FakeDiscord, *, ours: bool) -> None:
        self._fake = fake
        self._ours = ours
        self._seen = 0
        self.done: dict[str, float] = {}  # mention id -> arrival

    def scan(self) -> None:
        calls = self._fake.calls
        for call in calls[self._seen :]:
            body = call.json if isinstance(call.json, dict) else {}
            if self._ours and call.name == "edit_message" and FOOTER in body.get("content", ""):
                # the thread started on a message has that message's id
                self.done.setdefault(call.params["channel_id"], call.at)
            elif not self._ours and call.name == "send_message":
                reference = body.get("message_reference") or {}
                if reference.get("message_id"):
                    self.done.setdefault(str(reference["message_id"]), call.at)
        self._seen = len(calls)

    async def wait(self, mention: str) -> None:
        deadline = time.perf_counter() + WAIT_SECONDS
        while time.perf_counter() < deadline:
            self.scan()
            if mention in self.done:
                return
            await asyncio.sleep(0.001)
        raise SystemExit(f"the reply to message {mention} never arrived in {WAIT_SECONDS} s")


async def drive(fake: FakeDiscord, *, ours: bool, level: int, events: int, name: str) -> Run:
    replies = Replies(fake, ours=ours)
    sent: dict[str, float] = {}
    remaining = events

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            event = fake.guild_message(QUESTION, mention_bot=True)
            sent[event["id"]] = time.perf_counter()
            await fake.dispatch("MESSAGE_CREATE", event)
            await replies.wait(event["id"])

    first = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(min(level, events))))
    latencies = [replies.done[m] - sent[m] for m in sent]
    last = max(replies.done[m] for m in sent)
    return Run(name, level, events, last - first, latencies)


def bot_env(fake: FakeDiscord, base: dict[str, str]) -> dict[str, str]:
    return {
        **base,
        "DISCORD_BOT_TOKEN": fake.token,
        "DISCORD_API_URL": fake.api_base,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
    }


@asynccontextmanager
async def bots(
    database_url: str, workdir: Path, *, interval: float
) -> AsyncIterator[tuple[FakeDiscord, FakeDiscord]]:
    """Both bots connected, each to its own fake: yields (ours, bare)."""
    fallback = Reply(text=chunks(ANSWER), usage=Usage(900, 12))
    async with AsyncExitStack() as stack:
        llm = await stack.enter_async_context(FakeOpenAI(fallback=fallback))
        ours_fake = await stack.enter_async_context(FakeDiscord())
        bare_fake = await stack.enter_async_context(FakeDiscord())
        for fake in (ours_fake, bare_fake):
            fake.add_guild("Bench", owner=fake.add_user("alice"))
        base = {
            **os.environ,
            "SETGET_DATABASE_URL": database_url,
            "SETGET_LLM_PROVIDER": "openai-compatible",
            "SETGET_LLM_BASE_URL": f"{llm.root}/v1",
            "SETGET_LLM_MODEL": "local-zero-latency",
            "SETGET_RATE_LIMIT_ENTERPRISE": "1000000",
            "SETGET_DISCORD_STREAM_INTERVAL": str(interval),
        }
        cli(base, "db", "upgrade")
        plan = ("--plan", "enterprise", "--allocation", "10000000")
        cli(base, "workspace", "create", "bench", *plan)
        cli(base, "workspace", "link", "bench", "--discord-guild", ours_fake.guild.id)
        ours_log, bare_log = workdir / "ours.log", workdir / "bare.log"
        ours_cmd = [sys.executable, "-m", "bot.cli", "serve", "discord"]
        bare_cmd = [sys.executable, "-m", "bench.bare_discord"]
        ours = stack.enter_context(process(ours_cmd, bot_env(ours_fake, base), ours_log))
        bare = stack.enter_context(process(bare_cmd, bot_env(bare_fake, base), bare_log))
        await wait_for_line("SetGet AI is answering Discord", ours, ours_log)
        await wait_for_line("bare bot ready", bare, bare_log)
        try:
            yield ours_fake, bare_fake
        except SystemExit:
            print(f"ours:\n{tail(ours_log)}\nbare:\n{tail(bare_log)}", file=sys.stderr)
            raise


async def bench(database_url: str, *, quick: bool, interval: float) -> list[tuple[Run, Run]]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        async with bots(database_url, Path(tmp), interval=interval) as (ours_fake, bare_fake):
            for level in LEVELS:
                events = max(40 if quick else 200, 2 * level)
                warm = min(events, 20)
                for fake, ours in ((bare_fake, False), (ours_fake, True)):
                    await drive(fake, ours=ours, level=min(level, warm), events=warm, name="warm")
                bare = await drive(bare_fake, ours=False, level=level, events=events, name="bare")
                mine = await drive(ours_fake, ours=True, level=level, events=events, name="ours")
                rows.append((bare, mine))
                print(line(bare, mine), flush=True)
    return rows


def line(bare: Run, mine: Run) -> str:
    ratio = mine.p(mine.replies, 50) / bare.p(bare.replies, 50)
    return (
        f"| {mine.level} | {mine.events} | {bare.throughput:.0f}/s | {mine.throughput:.0f}/s | "
        f"{bare.p(bare.replies, 50):.1f} / {bare.p(bare.replies, 99):.1f} ms | "
        f"{mine.p(mine.replies, 50):.1f} / {mine.p(mine.replies, 99):.1f} ms | "
        f"{ratio:.2f} ({'met' if ratio <= REPLY_TARGET else 'missed'}) |"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer events per level")
    parser.add_argument("--postgres", metavar="URL", help="run the bot on this PostgreSQL server")
    parser.add_argument(
        "--interval", type=float, default=1.0, help="seconds between a streamed answer's edits"
    )
    args = parser.parse_args(argv)
    print(machine("Discord pipeline", postgres=bool(args.postgres)))
    print(
        "| in flight | mentions | bare throughput | ours | bare reply p50 / p99 | "
        "ours reply p50 / p99 | reply p50 ratio (≤1.5) |"
    )
    print("|---|---|---|---|---|---|---|")
    with database(args.postgres) as url:
        asyncio.run(bench(url, quick=args.quick, interval=args.interval))


if __name__ == "__main__":
    main()
