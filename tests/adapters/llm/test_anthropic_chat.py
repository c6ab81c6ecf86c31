"""The Anthropic adapter against a local server speaking the messages streaming format."""

from __future__ import annotations

import asyncio

from adapters.llm.factory import LLMConfig
from core.credits.pricing import TokenUsage
from core.llm import ChatMessage, Speaker, ToolCall, ToolSpec
from tests.adapters.llm.conftest import Build
from tests.adapters.llm.fake_servers import FakeAnthropic, Reply, Usage, chunks, tool_call

KEY = "sk-ant-test-0123456789abcdef"
QUESTION = [
    ChatMessage(Speaker.SYSTEM, "You are the SetGet assistant."),
    ChatMessage(Speaker.USER, "Close the two stale tasks."),
]
CLOSE_TASK = ToolSpec(
    name="close_task",
    description="Close a task",
    parameters={"type": "object", "properties": {"id": {"type": "integer"}}},
)


def anthropic_config(fake: FakeAnthropic) -> LLMConfig:
    return LLMConfig(
        provider="anthropic",
        model="claude-test",
        api_key=KEY,
        base_url=fake.url,
        retry_base_delay=0.01,
    )


async def test_text_reaches_on_text_in_order_while_the_reply_still_streams(
    fake_anthropic: FakeAnthropic, build: Build
) -> None:
    first_chunk_seen = asyncio.Event()
    fake_anthropic.script(
        Reply(text=chunks("Both are closed now"), gate=first_chunk_seen, usage=Usage(40, 6))
    )
    received: list[str] = []

    async def on_text(delta: str) -> None:
        received.append(delta)
        first_chunk_seen.set()

    model = build(anthropic_config(fake_anthropic))
    async with asyncio.timeout(5):
        reply = await model.complete(QUESTION, on_text=on_text)

    assert received == ["Both", " are", " closed", " now"]
    assert reply.text == "Both are closed now"
    assert reply.finish_reason == "end_turn"
    assert model.label == "anthropic claude-test"


async def test_tool_use_blocks_are_assembled_and_usage_comes_from_start_and_delta(
    fake_anthropic: FakeAnthropic, build: Build
) -> None:
    fake_anthropic.script(
        Reply(
            text=chunks("Closing them."),
            tool_calls=[
                tool_call("close_task", {"id": 11}, id="toolu_1", pieces=3),
                tool_call("close_task", {"id": 12}, id="toolu_2", pieces=2),
            ],
            usage=Usage(210, 33),
        )
    )
    model = build(anthropic_config(fake_anthropic))

    reply = await model.complete(QUESTION, tools=[CLOSE_TASK])

    assert reply.tool_calls == (
        ToolCall(id="toolu_1", name="close_task", arguments={"id": 11}),
        ToolCall(id="toolu_2", name="close_task", arguments={"id": 12}),
    )
    assert reply.text == "Closing them."
    assert reply.finish_reason == "tool_use"
    assert reply.usage == TokenUsage(input_tokens=210, output_tokens=33, estimated=False)


async def test_usage_is_estimated_locally_when_the_stream_reports_none(
    fake_anthropic: FakeAnthropic, build: Build
) -> None:
    fake_anthropic.script(Reply(text=chunks("Closed."), usage=None))
    model = build(anthropic_config(fake_anthropic))

    reply = await model.complete(QUESTION)

    assert reply.usage.estimated is True
    assert reply.usage.input_tokens > 0
    assert reply.usage.output_tokens > 0


async def test_a_conversation_is_sent_with_system_parameter_and_merged_tool_results(
    fake_anthropic: FakeAnthropic, build: Build
) -> None:
    fake_anthropic.script(Reply(text=chunks("Done."), usage=Usage(300, 2)))
    calls = (
        ToolCall(id="toolu_1", name="close_task", arguments={"id": 11}),
        ToolCall(id="toolu_2", name="close_task", arguments={"id": 12}),
    )
    conversation = [
        *QUESTION,
        ChatMessage(Speaker.ASSISTANT, "Closing them.", tool_calls=calls),
        ChatMessage(Speaker.TOOL, "closed 11", tool_call_id="toolu_1", tool_name="close_task"),
        ChatMessage(Speaker.TOOL, "closed 12", tool_call_id="toolu_2", tool_name="close_task"),
    ]
    model = build(anthropic_config(fake_anthropic))

    await model.complete(conversation, tools=[CLOSE_TASK])

    body = fake_anthropic.requests[0].body
    assert body["system"] == "You are the SetGet assistant."
    assert body["max_tokens"] == 4096
    assert body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "Close the two stale tasks."}]},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Closing them."},
                {"type": "tool_use", "id": "toolu_1", "name": "close_task", "input": {"id": 11}},
                {"type": "tool_use", "id": "toolu_2", "name": "close_task", "input": {"id": 12}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "closed 11"},
                {"type": "tool_result", "tool_use_id": "toolu_2", "content": "closed 12"},
            ],
        },
    ]
    assert body["tools"] == [
        {
            "name": "close_task",
            "description": "Close a task",
            "input_schema": {"type": "object", "properties": {"id": {"type": "integer"}}},
        }
    ]


async def test_the_output_limit_is_passed_as_max_tokens(
    fake_anthropic: FakeAnthropic, build: Build
) -> None:
    fake_anthropic.script(Reply(text=chunks("Short."), usage=Usage(10, 2)))
    model = build(anthropic_config(fake_anthropic))

    await model.complete([ChatMessage(Speaker.USER, "Be brief")], max_output_tokens=200)

    body = fake_anthropic.requests[0].body
    assert body["max_tokens"] == 200
    assert "system" not in body
    assert "tools" not in body
