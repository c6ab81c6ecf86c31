"""The OpenAI adapter against a local server speaking the chat-completions streaming format."""

from __future__ import annotations

import asyncio

import pytest

from adapters.llm.factory import LLMConfig
from adapters.llm.tokens import estimate_usage
from core.credits.pricing import TokenUsage
from core.llm import ChatMessage, Speaker, ToolCall, ToolSpec
from tests.adapters.llm.conftest import Build
from tests.adapters.llm.fake_servers import FakeOpenAI, Reply, Usage, chunks, tool_call

KEY = "sk-test-0123456789abcdef"
QUESTION = [
    ChatMessage(Speaker.SYSTEM, "You are the SetGet assistant."),
    ChatMessage(Speaker.USER, "What is open in the launch project?"),
]
CREATE_TASK = ToolSpec(
    name="create_task",
    description="Create a task in a project",
    parameters={"type": "object", "properties": {"title": {"type": "string"}}},
)


def openai_config(fake: FakeOpenAI, **overrides: object) -> LLMConfig:
    settings: dict[str, object] = {
        "provider": "openai",
        "model": "gpt-4o-mini",
        "api_key": KEY,
        "base_url": fake.url,
        "retry_base_delay": 0.01,
    }
    settings.update(overrides)
    return LLMConfig(**settings)  # type: ignore[arg-type]


async def test_text_reaches_on_text_in_order_while_the_reply_still_streams(
    fake_openai: FakeOpenAI, build: Build
) -> None:
    first_chunk_seen = asyncio.Event()
    fake_openai.script(
        Reply(text=chunks("Three tasks are open"), gate=first_chunk_seen, usage=Usage(30, 4))
    )
    received: list[str] = []

    async def on_text(delta: str) -> None:
        received.append(delta)
        first_chunk_seen.set()  # the fake sends the rest only after this

    model = build(openai_config(fake_openai))
    async with asyncio.timeout(5):
        reply = await model.complete(QUESTION, on_text=on_text)

    assert received == ["Three", " tasks", " are", " open"]
    assert reply.text == "Three tasks are open"
    assert reply.finish_reason == "stop"
    assert reply.tool_calls == ()


async def test_tool_calls_are_assembled_from_streamed_fragments(
    fake_openai: FakeOpenAI, build: Build
) -> None:
    fake_openai.script(
        Reply(
            text=chunks("Creating both."),
            tool_calls=[
                tool_call("create_task", {"title": "Write launch notes"}, id="call_a", pieces=4),
                tool_call("create_task", '{"title": "Broken', id="call_b", pieces=2),
            ],
            usage=Usage(50, 20),
        )
    )
    model = build(openai_config(fake_openai))

    reply = await model.complete(QUESTION, tools=[CREATE_TASK])

    assert reply.tool_calls == (
        ToolCall(id="call_a", name="create_task", arguments={"title": "Write launch notes"}),
        ToolCall(id="call_b", name="create_task", arguments={"_raw": '{"title": "Broken'}),
    )
    assert reply.text == "Creating both."
    assert reply.finish_reason == "tool_calls"


async def test_usage_is_the_providers_when_it_reports_one(
    fake_openai: FakeOpenAI, build: Build
) -> None:
    fake_openai.script(Reply(text=chunks("Done."), usage=Usage(123, 45)))
    model = build(openai_config(fake_openai))

    reply = await model.complete(QUESTION)

    assert reply.usage == TokenUsage(input_tokens=123, output_tokens=45, estimated=False)
    assert reply.raw_usage["total_tokens"] == 168
    body = fake_openai.requests[0].body
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}


async def test_usage_is_estimated_locally_when_the_server_reports_none(
    fake_openai: FakeOpenAI, build: Build
) -> None:
    fake_openai.script(
        Reply(text=chunks("Three tasks are open"), tool_calls=[tool_call("create_task", {})])
    )
    model = build(openai_config(fake_openai, provider="openai-compatible", model="llama3.1"))

    reply = await model.complete(QUESTION, tools=[CREATE_TASK])

    assert reply.usage.estimated is True
    assert reply.usage.input_tokens > 0
    assert reply.usage.output_tokens > 0
    assert reply.usage == estimate_usage(
        QUESTION,
        [CREATE_TASK],
        model="llama3.1",
        reply_text="Three tasks are open",
        reply_tool_calls=reply.tool_calls,
    )


