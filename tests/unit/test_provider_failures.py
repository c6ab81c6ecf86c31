"""A failed LLM call is told as: which provider and server, the cause, and nothing charged."""

from __future__ import annotations

import socket
from contextlib import closing

import pytest

from adapters.llm.factory import LLMConfig, build_chat_model
from core.chat.telling import tell
from core.errors import ProviderUnavailable
from core.llm import ChatMessage, Speaker

QUESTION = [ChatMessage(Speaker.USER, "How many open items?")]


def closed_port() -> int:
    """A port nothing listens on: connections to it are refused."""
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("provider", "name"),
    [("openai", "OpenAI"), ("openai-compatible", "the OpenAI-compatible server")],
)
async def test_a_refused_connection_names_the_server_and_the_cause(
    provider: str, name: str
) -> None:
    port = closed_port()
    config = LLMConfig(
        provider, "tiny", "sk-test-key", f"http://127.0.0.1:{port}/v1", retry_base_delay=0.01
    )
    model = build_chat_model(config)
    try:
        with pytest.raises(ProviderUnavailable) as caught:
            await model.complete(QUESTION)
    finally:
        await model.aclose()
    assert str(caught.value) == (
        f"{name} at 127.0.0.1:{port} could not be reached (connection refused) after 3 attempts"
    )


async def test_an_unknown_host_is_named() -> None:
    config = LLMConfig(
        "anthropic", "claude-test", "sk-ant-key", "http://no-such-host.invalid", max_retries=0
    )
    model = build_chat_model(config)
    try:
        with pytest.raises(ProviderUnavailable) as caught:
            await model.complete(QUESTION)
    finally:
        await model.aclose()
    assert (
        str(caught.value) == "Anthropic at no-such-host.invalid could not be reached (unknown host)"
    )


def test_a_person_is_told_that_nothing_was_charged() -> None:
    failure = ProviderUnavailable("OpenAI at api.openai.com is unavailable (HTTP 503)")
    assert tell(failure).text == (
        "OpenAI at api.openai.com is unavailable (HTTP 503). Nothing was charged."
    )
