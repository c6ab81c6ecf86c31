"""Fixtures: started fake OpenAI and Anthropic servers, and models closed after each test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from adapters.llm import ClosableChatModel, LLMConfig, build_chat_model
from tests.adapters.llm.fake_servers import FakeAnthropic, FakeOpenAI


@pytest.fixture
async def fake_openai() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
async def fake_anthropic() -> AsyncIterator[FakeAnthropic]:
    async with FakeAnthropic() as fake:
        yield fake


@pytest.fixture
async def build() -> AsyncIterator[Callable[[LLMConfig], ClosableChatModel]]:
    """`build(config)` makes a model from config and closes it after the test."""
    built: list[ClosableChatModel] = []

    def make(config: LLMConfig) -> ClosableChatModel:
        built.append(build_chat_model(config))
        return built[-1]

    yield make
    for model in built:
        await model.aclose()
