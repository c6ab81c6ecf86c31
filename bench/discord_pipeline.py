"""Benchmark the Discord pipeline: mentions sent over the gateway of a local fake Discord to
`setget-bot serve discord` (a real process on SQLite, or PostgreSQL with --postgres) with a
zero-latency local LLM, on the same machine in the same run as two other bots, each bot with a
fake Discord of its own:

- the bare bot (`bench.bare_discord`): discord.py answering each mention with one message;
- the peer (`bench.peer_discord`): a discord.py bot shaped like llmcord (typing, openai SDK
  streaming from the same fake LLM, a reply to the mention edited as the text streams, a
  final edit), no database, no metering — what a user would run instead.

Reply latency: from dispatching the MESSAGE_CREATE to the reply's arrival at the fake: ours,
the final edit of the answer in its thread (the one with the usage footer, after the thread,
the placeholder and the stream's edits at SETGET_DISCORD_STREAM_INTERVAL); the peer, the edit
(or reply) holding the whole answer; the bare bot, its one reply. CPU ms per answer and RSS
as in `bench.slack_pipeline` (/proc/PID/stat, /proc/PID/status).

Targets: reply p50 ≤ 1.5x the bare bot's at every level; against the peer (issue 13):
throughput ≥ 0.6x, reply p50 at 1 in flight ≤ 1.5x, idle RSS ≤ 1.5x.

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
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Literal

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
    wait_for_line,
)
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.adapters.llm.fake_servers import FakeOpenAI, Reply, Usage, chunks

LEVELS = (1, 50, 200)
REPLY_TARGET = 1.5
THROUGHPUT_TARGET = 0.6  # of the peer's
WAIT_SECONDS = 300.0  # a reply later than this is reported as lost
ANSWER = "WEB has 14 open items: 9 in progress, 5 to do."
QUESTION = "How many open items are in the WEB project?"
Kind = Literal["ours", "bare", "peer"]
FOOTER = "\n-# "  # the usage footer's line starts the final edit's last line


class Replies:
    """When the reply to each mention reached the fake (polled: the fake records calls)."""

    def __init__(self, fake: FakeDiscord, *, kind: Kind) -> None:
        self._fake = fake
        self._kind = kind
        self._seen = 0
        self.done: dict[str, float] = {}  # mention id -> arrival

    def scan(self) -> None:
        calls = self._fake.calls
        for call in calls[self._seen :]:
            body = call.json if isinstance(call.json, dict) else {}
            if self._kind == "ours":
                if call.name == "edit_message" and FOOTER in body.get("content", ""):
                    # the thread started on a message has that message's id
                    self.done.setdefault(call.params["channel_id"], call.at)
            elif self._kind == "peer":
                if call.name in ("edit_message", "send_message") and whole(body):
                    self._peer_reply(call.params.get("message_id"), body, call.at)
            elif call.name == "send_message":
                reference = body.get("message_reference") or {}
                if reference.get("message_id"):
                    self.done.setdefault(str(reference["message_id"]), call.at)
        self._seen = len(calls)

    def _peer_reply(self, edited: str | None, body: dict[str, Any], at: float) -> None:
        """The peer's whole answer: an edit of its reply (found in the fake's messages), or
        the reply itself when the stream ended in its first chunk."""
        reference = body.get("message_reference") or {}
        if edited is not None:
            reference = self._fake.world.messages.get(edited, {}).get("message_reference") or {}
        if reference.get("message_id"):
            self.done.setdefault(str(reference["message_id"]), at)

    async def wait(self, mention: str) -> None:
        deadline = time.perf_counter() + WAIT_SECONDS
        while time.perf_counter() < deadline:
            self.scan()
            if mention in self.done:
                return
            await asyncio.sleep(0.001)
        raise Lost(f"{self._kind}: the reply to {mention} never arrived in {WAIT_SECONDS} s")


def whole(body: dict[str, Any]) -> bool:
    """Does this message body hold the peer's whole answer (its embed, streaming done)?"""
    embeds = body.get("embeds") or [{}]
    return bool(embeds[0].get("description") == ANSWER)


async def drive(fake: FakeDiscord, *, kind: Kind, level: int, events: int, name: str) -> Run:
    replies = Replies(fake, kind=kind)
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


@dataclass(frozen=True)
class Bot:
    kind: Kind
    fake: FakeDiscord
    pid: int


READY: dict[Kind, tuple[list[str], str]] = {  # how each bot starts, and its ready line
    "ours": (["-m", "bot.cli", "serve", "discord"], "SetGet AI is answering Discord"),
    "bare": (["-m", "bench.bare_discord"], "bare bot ready"),
    "peer": (["-m", "bench.peer_discord"], "peer bot ready"),
}


