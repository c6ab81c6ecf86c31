"""The discord.py client of the SetGet bot: its intents, the `/setget` tree, the persistent
buttons registered at start-up, and the message handler, all translating to the chat layer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import discord
from discord import app_commands

from adapters.discord.answer_threads import ANSWER_THREADS_CACHED, AnswerThreads
from adapters.discord.commands import DiscordCommands
from adapters.discord.decisions import DiscordDecisions
from adapters.discord.feedback import DiscordFeedback
from adapters.discord.forms import DiscordForms
from adapters.discord.messages import DiscordConversations
from core.chat import ChatLayer

logger = logging.getLogger(__name__)

Shards = int | str | None  # None: one connection; "auto": Discord's recommendation; N shards


def intents() -> discord.Intents:
    """Guilds (channels, threads, roles), guild and DM messages, and message content
    (privileged): without it a thread follow-up that does not mention the bot has no text."""
    wanted = discord.Intents.none()
    wanted.guilds = wanted.guild_messages = wanted.dm_messages = True
    wanted.message_content = True
    return wanted


class SetGetClient(discord.Client):
    def __init__(self, *, on_setup: Callable[[], Awaitable[None]], **options: Any) -> None:
        super().__init__(**options)
        self._on_setup = on_setup

    async def setup_hook(self) -> None:
        await self._on_setup()


class SetGetShardedClient(discord.AutoShardedClient):
    def __init__(self, *, on_setup: Callable[[], Awaitable[None]], **options: Any) -> None:
        super().__init__(**options)
        self._on_setup = on_setup

    async def setup_hook(self) -> None:
        await self._on_setup()


@dataclass(frozen=True)
class DiscordBot:
    client: discord.Client
    tree: app_commands.CommandTree[discord.Client]
    conversations: DiscordConversations
    decisions: DiscordDecisions
    forms: DiscordForms
    handling: set[asyncio.Task[Any]]  # messages being answered now

    async def settle(self, *, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Let the answers in flight finish (closing the client does not wait for them);
        what is still running after `timeout` is cancelled, and the recovery job of another
        process answers it again."""
        pending = {task for task in self.handling if not task.done()}
        if not pending:
            return
        _, late = await asyncio.wait(pending, timeout=timeout)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)


def build_discord_bot(
    *,
    layer: ChatLayer,
    shards: Shards = None,
    stream_interval: float = 1.0,
    sync_commands: bool = True,
    answer_threads_cached: int = ANSWER_THREADS_CACHED,
    **options: Any,
) -> DiscordBot:
    """The client, not yet logged in; `options` go to discord.py (e.g. `guild_ready_timeout`).
    `answer_threads_cached`: how many answer threads stay in discord.py's cache."""
    # the bot never joins voice: discord.py's start-up warnings about voice libraries are noise
    discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
    decisions = DiscordDecisions(layer=layer)
    feedback = DiscordFeedback(layer=layer)
    forms = DiscordForms(layer=layer)
    holder: list[DiscordBot] = []

    async def setup() -> None:
        bot = holder[0]
        # persistent buttons: clicks on proposals and pack purchases posted before a restart
        bot.client.add_dynamic_items(
            decisions.button_class, forms.button_class, feedback.button_class
        )
        if sync_commands:
            synced = await bot.tree.sync()
            logger.info("discord: %d application command(s) synced", len(synced))

    client: discord.Client
    if shards is None:
        client = SetGetClient(on_setup=setup, intents=intents(), **options)
    else:
        count = None if shards == "auto" else int(shards)
        client = SetGetShardedClient(
            on_setup=setup, intents=intents(), shard_count=count, **options
        )
    tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(client)
    tree.add_command(DiscordCommands(layer=layer, forms=forms).group())
    conversations = DiscordConversations(
        layer=layer,
        client=client,
        proposal_view=decisions.view,
        stream_interval=stream_interval,
        feedback_view=feedback.view,
        threads=AnswerThreads(client, limit=answer_threads_cached),
    )

    handling: set[asyncio.Task[Any]] = set()

    async def on_message(message: discord.Message) -> None:
        task = asyncio.current_task()
        if task is not None:
            handling.add(task)
        try:
            await conversations.on_message(message)
        except Exception:
            logger.exception("discord: a message was not handled")
        finally:
            if task is not None:
                handling.discard(task)

    async def on_interaction(interaction: discord.Interaction[Any]) -> None:
        try:
            await forms.on_interaction(interaction)
        except Exception:
            logger.exception("discord: an interaction was not handled")

    async def on_guild_available(guild: discord.Guild) -> None:
        conversations.threads.forget_unused(guild)

    client.event(on_message)
    client.event(on_interaction)
    client.event(on_guild_available)
    bot = DiscordBot(
        client=client,
        tree=tree,
        conversations=conversations,
        decisions=decisions,
        forms=forms,
        handling=handling,
    )
    holder.append(bot)
    return bot
