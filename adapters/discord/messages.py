"""Mentions, thread follow-ups and DMs: Discord messages become the chat layer's messages.

Which messages are answered is Discord's part: a mention in a channel (answered in a thread
started on it), any message in a thread the bot answers, and DMs; never the bot itself,
other bots, system messages or edits. The answering itself (claimed once, streamed, charged
once, answered again after a crash) is the chat layer's. Only the answer threads used last
stay in discord.py's cache (`AnswerThreads`); one dropped from it is read again when a
message in it is to be answered.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

import discord

from adapters.discord.answer_threads import AnswerThreads, drop_idle_buckets
from adapters.discord.directory import DiscordDirectory
from adapters.discord.dms import choose_guild
from adapters.discord.render import NO_PINGS, markdown
from adapters.discord.surface import Channel, DiscordSurface, ProposalView, Where
from core.chat import ChatLayer, Directory, Incoming, Surface
from core.chat.direct import none_linked
from core.workspaces import Platform

logger = logging.getLogger(__name__)

THREAD_NAME_LIMIT = 90  # Discord allows 100 characters
ANSWERED_TYPES = frozenset({discord.MessageType.default, discord.MessageType.reply})

ViewFor = Callable[[str], ProposalView]  # a guild id -> its proposals' buttons
FeedbackFor = Callable[[str, str], discord.ui.View | None]  # (guild, message key) -> 👍/👎


def thread_name(text: str) -> str:
    line = " ".join(text.split()) or "SetGet AI"
    return line if len(line) <= THREAD_NAME_LIMIT else line[: THREAD_NAME_LIMIT - 1] + "…"


class DiscordConversations:
    def __init__(
        self,
        *,
        layer: ChatLayer,
        client: discord.Client,
        proposal_view: ViewFor,
        stream_interval: float = 1.0,
        feedback_view: FeedbackFor | None = None,
        threads: AnswerThreads | None = None,
    ) -> None:
        self._feedback = feedback_view
        self.threads = AnswerThreads(client) if threads is None else threads
        self._layer = layer
        self._client = client
        self._view = proposal_view
        self._interval = stream_interval

    async def on_message(self, message: discord.Message) -> None:
        me = self._client.user
        if message.author.bot or me is None or message.author.id == me.id:
            return
        if message.type not in ANSWERED_TYPES:
            return
        if message.guild is None:
            await self._on_dm(message)
            return
        mentioned = me in message.mentions
        channel = message.channel
        guild = str(message.guild.id)
        if isinstance(channel, discord.TextChannel):
            if mentioned:
                await self._answer(message, guild=guild, parent=channel.id, place=None)
            return
        # a thread, or (uncached: a guild's text channels always are) a thread dropped from
        # discord.py's cache, read again only when it is to be answered
        if not isinstance(channel, discord.Thread | discord.PartialMessageable):
            return
        answering = self._layer.answering
        if not mentioned and not await answering.continues_thread(
            Platform.DISCORD, guild, str(channel.id)
        ):
            return
        thread = await self.threads.answering_in(channel)
        if thread is not None:
            await self._answer(message, guild=guild, parent=thread.parent_id, place=thread)

    async def _answer(
        self, message: discord.Message, *, guild: str, parent: int | None, place: Channel | None
    ) -> None:
        """Answer in `place`, or in a thread started on the message (its id is the message's)."""
        thread = place.id if place is not None else message.id
        chat = Incoming(
            team=guild,
            channel=str(parent or message.channel.id),
            user=str(message.author.id),
            text=self._without_mention(message.content),
            key=f"{guild}:{message.channel.id}:{message.id}",
            thread_key=str(thread),
            place=str(thread),
        )

        async def open_thread() -> Channel:
            return await self._start_thread(message, name=thread_name(chat.text))

        seen = message.author if isinstance(message.author, discord.Member) else None
        surface = self._surface(place or open_thread, team=guild, key=chat.key)
        try:
            await self._layer.answering.answer(
                chat, surface, DiscordDirectory(self._client, seen=seen)
            )
        finally:
            # The thread's routes are idle until its next message: past 256 routes discord.py
            # scans all of them for expired ones each time it meets a new route.
            drop_idle_buckets(self._client.http, thread)

    async def _on_dm(self, message: discord.Message) -> None:
        channel = message.channel
        if not isinstance(channel, discord.DMChannel):
            return
        chosen = await choose_guild(self._client, self._layer, message.author)
        if chosen is None:
            reply = none_linked(Platform.DISCORD)
            await channel.send(markdown(reply), allowed_mentions=NO_PINGS)
            return
        choice, guild = chosen
        note = choice.note(guild.name)
        if note is not None:
            await channel.send(markdown(note), allowed_mentions=NO_PINGS)
        chat = Incoming(
            team=choice.team,
            channel=str(channel.id),
            user=str(message.author.id),
            text=self._without_mention(message.content),
            key=f"dm:{channel.id}:{message.id}",
            thread_key=f"dm:{channel.id}",
            place=str(channel.id),
        )
        surface = self._surface(channel, team=choice.team, key=chat.key)
        await self._layer.answering.answer(chat, surface, DiscordDirectory(self._client))

    async def answer_unfinished(self, *, limit: int = 20) -> int:
        """Answer again the messages whose claimant crashed (the recovery job)."""

        async def reach(message: Incoming) -> tuple[Surface, Directory] | None:
            where = await self._place(message)
            if where is None:
                return None  # the thread or channel is gone, or the bot left the guild
            surface = self._surface(where, team=message.team, key=message.key)
            return surface, DiscordDirectory(self._client)

        answering = self._layer.answering
        return await answering.answer_unfinished(Platform.DISCORD, reach, limit=limit)

    async def _place(self, message: Incoming) -> Where | None:
        """Where a claimed message is answered: its thread or DM, or (when the crash came
        before the thread was started) a thread to start on the message."""
        client = self._client
        if message.place is None:
            return None
        try:
            place = client.get_channel(int(message.place)) or await client.fetch_channel(
                int(message.place)
            )
        except discord.NotFound:
            place = None
        except discord.Forbidden:
            return None
        if isinstance(place, discord.Thread | discord.DMChannel):
            return place
        parent = client.get_channel(int(message.channel))
        if not isinstance(parent, discord.TextChannel):
            return None

        async def open_thread() -> Channel:
            started = await parent.fetch_message(int(message.place or 0))
            return await self._start_thread(started, name=thread_name(message.text))

        return open_thread

    async def _start_thread(self, message: discord.Message, *, name: str) -> discord.Thread:
        thread = await start_thread(message, name=name)
        self.threads.used(thread)
        return thread

    def _surface(self, where: Where, *, team: str, key: str) -> DiscordSurface:
        feedback = self._feedback
        return DiscordSurface(
            channel=where,
            client=self._client,
            proposal_view=self._view(team),
            edit_interval=self._interval,
            feedback_view=None if feedback is None else lambda: feedback(team, key),
        )

    def _without_mention(self, text: str) -> str:
        me = self._client.user
        if me is None:
            return text.strip()
        return re.sub(rf"<@!?{me.id}>", "", text).strip()


async def start_thread(message: discord.Message, *, name: str) -> discord.Thread:
    """The thread on `message`; the one already there when an earlier attempt started it."""
    try:
        return await message.create_thread(name=name)
    except discord.HTTPException as exc:
        if exc.code != 160004:  # "a thread has already been created for this message"
            raise
    found = message.guild.get_thread(message.id) if message.guild else None
    if found is not None:
        return found
    fetched = await message._state._get_client().fetch_channel(message.id)
    if not isinstance(fetched, discord.Thread):
        raise RuntimeError(f"channel {message.id} is not a thread")
    return fetched
