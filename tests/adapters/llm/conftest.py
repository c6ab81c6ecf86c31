"""Fixtures: started fake OpenAI and Anthropic servers, and models closed after each test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from adapters.llm.factory import ClosableChatModel, LLMConfig, build_chat_model
from tests.adapters.llm.fake_servers import FakeAnthropic, FakeLLMServer, FakeOpenAI

Build = Callable[[LLMConfig], ClosableChatModel]
FAST: dict[str, Any] = {"retry_base_delay": 0.01, "max_retries": 2}


@pytest.fixture
async def fake_openai() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
async def fake_anthropic() -> AsyncIterator[FakeAnthropic]:
    async with FakeAnthropic() as fake:
        yield fake


@pytest.fixture
async def build() -> AsyncIterator[Build]:
    """`build(config)` makes a model from config and closes it after the test."""
    built: list[ClosableChatModel] = []

    def make(config: LLMConfig) -> ClosableChatModel:
        built.append(build_chat_model(config))
        return built[-1]

    yield make
    for model in built:
        await model.aclose()


@dataclass(frozen=True)
class Target:
    """A provider's fake server, a config pointing at it, and where its key must travel."""

    fake: FakeLLMServer
    config: LLMConfig
    auth_header: str
    subject: str


def _target(provider: str, fake: FakeLLMServer) -> Target:
    if provider == "anthropic":
        config = LLMConfig(
            "anthropic", "claude-test", "sk-ant-api03-secretsecret", fake.root, **FAST
        )
        # anthropic 2.x sends the key as a bearer token
        return Target(fake, config, "authorization", "model 'claude-test'")
    if provider == "azure":
        config = LLMConfig(
            "azure",
            api_key="0123456789abcdef0123456789abcdef",
            base_url=fake.root,
            azure_deployment="setget-chat",
            api_version="2024-10-21",
            **FAST,
        )
        return Target(fake, config, "api-key", "deployment 'setget-chat'")
    config = LLMConfig("openai", "gpt-4o-mini", "sk-proj-secretsecret", f"{fake.root}/v1", **FAST)
    return Target(fake, config, "authorization", "model 'gpt-4o-mini'")


@pytest.fixture(params=["openai", "azure", "anthropic"])
async def target(request: pytest.FixtureRequest) -> AsyncIterator[Target]:
    fake: FakeLLMServer = FakeAnthropic() if request.param == "anthropic" else FakeOpenAI()
    async with fake:
        yield _target(request.param, fake)
