"""The slack-bolt `AsyncApp`: every event, command, button and modal the bot handles.

`HANDLED` lists them; `manifest.yml` must declare exactly what they need (a test checks it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.slack.assistant import SlackPanel
from adapters.slack.blocks import BUY_CONFIRM_VIEW, BUY_VIEW, CONFIG_VIEW, CONFIRM, REJECT
from adapters.slack.commands import SlackCommands
from adapters.slack.decisions import SlackDecisions
from adapters.slack.feedback import register_feedback
from adapters.slack.home import SlackHome, register_home
from adapters.slack.listeners import button_listener
from adapters.slack.messages import SlackConversations
from adapters.slack.render import mrkdwn
from adapters.slack.text_streaming import StreamingMemory
from adapters.slack.views import SlackViews
from core.chat import ChatLayer, tell
from core.chat.suggestions import Suggestions

logger = logging.getLogger(__name__)

COMMAND = "/setget"
ACTIONS = (CONFIRM, REJECT)
# The bot scopes an OAuth install asks for: what the handlers subscribe to and call.
BOT_SCOPES = (
    "app_mentions:read",  # app_mention
    "channels:history",  # message.channels: replies in a thread the bot answers
    "groups:history",  # message.groups: the same in private channels
    "im:history",  # message.im: DMs to the bot
    "chat:write",  # answers, edits, proposals, ephemeral refusals
    "commands",  # /setget
    "users:read",  # users.info / users.list: names, and who administers the Slack team
    "im:write",  # conversations.open: DMs to admins (alerts, charts, audit files)
    "files:write",  # usage chart and audit file uploads
    "assistant:write",  # the assistant panel: status, suggested prompts, titles
)


@dataclass(frozen=True, kw_only=True)
class SlackConfig:
    signing_secret: str
    api_url: str | None = None  # Web API base URL (tests point it at a fake)
    bot_token: str | None = None  # single-workspace install
    client_id: str | None = None  # OAuth distribution
    client_secret: str | None = None
    stream_interval: float = 1.0
    native_streaming: bool = True  # chat.startStream where Slack allows it, else edits
    stream_refusal_seconds: float = 3600.0  # how long a team that refused it gets edits
    admin_cache_seconds: float = 600.0
    verify_requests: bool = True  # Socket Mode needs no signatures: Slack's socket is trusted
    # Answer before acknowledging: only for tests that need each request's work done when its
    # response arrives. Slack itself gets the ack at once and the answer follows.
    process_before_response: bool = False

    @property
    def oauth(self) -> bool:
        return bool(self.client_id and self.client_secret)


def web_client(config: SlackConfig, session: aiohttp.ClientSession | None = None) -> AsyncWebClient:
    """The Web API client; with a shared `session`, every call reuses its connections (Bolt
    passes the session and the retry handlers on to the client it makes for each request).
    A dropped connection, a 5xx or a 429 (after its `Retry-After`) is retried, so an answer
    someone paid for still reaches them when Slack hiccups."""
    return AsyncWebClient(
        token=None if config.oauth else config.bot_token,
        base_url=config.api_url or AsyncWebClient.BASE_URL,
        session=session,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncServerErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=2),
        ],
    )


class _SameTokenWarning(logging.Filter):
    """Drops Bolt's "`token` will be unused", for an app whose client carries the bot token."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


