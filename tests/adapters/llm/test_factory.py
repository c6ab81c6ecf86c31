"""LLMConfig validation and masking, and what build_chat_model makes of each provider."""

from __future__ import annotations

import pytest

from adapters.llm.anthropic_chat import AnthropicChatModel
from adapters.llm.factory import LLMConfig
from adapters.llm.openai_chat import OpenAIChatModel
from core.errors import InvalidInput
from tests.adapters.llm.conftest import Build

KEY = "sk-proj-abcdefghijklmnop"


def test_the_key_is_masked_in_repr_and_str() -> None:
    config = LLMConfig(provider="openai", model="gpt-4o-mini", api_key=KEY)

    assert KEY not in repr(config)
    assert KEY not in str(config)
    assert "api_key='***'" in repr(config)
    assert "model='gpt-4o-mini'" in repr(config)


def test_azure_lists_everything_it_is_missing() -> None:
    with pytest.raises(InvalidInput) as caught:
        LLMConfig(provider="azure", api_key=KEY)

    message = str(caught.value)
    for missing in ("base_url", "azure_deployment", "api_version"):
        assert f"{missing} is required" in message
    assert KEY not in message


@pytest.mark.parametrize(
    ("settings", "complaint"),
    [
        ({"provider": "gemini", "model": "x"}, "provider must be one of openai, azure"),
        ({"provider": "openai", "model": "gpt-4o"}, "api_key is required"),
        ({"provider": "openai", "api_key": KEY}, "model is required"),
        ({"provider": "anthropic", "model": "claude", "api_key": ""}, "api_key is required"),
        ({"provider": "openai-compatible", "model": "llama3"}, "base_url is required"),
        (
            {"provider": "openai-compatible", "model": "m", "base_url": "localhost:11434"},
            "base_url must start with http:// or https://",
        ),
        ({"provider": "openai", "model": "m", "api_key": KEY, "timeout": 0}, "timeout must"),
        ({"provider": "openai", "model": "m", "api_key": KEY, "max_retries": -1}, "max_retries"),
    ],
)
def test_bad_settings_are_refused_with_a_clear_reason(
    settings: dict[str, object], complaint: str
) -> None:
    with pytest.raises(InvalidInput, match=complaint):
        LLMConfig(**settings)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("config", "label", "kind"),
    [
        (LLMConfig("openai", "gpt-4o-mini", KEY), "openai gpt-4o-mini", OpenAIChatModel),
        (
            LLMConfig(
                "azure",
                api_key=KEY,
                base_url="https://setget.openai.azure.com",
                azure_deployment="chat-prod",
                api_version="2024-10-21",
            ),
            "azure deployment chat-prod",
            OpenAIChatModel,
        ),
        (LLMConfig("anthropic", "claude-test", KEY), "anthropic claude-test", AnthropicChatModel),
        (
            LLMConfig("openai-compatible", "llama3.1", base_url="http://127.0.0.1:11434/v1"),
            "openai-compatible llama3.1",
            OpenAIChatModel,
        ),
    ],
)
def test_each_provider_builds_its_adapter_with_a_keyless_label(
    build: Build, config: LLMConfig, label: str, kind: type
) -> None:
    model = build(config)

    assert isinstance(model, kind)
    assert model.label == label


def test_max_retries_counts_retries_after_the_first_attempt() -> None:
    config = LLMConfig("openai", "gpt-4o-mini", KEY, max_retries=4, retry_base_delay=0.2)

    assert config.retry_policy.attempts == 5
    assert config.retry_policy.base_delay == 0.2
