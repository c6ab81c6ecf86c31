"""Wiring the Discord bot: its client from the settings (REST and gateway overrides,
shards), the chat layer, and the scheduler that delivers alerts to Discord admins."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import discord
import yarl
from cachetools import TTLCache
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.discord.alerts import DiscordAlertSender
from adapters.discord.client import DiscordBot, Shards, build_discord_bot
from bot.app import App
from bot.chat import chat_layer
from bot.conversation import ChatSessions
from bot.scheduler import build_scheduler
from bot.settings import Settings
from core.chat.alerts import ChatNotifier
from core.chat.services import SessionFor
from core.credits.delivery import Notifier
from core.errors import InvalidInput

logger = logging.getLogger(__name__)


def discord_token(settings: Settings) -> str:
    token = settings.discord_bot_token.get_secret_value() if settings.discord_bot_token else ""
    if not token:
        raise InvalidInput("Discord is not configured: set DISCORD_BOT_TOKEN")
    return token


def discord_shards(settings: Settings) -> Shards:
    """SETGET_DISCORD_SHARDS: unset (one connection), `auto`, or a number of shards."""
    value = (settings.discord_shards or "").strip().lower()
    if not value:
        return None
    if value == "auto":
        return "auto"
    if value.isdigit() and int(value) > 0:
        return int(value)
    raise InvalidInput(f"bad setting SETGET_DISCORD_SHARDS: {value!r} (use auto or a number)")


def point_discord_at(settings: Settings) -> None:
    """DISCORD_API_URL and DISCORD_GATEWAY_URL: where discord.py's REST calls and gateway
    connections go (a plain client never asks REST which gateway to use)."""
    if settings.discord_api_url:
        Route.BASE = settings.discord_api_url.rstrip("/")
    if settings.discord_gateway_url:
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


@dataclass(frozen=True)
class DiscordRuntime:
    bot: DiscordBot
    notifier: Notifier
    recover: Callable[[], Awaitable[int]]  # answer again what a crashed process claimed


@asynccontextmanager
async def discord_runtime(
    app: App, *, chat: SessionFor | None = None, sync_commands: bool = True, **options: Any
) -> AsyncIterator[DiscordRuntime]:
    """The bot for `app`, not connected; `options` go to discord.py's client."""
    settings = app.settings
    sessions = ChatSessions(app)
    layer = chat_layer(app, sessions, chat=chat)
    bot = build_discord_bot(
        layer=layer,
        shards=discord_shards(settings),
        stream_interval=settings.discord_stream_interval,
        sync_commands=sync_commands,
        **options,
    )
    notifier = ChatNotifier(
        sender=DiscordAlertSender(client=bot.client),
        settings=layer.services.channel_settings,
        people=layer.people,
        told=TTLCache(maxsize=10_000, ttl=86_400),
    )

    async def recover() -> int:
        if not bot.client.is_ready():
            return 0  # the threads and DMs are not known before the gateway is
        return await bot.conversations.answer_unfinished()

    try:
        yield DiscordRuntime(bot=bot, notifier=notifier, recover=recover)
    finally:
        await bot.settle()
        await sessions.aclose()


async def serve_discord(app: App, *, on_ready: Callable[[str], None] | None = None) -> None:
    """Connect to Discord and answer until cancelled; a rejected token is one clear line."""
    token = discord_token(app.settings)
    point_discord_at(app.settings)
    async with discord_runtime(app) as runtime:
        client = runtime.bot.client
        scheduler = build_scheduler(
            app,
            notifier=runtime.notifier,
            poll_seconds=app.settings.alert_poll_seconds,
            recover=runtime.recover,
        )
        try:
            try:
                await client.login(token)
            except discord.LoginFailure:
                raise InvalidInput("Discord rejected DISCORD_BOT_TOKEN") from None
            except (aiohttp.ClientError, OSError) as exc:
                raise InvalidInput(
                    f"Discord's API at {Route.BASE} is unreachable ({type(exc).__name__})"
                ) from None
            scheduler.start()
            if on_ready is not None:
                ready = asyncio.create_task(_when_ready(client, on_ready))
            try:
                await client.connect()
            except discord.PrivilegedIntentsRequired:
                raise InvalidInput(
                    "Discord refused the Message Content intent: enable it for the bot in the "
                    "Developer Portal (Bot > Privileged Gateway Intents)"
                ) from None
            finally:
                if on_ready is not None:
                    ready.cancel()
        finally:
            if scheduler.running:
                scheduler.shutdown(wait=False)
            await client.close()


async def _when_ready(client: discord.Client, on_ready: Callable[[str], None]) -> None:
    await client.wait_until_ready()
    on_ready(f"{len(client.guilds)} server(s) as {client.user}")