def build_slack_app(
    config: SlackConfig,
    *,
    layer: ChatLayer,
    engine: AsyncEngine | None = None,
    installations: AsyncInstallationStore | None = None,
    session: aiohttp.ClientSession | None = None,
) -> AsyncApp:
    """The app for one process. When distributing over OAuth, `installations` keeps the
    installs (a `SealedInstallationStore`: tokens sealed at rest) and `engine` the OAuth
    states."""
    if not config.oauth and not config.bot_token:
        raise ValueError("Slack needs SLACK_BOT_TOKEN, or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET")
    options: dict[str, Any] = {
        "signing_secret": config.signing_secret,
        "request_verification_enabled": config.verify_requests,
        "process_before_response": config.process_before_response,
        "client": web_client(config, session),
    }
    if config.client_id and config.client_secret:
        if engine is None or installations is None:
            raise ValueError(
                "OAuth installs are stored in the database: pass its engine and the "
                "installation store that seals their tokens"
            )
        options["oauth_settings"] = AsyncOAuthSettings(
            client_id=config.client_id,
            client_secret=config.client_secret,
            scopes=list(BOT_SCOPES),
            installation_store=installations,
            state_store=AsyncSQLAlchemyOAuthStateStore(expiration_seconds=600, engine=engine),
            install_path="/slack/install",
            redirect_uri_path="/slack/oauth_redirect",
        )
    # Bolt reads SLACK_BOT_TOKEN from the environment itself and, since we give it a client,
    # warns that this token "will be unused". With a bot token our client carries that very
    # token (settings read it from the same variable), so the warning is untrue: that one
    # message is dropped, then. (A level set on Bolt's logger would not do: Bolt resets it
    # from the root logger as it starts.) With OAuth the variable is really unused: it warns.
    same_token = _SameTokenWarning()
    bolt_log = logging.getLogger("slack_bolt.AsyncApp")
    if options["client"].token:
        bolt_log.addFilter(same_token)
    try:
        app = AsyncApp(**options)
    finally:
        bolt_log.removeFilter(same_token)
    register(app, layer=layer, config=config)
    return app


@dataclass(frozen=True)
class Handled:
    """What an app registered listeners for (the manifest must declare what they need)."""

    events: tuple[str, ...]
    commands: tuple[str, ...]
    actions: tuple[str, ...]
    views: tuple[str, ...]


def register(app: AsyncApp, *, layer: ChatLayer, config: SlackConfig) -> Handled:
    memory = StreamingMemory(enabled=config.native_streaming, ttl=config.stream_refusal_seconds)
    conversations = SlackConversations(
        layer=layer, stream_interval=config.stream_interval, memory=memory
    )
    decisions = SlackDecisions(layer=layer)
    commands = SlackCommands(layer=layer)
    views = SlackViews(layer=layer)

    suggestions = Suggestions(
        people=layer.people,
        channels=layer.services.channels,
        work=layer.services.work,
        clock=layer.services.clock,
    )
    panel = SlackPanel(layer=layer, conversations=conversations, suggestions=suggestions)
    app.use(panel.assistant())  # before the `message` listener: panel messages are its own
    assistant_events = ("assistant_thread_started", "assistant_thread_context_changed")
    events = {"app_mention": conversations.on_mention, "message": conversations.on_message}
    for event, on_event in events.items():
        app.event(event)(on_event)

    async def on_command(
        ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        try:
            await commands.on_command(command, client, respond)
        except Exception as exc:  # the catch-all: a person is told, never left in silence
            text = mrkdwn(tell(exc, doing="running /setget"))
            await respond(text=text, response_type="ephemeral")

    app.command(COMMAND)(on_command)

    on_button = button_listener(decisions.on_button, doing="handling the button")
    for action_id in ACTIONS:
        app.action(action_id)(on_button)

    modals = {
        BUY_VIEW: views.on_buy_size,
        BUY_CONFIRM_VIEW: views.on_buy_confirm,
        CONFIG_VIEW: views.on_config,
    }
    for callback_id, on_submit in modals.items():
        app.view(callback_id)(on_submit)

    async def on_error(error: Exception) -> None:
        logger.error("slack: a handler failed: %s", type(error).__name__)

    feedback_actions = register_feedback(app, layer=layer)
    home_events, home_actions = register_home(app, SlackHome(layer=layer))
    app.error(on_error)
    return Handled(
        events=(*assistant_events, *events, *home_events),
        commands=(COMMAND,),
        actions=(*ACTIONS, *feedback_actions, *home_actions),
        views=tuple(modals),
    )
