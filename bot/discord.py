"""Wiring the Discord bot: its client from the settings (REST and gateway overrides,
shards), the chat layer, the scheduler that delivers alerts to Discord admins, the health
port (`SETGET_HEALTH_PORT`), request ids, and the drain on SIGTERM."""

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
from bot.app import App, measured
from bot.chat import chat_layer
from bot.conversation import ChatSessions
from bot.health import Readiness
from bot.scheduler import build_scheduler
from bot.settings import Settings
from bot.shutdown import OnStop, drain, health_port, until_terminated
from core.chat.alerts import ChatNotifier
from core.chat.draining import AnswersInFlight
from core.chat.observe import request_scope
from core.chat.services import SessionFor
from core.credits.outbox import Notifier
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


def discord_shard_ids(settings: Settings) -> list[int] | None:
    """SETGET_DISCORD_SHARD_IDS: which of the SETGET_DISCORD_SHARDS shards this process runs
    (several processes share one bot's shards); unset: all of them."""
    value = (settings.discord_shard_ids or "").strip()
    if not value:
        return None
    count = discord_shards(settings)
    if not isinstance(count, int):
        raise InvalidInput(
            "SETGET_DISCORD_SHARD_IDS needs SETGET_DISCORD_SHARDS set to the number of shards"
        )
    parts = [part.strip() for part in value.split(",")]
    if not all(part.isdigit() and int(part) < count for part in parts):
        raise InvalidInput(
            f"bad setting SETGET_DISCORD_SHARD_IDS: {value!r} (shard numbers from 0 to "
            f"{count - 1}, separated by commas)"
        )
    return sorted({int(part) for part in parts})


def _shard_ids(settings: Settings) -> dict[str, Any]:
    ids = discord_shard_ids(settings)
    return {} if ids is None else {"shard_ids": ids}  # discord.py's AutoShardedClient option


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
    in_flight: AnswersInFlight  # the answers this process is making (drained at SIGTERM)


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
        **_shard_ids(settings),
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

    with_request_ids(bot.client)
    try:
        yield DiscordRuntime(
            bot=bot, notifier=notifier, recover=recover, in_flight=layer.services.in_flight
        )
    finally:
        await bot.settle()
        await sessions.aclose()


async def serve_discord(
    app: App,
    *,
    on_ready: Callable[[str], None] | None = None,
    on_stop: OnStop | None = None,
) -> None:
    """Connect to Discord and answer until cancelled, or until SIGTERM: then new messages are
    left to the recovery job (of another process, or of this one restarted) and the answers
    in flight get the grace period to finish. A rejected token is one clear line."""
    token = discord_token(app.settings)
    point_discord_at(app.settings)
    app = app if app.metrics is not None else measured(app)
    metrics = app.metrics
    assert metrics is not None
    readiness = Readiness(app.db)
    async with (
        discord_runtime(app) as runtime,
        health_port(app.settings, readiness, metrics.exposition) as health,
    ):
        client = runtime.bot.client
        scheduler = build_scheduler(
            app,
            notifier=runtime.notifier,
            poll_seconds=app.settings.alert_poll_seconds,
            recover=runtime.recover,
        )
        probe = asyncio.create_task(metrics.probe_loop_lag())
        try:
            await _login(client, token)
            scheduler.start()
            if on_ready is not None:
                suffix = f" (health on {health})" if health else ""
                ready = asyncio.create_task(_when_ready(client, on_ready, suffix))
            try:
                if await _connected_until_terminated(client):
                    scheduler.shutdown(wait=False)
                    grace = app.settings.shutdown_grace_seconds
                    await drain(runtime.in_flight, readiness, grace=grace, on_stop=on_stop)
            finally:
                if on_ready is not None:
                    ready.cancel()
        finally:
            probe.cancel()
            if scheduler.running:
                scheduler.shutdown(wait=False)
            await client.close()


async def _login(client: discord.Client, token: str) -> None:
    try:
        await client.login(token)
    except discord.LoginFailure:
        raise InvalidInput("Discord rejected DISCORD_BOT_TOKEN") from None
    except (aiohttp.ClientError, OSError) as exc:
        raise InvalidInput(
            f"Discord's API at {Route.BASE} is unreachable ({type(exc).__name__})"
        ) from None


async def _connected_until_terminated(client: discord.Client) -> bool:
    """Run the gateway connection; True when SIGTERM came (the connection still up, so the
    answers in flight can finish), False when the connection ended by itself."""
    connection = asyncio.create_task(_connect(client))
    terminated = asyncio.create_task(until_terminated())
    try:
        done, _ = await asyncio.wait({connection, terminated}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        terminated.cancel()
    if connection in done:
        connection.result()
        return False
    # the connection keeps running while the answers finish; closing the client ends it
    connection.add_done_callback(_quietly)
    return True


def _quietly(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.debug("discord: the connection ended with %s", type(task.exception()).__name__)


async def _connect(client: discord.Client) -> None:
    try:
        await client.connect()
    except discord.PrivilegedIntentsRequired:
        raise InvalidInput(
            "Discord refused the Message Content intent: enable it for the bot in the "
            "Developer Portal (Bot > Privileged Gateway Intents)"
        ) from None


def with_request_ids(client: discord.Client) -> None:
    """Each message and interaction from the gateway gets a request id: the handler tasks
    discord.py starts while parsing the event inherit it (so do the answer's log lines)."""
    parsers = client._connection.parsers
    for event in ("MESSAGE_CREATE", "INTERACTION_CREATE"):
        parse = parsers.get(event)
        if parse is not None:
            parsers[event] = _with_request_id(parse)


def _with_request_id(parse: Callable[[Any], None]) -> Callable[[Any], None]:
    def parse_in_scope(data: Any) -> None:
        with request_scope(fresh=True):
            parse(data)

    return parse_in_scope


async def _when_ready(
    client: discord.Client, on_ready: Callable[[str], None], suffix: str = ""
) -> None:
    await client.wait_until_ready()
    on_ready(f"{len(client.guilds)} server(s) as {client.user}{suffix}")
