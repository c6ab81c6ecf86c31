"""The answer threads discord.py keeps in memory: the ones the bot used last, a bounded number.

discord.py caches every active thread of a guild until Discord archives it (a day by
default), and the bot starts one per mention it answers: left alone, memory grows with every
answer. The bot drops the threads it used least recently from that cache (on Discord nothing
changes: the thread stays open, as long as before), with the rate-limit state discord.py
keeps for its routes. A message in a dropped thread reaches the
bot on an uncached channel (a `discord.PartialMessageable`); when it is to be answered,
`answering_in` reads the thread once and caches it again.
"""

from __future__ import annotations

import logging
from collections import OrderedDict

import discord
from discord.http import HTTPClient

logger = logging.getLogger(__name__)

# About 4.5 KB each: at most ~1.2 MB for the cached answer threads of the whole process. A
# follow-up in one of the 256 threads answered in last costs no REST call; one in an older
# thread costs one (GET /channels/{id}), after which that thread is cached again. Follow-ups
# come minutes after an answer, while hundreds of newer threads would take a busy bot hours.
ANSWER_THREADS_CACHED = 256


class AnswerThreads:
    """The threads the bot answered in, least recently used first; beyond `limit` the oldest
    leaves discord.py's cache."""

    def __init__(self, client: discord.Client, *, limit: int = ANSWER_THREADS_CACHED) -> None:
        self._client = client
        self._limit = limit
        self._recent: OrderedDict[int, int] = OrderedDict()  # thread id -> guild id

    def used(self, thread: discord.Thread) -> None:
        """`thread` is answered in now: the last to leave the cache."""
        recent = self._recent
        recent[thread.id] = thread.guild.id
        recent.move_to_end(thread.id)
        while len(recent) > self._limit:
            thread_id, guild_id = recent.popitem(last=False)
            guild = self._client.get_guild(guild_id)
            if guild is not None:
                guild._remove_thread(discord.Object(thread_id))
            drop_idle_buckets(self._client.http, thread_id)

    def forget_unused(self, guild: discord.Guild) -> None:
        """Drop from the cache the bot's threads it has not answered in since it started: a
        new gateway session hands discord.py every active thread of the guild again."""
        me = self._client.user
        if me is None:
            return
        for thread in guild.threads:
            if thread.owner_id == me.id and thread.id not in self._recent:
                guild._remove_thread(thread)

    async def answering_in(
        self, channel: discord.Thread | discord.PartialMessageable
    ) -> discord.Thread | None:
        """The thread a message to be answered came in, counted as used: the cached one, or
        (on an uncached guild channel) the thread read again and cached; None when that
        channel is no thread, is gone or cannot be seen."""
        if isinstance(channel, discord.Thread):
            self.used(channel)
            return channel
        try:
            found = await self._client.fetch_channel(channel.id)
        except (discord.NotFound, discord.Forbidden) as exc:
            logger.info("discord: uncached channel not readable (%s)", exc.code)
            return None
        if not isinstance(found, discord.Thread):
            return None
        found.guild._add_thread(found)
        self.used(found)
        return found


def drop_idle_buckets(http: HTTPClient, channel_id: int) -> None:
    """Forget discord.py's rate-limit state for the routes on `channel_id` (an answer thread
    has three: post, edit, typing) when no request is waiting on it: discord.py drops idle
    state only five minutes after its last use, which on a busy bot is thousands of threads'.
    A later request on the channel starts afresh (a 429 from Discord is still retried)."""
    suffix = f":{channel_id}"
    buckets = http._buckets
    idle = [
        key
        for key, bucket in buckets.items()
        if key.endswith(suffix) and bucket.outgoing == 0 and not bucket._pending_requests
    ]
    for key in idle:
        del buckets[key]
