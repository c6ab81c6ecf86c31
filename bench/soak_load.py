"""The soak's members: conversations of a few turns in each workspace's Slack team and Discord
guild, sent until the deadline, each turn waiting for its outcome; Slack events sometimes
retried to the other replica with Slack's retry headers."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections import Counter
from dataclasses import dataclass, field

import aiohttp

from bench.soak_outcomes import DiscordReplies, Outcomes
from bench.soak_world import SECRET, Tenant, World
from tests.adapters.slack.signing import event_body, mention_event, signed_headers

QUESTIONS = (
    "How many open items are in the WEB project?",
    "What is in progress this sprint?",
    "Summarize what changed this week.",
)
REPLY_WAIT = 60.0  # a turn with no outcome after this long is lost
CHANNEL = "C0SOAK"


@dataclass(frozen=True)
class Pace:
    """How members behave: turns per conversation, thinking time between turns, the share
    of Slack events Slack delivers again to the other replica."""

    turns: tuple[int, int] = (2, 5)
    think: tuple[float, float] = (4.0, 16.0)
    flood: tuple[float, float] = (0.2, 1.0)  # the thinking time in the flooded workspaces
    retry_share: float = 0.05


@dataclass
class Sent:
    """What the members sent and what they saw, for the report and the checks."""

    turns: Counter[str] = field(default_factory=Counter)  # conversation key -> turns sent
    workspace_of: dict[str, str] = field(default_factory=dict)  # conversation key -> name
    platform_of: dict[str, str] = field(default_factory=dict)
    latencies: dict[str, list[float]] = field(default_factory=dict)  # outcome kind -> seconds
    lost: list[str] = field(default_factory=list)
    retries: int = 0
    bad_acks: Counter[int] = field(default_factory=Counter)  # HTTP status -> count
    undelivered: int = 0  # Discord events no shard (or two) received

    def saw(self, kind: str, seconds: float) -> None:
        self.latencies.setdefault(kind, []).append(seconds)


class Load:
    def __init__(
        self, world: World, outcomes: Outcomes, discord: DiscordReplies, *, pace: Pace, seed: int
    ) -> None:
        self._world, self._outcomes, self._discord = world, outcomes, discord
        self._pace = pace
        self._rng = random.Random(seed)
        self._serial = itertools.count(1)
        self.sent = Sent()
        self._retries: set[asyncio.Task[None]] = set()

    async def run(self, seconds: float) -> None:
        """Every member's conversations until `seconds` have passed; their last turns'
        outcomes (and Slack's retries) are awaited."""
        deadline = time.perf_counter() + seconds
        connector = aiohttp.TCPConnector(limit=500)
        async with aiohttp.ClientSession(connector=connector) as http:
            members = []
            for tenant in self._world.tenants:
                members += [self._slack(http, tenant, u, deadline) for u in tenant.slack_users]
                members += [self._guild(tenant, u, deadline) for u in tenant.discord_users]
            await asyncio.gather(*members)
            await asyncio.gather(*self._retries)

    # -- Slack ---------------------------------------------------------------------------------

    def _ts(self) -> str:
        return f"1800000000.{next(self._serial):06d}"

    async def _slack(
        self, http: aiohttp.ClientSession, tenant: Tenant, user: str, deadline: float
    ) -> None:
        assert tenant.slack_team is not None
        await asyncio.sleep(self._rng.uniform(0, self._pace.think[1] / 2))  # not all at once
        while time.perf_counter() < deadline:
            root = self._ts()
            self._begin(root, tenant, "slack")
            for turn in range(self._rng.randint(*self._pace.turns)):
                if time.perf_counter() >= deadline:
                    break
                ts = root if turn == 0 else self._ts()
                event = mention_event(
                    self._rng.choice(QUESTIONS),
                    user=user,
                    channel=CHANNEL,
                    ts=ts,
                    thread_ts=None if turn == 0 else root,
                )
                event["team"] = tenant.slack_team
                body = event_body(event, team_id=tenant.slack_team, event_id=f"Ev{ts}")
                if not await self._turn(tenant, root, self._post_event(http, body), deadline):
                    return

    async def _post_event(self, http: aiohttp.ClientSession, body: str) -> None:
        first, other = self._rng.sample(self._world.processes.slack_urls, 2)
        await self._post(http, first, body, {})
        if self._rng.random() < self._pace.retry_share:
            self.sent.retries += 1
            retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
            task = asyncio.create_task(self._post(http, other, body, retry, after=0.3))
            self._retries.add(task)

    async def _post(
        self,
        http: aiohttp.ClientSession,
        url: str,
        body: str,
        extra: dict[str, str],
        *,
        after: float = 0.0,
    ) -> None:
        if after:
            await asyncio.sleep(self._rng.uniform(0, after))
        headers = {**signed_headers(body, secret=SECRET), **extra}
        try:
            async with http.post(f"{url}/slack/events", data=body, headers=headers) as resp:
                await resp.read()
                if resp.status != 200:
                    self.sent.bad_acks[resp.status] += 1
        except aiohttp.ClientError:
            self.sent.bad_acks[0] += 1  # no HTTP answer at all (0 in the report)

    # -- Discord -------------------------------------------------------------------------------

    async def _guild(self, tenant: Tenant, name: str, deadline: float) -> None:
        fake, guild = self._world.discord, tenant.guild
        assert guild is not None
        member = fake.user(name)
        await asyncio.sleep(self._rng.uniform(0, self._pace.think[1] / 2))
        while time.perf_counter() < deadline:
            mention = fake.guild_message(
                self._rng.choice(QUESTIONS),
                author=member.id,
                channel=guild.channel("general"),
                mention_bot=True,
            )
            root = str(mention["id"])
            self._begin(root, tenant, "discord")
            self._discord.current[member.id] = root
            for turn in range(self._rng.randint(*self._pace.turns)):
                if time.perf_counter() >= deadline:
                    break
                if turn == 0:
                    event = mention
                elif root in fake.world.channels:  # the bot started the thread
                    # a mention: a thread whose first turn was refused is not the bot's yet
                    text = f"<@{fake.bot.id}> {self._rng.choice(QUESTIONS)}"
                    event = fake.thread_message(root, text, author=member.id)
                else:
                    break
                if not await self._turn(tenant, root, self._dispatch(event), deadline):
                    return

    async def _dispatch(self, event: dict[str, object]) -> None:
        if await self._world.discord.dispatch("MESSAGE_CREATE", dict(event)) != 1:
            self.sent.undelivered += 1

    # -- both ----------------------------------------------------------------------------------

    def _begin(self, key: str, tenant: Tenant, platform: str) -> None:
        self.sent.workspace_of[key] = tenant.name
        self.sent.platform_of[key] = platform

    async def _turn(self, tenant: Tenant, key: str, send: object, deadline: float) -> bool:
        """Send one turn of conversation `key`, wait for its outcome, then think (until the
        deadline at most); False if the outcome never came."""
        assert asyncio.iscoroutine(send)
        self.sent.turns[key] += 1
        start = time.perf_counter()
        await send
        outcome = await self._outcomes.wait(key, self.sent.turns[key], timeout=REPLY_WAIT)
        if outcome is None:
            self.sent.lost.append(key)
            return False
        self.sent.saw(outcome.kind, outcome.at - start)
        think = self._rng.uniform(*(self._pace.flood if tenant.flooded else self._pace.think))
        await asyncio.sleep(max(0.0, min(think, deadline - time.perf_counter())))
        return True
