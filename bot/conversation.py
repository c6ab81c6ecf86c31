"""Wiring the conversation core: the chat model, the stores, the assistant and its desk."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from adapters.llm.factory import LLMConfig, build_chat_model, config_for
from adapters.llm.tokens import count_text
from adapters.offline import OfflineModel
from adapters.secrets import SecretBox
from adapters.storage import SqlActionStore, SqlLLMSettingsStore, SqlThreadStore
from bot.app import App
from bot.settings import Settings
from core.assistant.actions import ActionDesk
from core.assistant.admission import RateLimits
from core.assistant.conversation import Assistant, ConversationPolicy
from core.assistant.llm_settings import WorkspaceLLM
from core.assistant.tools import WorkTools
from core.llm import ChatModel
from core.workspaces import Workspace

TOKENIZER_MODEL = "gpt-4o-mini"


@dataclass(frozen=True)
class Conversations:
    assistant: Assistant
    desk: ActionDesk
    model: ChatModel


def secret_box(settings: Settings) -> SecretBox | None:
    key = settings.secret_key
    return SecretBox(key.get_secret_value()) if key else None


def llm_settings_store(app: App) -> SqlLLMSettingsStore:
    return SqlLLMSettingsStore(app.db, secret_box(app.settings))


def deployment_llm(settings: Settings) -> LLMConfig | None:
    """The deployment-wide model from `SETGET_LLM_*`, if one is configured."""
    if not settings.llm_provider:
        return None
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    deployment = WorkspaceLLM(
        provider=settings.llm_provider,
        model=settings.llm_model or "",
        base_url=settings.llm_base_url,
        azure_deployment=settings.llm_azure_deployment,
        api_version=settings.llm_api_version,
        api_key=key,
    )
    return workspace_llm(deployment, settings)


def workspace_llm(own: WorkspaceLLM, settings: Settings) -> LLMConfig:
    return config_for(own, timeout=settings.llm_timeout_seconds)


async def own_llm(app: App, workspace: Workspace) -> WorkspaceLLM | None:
    """A self-hosted workspace's own model settings, if any (cloud ones use the deployment's)."""
    return None if workspace.metered else await llm_settings_store(app).load(workspace.id)


def deployment_model(settings: Settings) -> ChatModel:
    """The deployment's model from `SETGET_LLM_*`, else the offline demo model."""
    config = deployment_llm(settings)
    return build_chat_model(config) if config else OfflineModel()


async def chat_model_for(app: App, workspace: Workspace) -> ChatModel:
    """A self-hosted workspace's own model, else the deployment's, else the offline model."""
    own = await own_llm(app, workspace)
    return (
        build_chat_model(workspace_llm(own, app.settings))
        if own
        else deployment_model(app.settings)
    )


def count_tokens(text: str) -> int:
    return count_text(text, model=TOKENIZER_MODEL)


async def conversations(app: App, workspace: Workspace) -> Conversations:
    return conversations_with(app, await chat_model_for(app, workspace))


def conversations_with(app: App, model: ChatModel) -> Conversations:
    """The assistant on `model`; in a serving process each call is timed and its tokens
    counted (`app.metrics`)."""
    settings = app.settings
    if app.metrics is not None:
        from bot.metrics import MeasuredModel

        model = MeasuredModel(model, app.metrics)
    desk = ActionDesk(
        actions=SqlActionStore(app.db),
        work=app.work_items,
        clock=app.clock,
        ttl=timedelta(seconds=settings.action_ttl_seconds),
    )
    assistant = Assistant(
        pool=app.pool,
        model=model,
        tools=WorkTools(app.work_items, clock=app.clock),
        threads=SqlThreadStore(app.db),
        actions=desk,
        clock=app.clock,
        count_tokens=count_tokens,
        limits=RateLimits(
            per_minute=settings.rate_limits(), member_share=settings.rate_limit_member_share
        ),
        gate=app.llm_gate,
        policy=ConversationPolicy(
            history_budget=settings.history_budget_tokens, tool_budget=settings.tool_budget_tokens
        ),
    )
    return Conversations(assistant=assistant, desk=desk, model=model)


class ChatSessions:
    """The assistant for a message: one shared by every workspace the deployment's model
    (or the offline model) answers, built once; a self-hosted workspace's own model per
    message, its HTTP client closed after."""

    def __init__(self, app: App) -> None:
        self._app = app
        self._shared: Conversations | None = None

    @asynccontextmanager
    async def __call__(self, workspace: Workspace) -> AsyncIterator[Conversations]:
        app = self._app
        own = await own_llm(app, workspace)
        if own is None:
            if self._shared is None:
                self._shared = conversations_with(app, deployment_model(app.settings))
            yield self._shared
            return
        model = build_chat_model(workspace_llm(own, app.settings))
        try:
            yield conversations_with(app, model)
        finally:
            await model.aclose()

    async def aclose(self) -> None:
        close = getattr(self._shared.model, "aclose", None) if self._shared else None
        if close is not None:
            await close()
