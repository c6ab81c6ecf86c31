"""Mentions, thread follow-ups and DMs: Slack events become the chat layer's messages.

Which events are answered is Slack's part: a mention (in a channel or a thread), a DM, and a
reply in a thread the bot already answers; never the bot itself, other bots or edits. The
answering itself (claimed once, streamed, charged once, answered again after a crash) is the
chat layer's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.directory import SlackDirectory
from adapters.slack.incoming import Incoming, from_a_bot, incoming, not_a_question
from adapters.slack.surface import SlackSurface
from adapters.slack.text_streaming import StreamingMemory
from core.chat import ChatLayer, Directory, Surface
from core.chat import Incoming as ChatIncoming
from core.workspaces import Platform

ClientFor = Callable[[str], Awaitable[AsyncWebClient | None]]  # a Slack team's Web API client


class SlackConversations:
    def __init__(
        self,
        *,
        layer: ChatLayer,
        stream_interval: float = 1.0,
        memory: StreamingMemory | None = None,
    ) -> None:
        """`memory`: what Slack refused lately (native streaming per team, the status per
        thread), kept for the process; without one, answers stream by edits."""
        self._layer = layer
        self._interval = stream_interval
        self._memory = memory

    async def on_mention(
        self, event: dict[str, Any], context: dict[str, Any], client: AsyncWebClient
    ) -> None:
        if from_a_bot(event, context):
            return
        root = event.get("thread_ts") or event["ts"]
        await self.answer(
            incoming(event, context, thread_ts=root, key=f"{event['channel']}:{root}"), client
        )

    async def on_message(
        self, event: dict[str, Any], context: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """DMs, and replies in a thread the bot already answers (no mention needed)."""
        if not_a_question(event, context):
            return
        channel, thread = event["channel"], event.get("thread_ts")
        if event.get("channel_type") == "im":
            key = f"{channel}:{thread}" if thread else channel
            await self.answer(incoming(event, context, thread_ts=thread, key=key), client)
            return
        bot = context.get("bot_user_id")
        if not thread or (bot and f"<@{bot}" in event.get("text", "")):
            return  # a channel message outside a thread, or a mention (app_mention has it)
        message = incoming(event, context, thread_ts=thread, key=f"{channel}:{thread}")
        answering = self._layer.answering
        if await answering.continues_thread(Platform.SLACK, message.team, message.thread_key):
            await self.answer(message, client)

    async def answer(self, message: Incoming, client: AsyncWebClient) -> None:
        chat = message.to_chat()
        surface, directory = self._reach(chat, client)
        await self._layer.answering.answer(chat, surface, directory)

    async def answer_unfinished(self, client_for: ClientFor, *, limit: int = 20) -> int:
        """Answer again the messages whose claimant crashed (the recovery job)."""

        async def reach(message: ChatIncoming) -> tuple[Surface, Directory] | None:
            client = await client_for(message.team)
            return None if client is None else self._reach(message, client)

        return await self._layer.answering.answer_unfinished(Platform.SLACK, reach, limit=limit)

    def _reach(self, message: ChatIncoming, client: AsyncWebClient) -> tuple[Surface, Directory]:
        surface = SlackSurface(
            client=client,
            channel=message.channel,
            thread_ts=message.place,
            edit_interval=self._interval,
            team=message.team,
            user=message.user,
            memory=self._memory,
            feedback=message.key,
        )
        return surface, SlackDirectory(client)