async def test_a_conversation_with_tool_turns_is_sent_in_openai_format(
    fake_openai: FakeOpenAI, build: Build
) -> None:
    fake_openai.script(Reply(text=chunks("Created."), usage=Usage(80, 2)))
    call = ToolCall(id="call_7", name="create_task", arguments={"title": "Ship"})
    conversation = [
        *QUESTION,
        ChatMessage(Speaker.ASSISTANT, tool_calls=(call,)),
        ChatMessage(Speaker.TOOL, '{"id": 42}', tool_call_id="call_7", tool_name="create_task"),
        ChatMessage(Speaker.ASSISTANT, "Created task 42."),
        ChatMessage(Speaker.USER, "Thanks"),
    ]
    model = build(openai_config(fake_openai))

    await model.complete(conversation, tools=[CREATE_TASK], max_output_tokens=300)

    body = fake_openai.requests[0].body
    assert body["model"] == "gpt-4o-mini"
    assert body["messages"] == [
        {"role": "system", "content": "You are the SetGet assistant."},
        {"role": "user", "content": "What is open in the launch project?"},
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "id": "call_7",
                    "type": "function",
                    "function": {"name": "create_task", "arguments": '{"title": "Ship"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_7", "content": '{"id": 42}'},
        {"role": "assistant", "content": "Created task 42."},
        {"role": "user", "content": "Thanks"},
    ]
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "create_task",
                "description": "Create a task in a project",
                "parameters": {"type": "object", "properties": {"title": {"type": "string"}}},
            },
        }
    ]
    assert body["max_completion_tokens"] == 300
    assert "max_tokens" not in body


async def test_a_malformed_tool_call_goes_back_exactly_as_the_model_wrote_it(
    fake_openai: FakeOpenAI, build: Build
) -> None:
    fake_openai.script(Reply(text=chunks("ok"), usage=Usage(1, 1)))
    bad = ToolCall(id="call_1", name="create_task", arguments={"_raw": '{"title": '})
    model = build(openai_config(fake_openai))

    await model.complete([*QUESTION, ChatMessage(Speaker.ASSISTANT, tool_calls=(bad,))])

    sent = fake_openai.requests[0].body["messages"][-1]["tool_calls"][0]
    assert sent["function"]["arguments"] == '{"title": '


async def test_an_openai_compatible_server_needs_no_key_and_never_gets_the_environments(
    fake_openai: FakeOpenAI, build: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-the-environment")
    fake_openai.script(Reply(text=chunks("Hi"), usage=Usage(5, 1)))
    config = LLMConfig(
        provider="openai-compatible", model="qwen2.5", base_url=fake_openai.url, api_key=None
    )
    model = build(config)

    reply = await model.complete(QUESTION, max_output_tokens=64)

    assert reply.text == "Hi"
    assert model.label == "openai-compatible qwen2.5"
    request = fake_openai.requests[0]
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer no-key"
    assert b"sk-from-the-environment" not in request.raw
    assert request.body["max_tokens"] == 64
    assert "max_completion_tokens" not in request.body


async def test_azure_calls_the_deployment_path_with_api_version_and_api_key_header(
    fake_openai: FakeOpenAI, build: Build
) -> None:
    fake_openai.script(Reply(text=chunks("Hello from Azure"), usage=Usage(9, 3)))
    config = LLMConfig(
        provider="azure",
        api_key=KEY,
        base_url=fake_openai.endpoint,
        azure_deployment="setget-chat",
        api_version="2024-10-21",
    )
    model = build(config)

    reply = await model.complete(QUESTION)

    assert reply.text == "Hello from Azure"
    assert model.label == "azure deployment setget-chat"
    request = fake_openai.requests[0]
    assert request.path == "/openai/deployments/setget-chat/chat/completions"
    assert request.query == {"api-version": "2024-10-21"}
    assert request.headers["api-key"] == KEY
    assert "authorization" not in request.headers