@asynccontextmanager
async def bots(database_url: str, workdir: Path, *, interval: float) -> AsyncIterator[list[Bot]]:
    """The three bots connected, each to its own fake: [ours, bare, peer]."""
    fallback = Reply(text=chunks(ANSWER), usage=Usage(900, 12))
    async with AsyncExitStack() as stack:
        llm = await stack.enter_async_context(FakeOpenAI(fallback=fallback))
        fakes: dict[Kind, FakeDiscord] = {}
        for kind in READY:
            fakes[kind] = await stack.enter_async_context(FakeDiscord())
            fakes[kind].add_guild("Bench", owner=fakes[kind].add_user("alice"))
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
        cli(base, "workspace", "link", "bench", "--discord-guild", fakes["ours"].guild.id)
        logs = {kind: workdir / f"{kind}.log" for kind in READY}
        result = []
        for kind, (args, ready) in READY.items():
            env = bot_env(fakes[kind], base)
            proc = stack.enter_context(process([sys.executable, *args], env, logs[kind]))
            await wait_for_line(ready, proc, logs[kind])
            result.append(Bot(kind, fakes[kind], proc.pid))
        try:
            yield result
        except Lost:
            for kind, log in logs.items():
                print(f"{kind}:\n{tail(log)}", file=sys.stderr)
            raise


async def bench(database_url: str, *, quick: bool, interval: float, answers: int) -> None:
    rows: list[Level] = []
    with tempfile.TemporaryDirectory() as tmp:
        async with bots(database_url, Path(tmp), interval=interval) as running:
            ours, bare, peer = running
            idle: dict[str, float] = {bot.kind: rss_mib(bot.pid) for bot in running}
            for level in LEVELS:
                events = max(40 if quick else 200, 2 * level)
                warm = min(events, 20)
                for bot in (bare, peer, ours):
                    await drive(
                        bot.fake, kind=bot.kind, level=min(level, warm), events=warm, name="warm"
                    )
                runs = {
                    bot.kind: await measured(
                        bot.pid,
                        drive(bot.fake, kind=bot.kind, level=level, events=events, name=bot.kind),
                    )
                    for bot in (bare, peer, ours)
                }
                rows.append(Level(runs["bare"], runs["peer"], runs["ours"]))
                print(f"  {level} in flight: done", file=sys.stderr, flush=True)
            after: dict[str, float] = {bot.kind: rss_mib(bot.pid) for bot in running}
            done = sum(len(row.ours.replies) for row in rows) + len(LEVELS) * 20
            growth = [
                await grow(
                    bot.kind,
                    bot.pid,
                    done,
                    growth_marks(answers),
                    partial(drive, bot.fake, kind=bot.kind, level=GROWTH_IN_FLIGHT, name="grow"),
                )
                for bot in (peer, ours)
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
    "| in flight | mentions | bare throughput | ours | bare reply p50 / p99 | "
    "ours reply p50 / p99 | reply p50 ratio (≤1.5) |\n|---|---|---|---|---|---|---|"
)
PEER_HEADER = (
    "| in flight | mentions | peer throughput | ours | throughput ratio (≥0.6) | peer reply "
    "p50 / p99 | ours reply p50 / p99 | reply p50 ratio (≤1.5 at 1) | peer CPU / answer | "
    "ours CPU / answer |\n|---|---|---|---|---|---|---|---|---|---|"
)


def bare_line(bare: Run, mine: Run) -> str:
    ratio = mine.p(mine.replies, 50) / bare.p(bare.replies, 50)
    return (
        f"| {mine.level} | {mine.events} | {bare.throughput:.0f}/s | {mine.throughput:.0f}/s | "
        f"{bare.p(bare.replies, 50):.1f} / {bare.p(bare.replies, 99):.1f} ms | "
        f"{mine.p(mine.replies, 50):.1f} / {mine.p(mine.replies, 99):.1f} ms | "
        f"{ratio:.2f} ({verdict(ratio <= REPLY_TARGET)}) |"
    )


def peer_line(peer: Run, mine: Run) -> str:
    throughput = mine.throughput / peer.throughput
    reply = mine.p(mine.replies, 50) / peer.p(peer.replies, 50)
    reply_verdict = f" ({verdict(reply <= REPLY_TARGET)})" if mine.level == 1 else ""
    return (
        f"| {mine.level} | {mine.events} | {peer.throughput:.0f}/s | {mine.throughput:.0f}/s | "
        f"{throughput:.2f} ({verdict(throughput >= THROUGHPUT_TARGET)}) | "
        f"{peer.p(peer.replies, 50):.1f} / {peer.p(peer.replies, 99):.1f} ms | "
        f"{mine.p(mine.replies, 50):.1f} / {mine.p(mine.replies, 99):.1f} ms | "
        f"{reply:.2f}{reply_verdict} | {peer.cpu_ms:.1f} ms | {mine.cpu_ms:.1f} ms |"
    )


def main(argv: list[str] | None = None) -> None:
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
    parser.add_argument(
        "--interval", type=float, default=1.0, help="seconds between a streamed answer's edits"
    )
    args = parser.parse_args(argv)
    if args.answers is None:
        args.answers = 1000 if args.quick else 10_000
    print(machine("Discord pipeline", postgres=bool(args.postgres)))
    with database(args.postgres) as url:
        try:
            asyncio.run(bench(url, quick=args.quick, interval=args.interval, answers=args.answers))
        except Lost as lost:
            raise SystemExit(str(lost)) from None


if __name__ == "__main__":
    main()
