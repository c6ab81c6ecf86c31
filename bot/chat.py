"""Wiring the chat layer that every platform shares: its services from the app, its caches."""

from __future__ import annotations

from dataclasses import replace

from cachetools import TTLCache

from adapters.charts import usage_chart_png
from adapters.storage import SqlAuditLog, SqlFeedbackStore, SqlThreadStore, SqlUsageStore
from adapters.storage.channels import SqlChannelSettings
from adapters.storage.claims import SqlEventClaims
from bot.app import App
from bot.conversation import ChatSessions, llm_settings_store
from core.channels import Channels
from core.chat import ChatLayer, ChatServices, People
from core.chat.services import SessionFor

MEMBER_TTL = 60.0  # seconds a member row is remembered (admin add, caps take effect within)
MAX_CACHED = 50_000


def chat_services(app: App, sessions: ChatSessions) -> ChatServices:
    settings = SqlChannelSettings(app.db)
    return ChatServices(
        workspaces=app.workspace_store,
        admin=app.admin,
        pool=app.pool,
        dashboard=app.dashboard,
        usage=SqlUsageStore(app.db),
        work=app.work_items,
        channels=Channels(settings=settings, work=app.work_items),
        channel_settings=settings,
        claims=SqlEventClaims(app.db),
        audit=SqlAuditLog(app.db),
        threads=SqlThreadStore(app.db),
        llm_settings=llm_settings_store(app),
        clock=app.clock,
        chat=sessions,
        usage_chart=usage_chart_png,
        feedback=SqlFeedbackStore(app.db),
    )


def people(app: App, *, profile_ttl: float) -> People:
    """Members for a minute, platform profiles (admin flags) for `profile_ttl` seconds."""
    return People(
        workspaces=app.workspace_store,
        members=TTLCache(MAX_CACHED, MEMBER_TTL),
        profiles=TTLCache(MAX_CACHED, profile_ttl),
    )


def chat_layer(app: App, sessions: ChatSessions, *, chat: SessionFor | None = None) -> ChatLayer:
    """The layer for one process; `chat` replaces who answers (tests use scripted models)."""
    services = chat_services(app, sessions)
    if chat is not None:
        services = replace(services, chat=chat)
    if app.metrics is not None:
        services = replace(services, observer=app.metrics)
        app.metrics.watch(services.in_flight)
    return ChatLayer(
        services=services,
        people=people(app, profile_ttl=app.settings.slack_admin_cache_seconds),
    )
