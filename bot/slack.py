"""Wiring the Slack app: its services from the app, its HTTP endpoint or Socket Mode
connection, the scheduler that delivers alerts to Slack admins, its metrics, and its drain on
SIGTERM."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
from aiohttp import web
from cachetools import TTLCache
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.secrets import SecretBox, SecretUnreadable
from adapters.slack.alerts import SlackAlertSender
from adapters.slack.app import SlackConfig, build_slack_app, web_client
from adapters.slack.home import SlackHome
from adapters.slack.installations import SealedInstallationStore
from adapters.slack.messages import SlackConversations
from adapters.slack.server import slack_web_app
from bot.app import App, measured
from bot.chat import chat_layer
from bot.conversation import ChatSessions, secret_box
from bot.health import Readiness
from bot.metrics import BotMetrics
from bot.scheduler import build_scheduler
from bot.shutdown import OnStop, drain, health_port, until_terminated
from core.chat.alerts import ChatNotifier
from core.chat.draining import AnswersInFlight
from core.credits.outbox import Notifier
from core.errors import InvalidInput
from core.workspaces import Workspace

logger = logging.getLogger(__name__)


def slack_config(app: App, *, socket: bool) -> SlackConfig:
    """The Slack settings, refused with every missing one named."""
    s = app.settings
    secret = s.slack_signing_secret.get_secret_value() if s.slack_signing_secret else ""
    token = s.slack_bot_token.get_secret_value() if s.slack_bot_token else None
    client_secret = s.slack_client_secret.get_secret_value() if s.slack_client_secret else None
    missing = []
    oauth = bool(s.slack_client_id and client_secret)
    if not token and not oauth:
        missing.append("SLACK_BOT_TOKEN (or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for OAuth)")
    if oauth and not s.secret_key:
        missing.append("SETGET_SECRET_KEY (OAuth installs' tokens are stored sealed with it)")
    if socket and not s.slack_app_token:
        missing.append("SLACK_APP_TOKEN (Socket Mode)")
    if not socket and not secret:
        missing.append("SLACK_SIGNING_SECRET")
    if missing:
        raise InvalidInput("Slack is not configured: set " + ", ".join(missing))
    return SlackConfig(
        signing_secret=secret,
        api_url=s.slack_api_url,
        bot_token=token,
        client_id=s.slack_client_id,
        client_secret=client_secret,
        stream_interval=s.slack_stream_interval,
        native_streaming=s.slack_native_streaming,
        stream_refusal_seconds=s.slack_stream_refusal_seconds,
        admin_cache_seconds=s.slack_admin_cache_seconds,
        verify_requests=not socket,
    )


def installation_store(app: App, config: SlackConfig) -> SealedInstallationStore | None:
    """Where OAuth installs are kept, their tokens sealed with SETGET_SECRET_KEY (None for a
    single-workspace install)."""
    if not (config.oauth and config.client_id):
        return None
    box = secret_box(app.settings)
    if box is None:
        raise InvalidInput(
            "Slack OAuth needs SETGET_SECRET_KEY: installed tokens are stored sealed with it"
        )
    return SealedInstallationStore(
        client_id=config.client_id, engine=app.db.engine, seal=box.seal, open=_opener(box)
    )


def _opener(box: SecretBox) -> Callable[[str], str]:
    def open_token(token: str) -> str:
        try:
            return box.open(token)
        except SecretUnreadable:
            raise SecretUnreadable(
                "a Slack install's token cannot be decrypted: SETGET_SECRET_KEY changed? "
                "(the team must install the app again)"
            ) from None

    return open_token


@dataclass(frozen=True)
class SlackRuntime:
    bolt: AsyncApp
    config: SlackConfig
    notifier: Notifier
    recover: Callable[[], Awaitable[int]]  # answer again what a crashed process claimed
    in_flight: AnswersInFlight  # the answers this process is making (drained at SIGTERM)


@asynccontextmanager
async def slack_runtime(app: App, *, socket: bool = False) -> AsyncIterator[SlackRuntime]:
    config = slack_config(app, socket=socket)
    store = installation_store(app, config)  # refuses an unusable secret key before opening
    sessions = ChatSessions(app)
    http = aiohttp.ClientSession()  # one connection pool for every Web API call
    layer = chat_layer(app, sessions)
    bolt = build_slack_app(
        config, layer=layer, engine=app.db.engine, installations=store, session=http
    )

    async def client_for(team: str) -> AsyncWebClient | None:
        base = config.api_url or AsyncWebClient.BASE_URL
        if store is None:
            return AsyncWebClient(token=config.bot_token, base_url=base, session=http)
        bot = await store.async_find_bot(enterprise_id=None, team_id=team)
        return AsyncWebClient(token=bot.bot_token, base_url=base, session=http) if bot else None

    async def answering_client_for(team: str) -> AsyncWebClient | None:
        """A team's client that retries as the listeners' client does (alerts have their
        own backoff)."""
        found = await client_for(team)
        if found is None:
            return None
        client = web_client(config, http)
        client.token = found.token
        return client

    home = SlackHome(layer=layer)

    async def refresh_home(workspace: Workspace, team: str) -> None:
        client = await client_for(team)
        if client is not None:
            await home.refresh(client, workspace, team)

    notifier = ChatNotifier(
        sender=SlackAlertSender(client_for=client_for),
        settings=layer.services.channel_settings,
        people=layer.people,
        told=TTLCache(maxsize=10_000, ttl=86_400),
        refresh=refresh_home,
    )
    conversations = SlackConversations(layer=layer, stream_interval=config.stream_interval)

    async def recover() -> int:
        return await conversations.answer_unfinished(answering_client_for)

    try:
        yield SlackRuntime(
            bolt=bolt,
            config=config,
            notifier=notifier,
            recover=recover,
            in_flight=layer.services.in_flight,
        )
    finally:
        await sessions.aclose()
        await http.close()


async def serve_http(
    app: App,
    *,
    host: str,
    port: int,
    on_ready: Callable[[str], None] | None = None,
    on_stop: OnStop | None = None,
) -> None:
    """Serve `/slack/events` (and the OAuth pages, `/healthz`, `/readyz`, `/metrics`) until
    cancelled, or until SIGTERM: then `/readyz` answers 503, new messages are left to other
    replicas, and the answers in flight get the grace period to finish."""
    app = app if app.metrics is not None else measured(app)
    metrics = app.metrics
    assert metrics is not None
    readiness = Readiness(app.db)
    async with slack_runtime(app) as runtime, _probing(metrics):
        web_app = slack_web_app(
            runtime.bolt,
            not_ready=readiness.problem,
            metrics=metrics.exposition,
            on_refused=metrics.request_refused,
        )
        runner = web.AppRunner(web_app)
        await runner.setup()
        site = web.TCPSite(runner, host=host, port=port)
        scheduler = build_scheduler(
            app,
            notifier=runtime.notifier,
            poll_seconds=app.settings.alert_poll_seconds,
            recover=runtime.recover,
        )
        await site.start()
        scheduler.start()
        if on_ready is not None:
            on_ready(f"http://{host}:{port}/slack/events")
        # AsyncIOScheduler shuts down on the loop's next turn (`running` is still true after
        # `shutdown`): a second call would raise SchedulerNotRunningError in that callback.
        stopped = False
        try:
            await until_terminated()
            scheduler.shutdown(wait=False)
            stopped = True
            grace = app.settings.shutdown_grace_seconds
            await drain(runtime.in_flight, readiness, grace=grace, on_stop=on_stop)
        finally:
            if not stopped:
                scheduler.shutdown(wait=False)
            await runner.cleanup()


async def serve_socket(
    app: App,
    *,
    on_ready: Callable[[str], None] | None = None,
    on_stop: OnStop | None = None,
) -> None:
    """Connect to Slack over Socket Mode (no public endpoint) until cancelled or SIGTERM:
    then the socket closes first (Slack sends new events to the app's other connections) and
    the answers in flight get the grace period to finish."""
    app = app if app.metrics is not None else measured(app)
    metrics = app.metrics
    assert metrics is not None
    readiness = Readiness(app.db)
    async with (
        slack_runtime(app, socket=True) as runtime,
        _probing(metrics),
        health_port(app.settings, readiness, metrics.exposition) as health,
    ):
        token = app.settings.slack_app_token
        assert token is not None  # slack_runtime refused to start without it
        scheduler = build_scheduler(
            app,
            notifier=runtime.notifier,
            poll_seconds=app.settings.alert_poll_seconds,
            recover=runtime.recover,
        )
        handler = AsyncSocketModeHandler(runtime.bolt, token.get_secret_value())
        scheduler.start()
        stopped = closed = False  # the scheduler shut down once only (see serve_http)
        try:
            await handler.connect_async()  # type: ignore[no-untyped-call]
            if on_ready is not None:
                on_ready("Socket Mode" + (f" (health on {health})" if health else ""))
            await until_terminated()
            scheduler.shutdown(wait=False)
            stopped = True
            await handler.close_async()  # type: ignore[no-untyped-call]
            closed = True
            grace = app.settings.shutdown_grace_seconds
            await drain(runtime.in_flight, readiness, grace=grace, on_stop=on_stop)
        finally:
            if not stopped:
                scheduler.shutdown(wait=False)
            if not closed:
                await handler.close_async()  # type: ignore[no-untyped-call]


@asynccontextmanager
async def _probing(metrics: BotMetrics) -> AsyncIterator[None]:
    """The event-loop lag probe while the block runs."""
    probe = asyncio.create_task(metrics.probe_loop_lag())
    try:
        yield
    finally:
        probe.cancel()
        await asyncio.gather(probe, return_exceptions=True)
