"""The fake servers' scripting API that other test packages rely on."""

from __future__ import annotations

import pytest

from adapters.llm.factory import LLMConfig
from core.errors import ProviderRejected
from core.llm import ChatMessage, Speaker
from tests.adapters.llm.conftest import Build
from tests.adapters.llm.fake_servers import (
    FakeOpenAI,
    RecordedRequest,
    Reply,
    Usage,
    chunks,
    tool_call,
)


def compatible(fake: FakeOpenAI) -> LLMConfig:
    return LLMConfig(
        provider="openai-compatible", model="local", base_url=fake.url, retry_base_delay=0.01
    )


async def test_a_scripted_function_answers_from_the_request(
    fake_openai: FakeOpenAI, build: Build
) -> None:
    def answer(request: RecordedRequest) -> Reply:
        last = request.body["messages"][-1]
        if last["role"] == "tool":
            return Reply(text=chunks(f"Tool said {last['content']}"), usage=Usage(30, 4))
        return Reply(tool_calls=[tool_call("lookup", {"q": last["content"]})], usage=Usage(20, 8))

    fake_openai.fallback = answer
    model = build(compatible(fake_openai))

    first = await model.complete([ChatMessage(Speaker.USER, "status?")])
    second = await model.complete(
        [
            ChatMessage(Speaker.USER, "status?"),
            ChatMessage(Speaker.ASSISTANT, tool_calls=first.tool_calls),
            ChatMessage(Speaker.TOOL, "green", tool_call_id=first.tool_calls[0].id),
        ]
    )

    assert first.tool_calls[0].arguments == {"q": "status?"}
    assert second.text == "Tool said green"
    assert len(fake_openai.requests) == 2


async def test_an_exhausted_script_is_reported_as_a_rejected_request(
    fake_openai: FakeOpenAI, build: Build
) -> None:
    fake_openai.script(Reply(text=chunks("only one"), usage=Usage(1, 2)))
    model = build(compatible(fake_openai))
    await model.complete([ChatMessage(Speaker.USER, "one")])

    with pytest.raises(ProviderRejected, match="no scripted reply left"):
        await model.complete([ChatMessage(Speaker.USER, "two")])
