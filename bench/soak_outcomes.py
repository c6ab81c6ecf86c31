"""What the soak's members saw: each reply the fakes received, turned into one outcome of a
conversation (answered, or refused with a reason), found by scanning the fakes' call logs."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from tests.adapters.discord.fake_discord import FakeDiscord
from tests.adapters.slack.fake_slack import FakeSlack

ANSWERED = "answered"
DISCORD_FOOTER = "\n-# "  # the usage footer's line ends an answer on Discord
REASONS = (  # words of a refusal -> its reason
    ("out of AI credits", "out_of_credits"),
    ("AI requests a minute", "rate_limited"),
    ("answers in progress hold them", "credits_held"),
    ("monthly cap", "member_cap"),
)


def reason_of(text: str) -> str:
    for words, reason in REASONS:
        if words in text:
            return reason
    return "other: " + text[:80]


def streaming(text: str, answer: str) -> bool:
    """Is `text` the placeholder or a part of the answer while it streams (not an outcome)?"""
    return "Thinking" in text or answer.startswith(text.strip())


@dataclass(frozen=True)
class Outcome:
    kind: str  # ANSWERED or a refusal reason
    at: float  # perf_counter when the fake received it


@dataclass
class Outcomes:
    """Outcomes by conversation key (the thread a conversation's replies go to)."""

    by_key: dict[str, list[Outcome]] = field(default_factory=lambda: defaultdict(list))
    alerts: Counter[str] = field(default_factory=Counter)  # platform -> usage alerts posted
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def add(self, key: str, kind: str, at: float) -> None:
        self.by_key[key].append(Outcome(kind, at))
        async with self._changed:
            self._changed.notify_all()

    async def wait(self, key: str, count: int, *, timeout: float) -> Outcome | None:  # noqa: ASYNC109
        """The `count`th outcome of `key`, once it is there; None after `timeout` seconds."""
        deadline = time.perf_counter() + timeout
        async with self._changed:
            while len(self.by_key[key]) < count:
                left = deadline - time.perf_counter()
                if left <= 0:
                    return None
                try:
                    await asyncio.wait_for(self._changed.wait(), left)
                except TimeoutError:
                    return None
        return self.by_key[key][count - 1]


class SlackReplies:
    """Outcomes from the fake Slack: an answer is the `chat.update` with its usage footer, a
    refusal the ephemeral notice (or the placeholder edited into a warning)."""

    def __init__(self, slack: FakeSlack, outcomes: Outcomes, *, answer: str, alerts: str) -> None:
        self._slack, self._outcomes, self._answer = slack, outcomes, answer
        self.alerts = alerts  # the alerts channel
        self._seen = 0

    async def scan(self) -> None:
        calls = self._slack.calls
        end = len(calls)
        for call in calls[self._seen : end]:
            if call.method == "chat.update":
                root = self._slack.thread_of.get(str(call.args.get("ts")))
                text = str(call.args.get("text", ""))
                if root is None:
                    continue
                if "credit" in str(call.args.get("blocks", "")):
                    await self._outcomes.add(root, ANSWERED, call.at)
                elif not streaming(text, self._answer):
                    await self._outcomes.add(root, reason_of(text), call.at)
            elif call.method == "chat.postMessage" and call.args.get("channel") == self.alerts:
                self._outcomes.alerts["slack"] += 1
            elif call.method == "chat.postEphemeral" and call.args.get("thread_ts"):
                text = str(call.args.get("text", ""))
                await self._outcomes.add(str(call.args["thread_ts"]), reason_of(text), call.at)
        self._seen = end


class DiscordReplies:
    """Outcomes from the fake Discord: an answer is the edit with the usage footer in the
    conversation's thread; a refusal is the DM to the member (or a warning in the thread).
    `current` maps a member's id to the thread of the conversation they are in."""

    def __init__(self, discord: FakeDiscord, outcomes: Outcomes, *, answer: str) -> None:
        self._discord, self._outcomes, self._answer = discord, outcomes, answer
        self.current: dict[str, str] = {}
        self._seen = 0

    async def scan(self) -> None:
        calls = self._discord.calls
        end = len(calls)
        for call in calls[self._seen : end]:
            if call.name in ("edit_message", "send_message"):
                body: dict[str, Any] = call.json if isinstance(call.json, dict) else {}
                await self._message(call.name, call.params["channel_id"], body, call.at)
        self._seen = end

    async def _message(self, name: str, channel_id: str, body: dict[str, Any], at: float) -> None:
        text = str(body.get("content") or "")
        channel = self._discord.world.channels.get(channel_id)
        recipient = getattr(channel, "recipient", None)
        if recipient is not None:  # a DM: the notice for the member's conversation
            key = self.current.get(recipient.id)
            if key is not None:
                await self._outcomes.add(key, reason_of(text), at)
            return
        if channel is not None and channel.name == "alerts":
            self._outcomes.alerts["discord"] += 1
        elif DISCORD_FOOTER in text:
            await self._outcomes.add(channel_id, ANSWERED, at)
        elif name == "edit_message" and not streaming(text, self._answer):
            await self._outcomes.add(channel_id, reason_of(text), at)


async def watch(scanners: list[SlackReplies | DiscordReplies], stop: asyncio.Event) -> None:
    """Scan the fakes' calls every few milliseconds until `stop`, then once more."""
    while not stop.is_set():
        for scanner in scanners:
            await scanner.scan()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.005)
    for scanner in scanners:
        await scanner.scan()
