"""The world of a soak run: the fakes (Slack Web API, Discord gateway and REST, a slow LLM),
the workspaces with their Slack teams and Discord guilds, and the four bot processes."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from adapters.storage.channels import SqlChannelSettings
from bench.pipeline import cli, process, tail, wait_for_line
from bench.slack_pipeline import _free_port, wait_healthy
from bot.app import open_app
from bot.settings import Settings
from core.plans import Plan
from core.workspaces import Platform
from tests.adapters.discord.discord_models import FakeGuild
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.adapters.llm.fake_servers import FakeOpenAI, Reply, Usage, chunks
from tests.adapters.slack.fake_slack import FakeSlack

SECRET = "soak-signing-secret"
TOKEN = "xoxb-soak"
ANSWER = "WEB has 14 open items: 9 in progress, 5 to do."
PLENTY = 10_000_000  # the allocation of a workspace that never runs out
FLOOD_LIMIT = 20  # requests a minute of the flooded workspaces' plan (pro)
SHARDS = 2
SLACK_ALERTS = "C0ALERTS"  # every Slack team's alerts channel


class SlowOpenAI(FakeOpenAI):
    """The fake OpenAI-compatible server, answering each request after `latency` seconds."""

    def __init__(self, *, latency: float, fallback: Reply) -> None:
        super().__init__(fallback=fallback)
        self.latency = latency

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(self.latency)
        return await super()._handle(request)


@dataclass(frozen=True)
class Tenant:
    """One SetGet workspace of the run and where its members talk."""

    name: str
    allocation: int
    plan: Plan
    slack_team: str | None = None
    guild: FakeGuild | None = None
    slack_users: tuple[str, ...] = ()
    discord_users: tuple[str, ...] = ()

    @property
    def drained(self) -> bool:
        return self.allocation < PLENTY and self.plan is Plan.ENTERPRISE

    @property
    def flooded(self) -> bool:
        return self.plan is Plan.PRO


@dataclass(frozen=True)
class Shape:
    """How big a run is."""

    workspaces: int = 50
    conversations: int = 3  # concurrent conversations per platform link of a workspace
    drained_every: int = 7  # every Nth workspace gets a small allocation (both shards get some)
    drained_allocation: int = 12
    flooded: int = 2  # workspaces on a plan with a low rate limit
    both_every: int = 10  # every Nth workspace is linked to Slack and to Discord


@dataclass
class Processes:
    """The bot processes: name -> pid, and their logs."""

    pids: dict[str, int] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)
    slack_urls: list[str] = field(default_factory=list)

    def tails(self) -> str:
        return "\n".join(f"--- {name}:\n{tail(log)}" for name, log in self.logs.items())


@dataclass(frozen=True)
class World:
    slack: FakeSlack
    discord: FakeDiscord
    llm: SlowOpenAI
    tenants: list[Tenant]
    processes: Processes
    env: dict[str, str]


def tenants(shape: Shape, discord: FakeDiscord, slack: FakeSlack) -> list[Tenant]:
    """The workspaces: the first half on Slack, the second on Discord, every `both_every`th
    on both; every `drained_every`th runs out; the `flooded` last ones have a low rate limit."""
    made = []
    for n in range(shape.workspaces):
        both = n % shape.both_every == 0
        drained = n % shape.drained_every == 1
        flooded = n >= shape.workspaces - shape.flooded
        team = f"T{n:04d}" if n < shape.workspaces // 2 or both else None
        guild = _guild(discord, n) if n >= shape.workspaces // 2 or both else None
        count = shape.conversations
        made.append(
            Tenant(
                name=f"soak-{n:02d}",
                allocation=shape.drained_allocation if drained and not flooded else PLENTY,
                plan=Plan.PRO if flooded else Plan.ENTERPRISE,
                slack_team=team,
                guild=guild,
                slack_users=_slack_members(slack, n, count) if team else (),
                discord_users=_discord_members(discord, guild, n, count) if guild else (),
            )
        )
    return made


def _slack_members(slack: FakeSlack, n: int, count: int) -> tuple[str, ...]:
    users = tuple(f"U{n:04d}M{k}" for k in range(count))
    for k, user in enumerate(users):
        slack.add_user(user, f"member{n}-{k}")
    return users


def _guild(discord: FakeDiscord, n: int) -> FakeGuild:
    owner = discord.add_user(f"owner{n}")
    return discord.add_guild(f"Guild {n}", owner=owner, channels=("general", "alerts"))


def _discord_members(discord: FakeDiscord, guild: FakeGuild, n: int, count: int) -> tuple[str, ...]:
    names = tuple(f"d{n}-{k}" for k in range(count))
    for name in names:
        discord.add_member(guild, discord.add_user(name))
    return names


async def create_workspaces(database_url: str, made: list[Tenant]) -> None:
    """Each workspace, its links and their alerts channels (`/setget alerts-channel`), in
    this process: fifty CLI runs would take a minute."""
    settings = Settings.model_validate({"database_url": database_url})
    async with open_app(settings) as app:
        channels = SqlChannelSettings(app.db)
        for tenant in made:
            allocation = tenant.allocation if tenant.plan is Plan.ENTERPRISE else None
            await app.admin.create(tenant.name, plan=tenant.plan, allocation=allocation)
            if tenant.slack_team is not None:
                await app.admin.link(tenant.name, Platform.SLACK, tenant.slack_team)
                await channels.set_alerts_channel(Platform.SLACK, tenant.slack_team, SLACK_ALERTS)
            if tenant.guild is not None:
                await app.admin.link(tenant.name, Platform.DISCORD, tenant.guild.id)
                alerts = tenant.guild.channel("alerts").id
                await channels.set_alerts_channel(Platform.DISCORD, tenant.guild.id, alerts)


def bot_env(
    database_url: str, slack: FakeSlack, discord: FakeDiscord, llm: FakeOpenAI
) -> dict[str, str]:
    return {
        **os.environ,
        "SETGET_DATABASE_URL": database_url,
        "SETGET_DATABASE_POOL_SIZE": "4",
        "SLACK_API_URL": slack.api_url,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_BOT_TOKEN": TOKEN,
        "DISCORD_BOT_TOKEN": discord.token,
        "DISCORD_API_URL": discord.api_base,
        "DISCORD_GATEWAY_URL": discord.gateway_url,
        "SETGET_DISCORD_SHARDS": str(SHARDS),
        "SETGET_LLM_PROVIDER": "openai-compatible",
        "SETGET_LLM_BASE_URL": llm.url,
        "SETGET_LLM_MODEL": "local-200ms",
        "SETGET_RATE_LIMIT_ENTERPRISE": "1000000",
        "SETGET_RATE_LIMIT_PRO": str(FLOOD_LIMIT),
        "SETGET_ALERT_POLL_SECONDS": "2",
    }


async def start_bots(stack: AsyncExitStack, env: dict[str, str], workdir: Path) -> Processes:
    """Two Slack replicas over HTTP and the two shards of the Discord bot, started at once
    and each ready."""
    found, waits = Processes(), []
    serve = ["-m", "bot.cli", "serve", "slack", "--http", "--host", "127.0.0.1", "--port"]
    commands = {f"slack-{n}": [*serve, str(_free_port())] for n in (1, 2)}
    commands |= {f"discord-{n}": ["-m", "bot.cli", "serve", "discord"] for n in range(SHARDS)}
    for name, args in commands.items():
        log = workdir / f"{name}.log"
        shard = {"SETGET_DISCORD_SHARD_IDS": name.split("-")[1]} if "discord" in name else {}
        proc = stack.enter_context(process([sys.executable, *args], env | shard, log))
        found.pids[name], found.logs[name] = proc.pid, log
        if name.startswith("slack"):
            found.slack_urls.append(f"http://127.0.0.1:{args[-1]}")
            waits.append(wait_healthy(found.slack_urls[-1], proc, log))
        else:
            waits.append(wait_for_line("SetGet AI is answering Discord", proc, log))
    await asyncio.gather(*waits)
    return found


@asynccontextmanager
async def world(
    database_url: str, workdir: Path, *, shape: Shape, latency: float
) -> AsyncIterator[World]:
    """Everything of the run, started and ready; stopped in reverse order afterwards."""
    fallback = Reply(text=chunks(ANSWER), usage=Usage(900, 12))
    async with AsyncExitStack() as stack:
        llm = await stack.enter_async_context(SlowOpenAI(latency=latency, fallback=fallback))
        slack = await stack.enter_async_context(FakeSlack())
        discord = await stack.enter_async_context(FakeDiscord())
        discord.gateway.shard_count = SHARDS
        made = tenants(shape, discord, slack)
        env = bot_env(database_url, slack, discord, llm)
        cli(env, "db", "upgrade")
        await create_workspaces(database_url, made)
        processes = await start_bots(stack, env, workdir)
        yield World(slack, discord, llm, made, processes, env)
