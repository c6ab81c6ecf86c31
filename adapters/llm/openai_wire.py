"""Chat messages and tools in the OpenAI chat-completions wire format."""

from __future__ import annotations

import json
from collections.abc import Sequence

from openai.types.chat import (
    ChatCompletionAssistantMessageParam,
    ChatCompletionFunctionToolParam,
    ChatCompletionMessageFunctionToolCallParam,
    ChatCompletionMessageParam,
)

from core.errors import InvalidInput
from core.llm import ChatMessage, Speaker, ToolCall, ToolSpec


def arguments_json(call: ToolCall) -> str:
    """The arguments as the model wrote them; a malformed payload goes back unchanged."""
    raw = call.arguments.get("_raw")
    if len(call.arguments) == 1 and isinstance(raw, str):
        return raw
    return json.dumps(dict(call.arguments))


def _tool_call(call: ToolCall) -> ChatCompletionMessageFunctionToolCallParam:
    return {
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": arguments_json(call)},
    }


def _assistant(message: ChatMessage) -> ChatCompletionAssistantMessageParam:
    turn: ChatCompletionAssistantMessageParam = {"role": "assistant"}
    if message.text or not message.tool_calls:
        turn["content"] = message.text
    if message.tool_calls:
        turn["tool_calls"] = [_tool_call(call) for call in message.tool_calls]
    return turn


def to_openai_message(message: ChatMessage) -> ChatCompletionMessageParam:
    if message.speaker is Speaker.SYSTEM:
        return {"role": "system", "content": message.text}
    if message.speaker is Speaker.USER:
        return {"role": "user", "content": message.text}
    if message.speaker is Speaker.ASSISTANT:
        return _assistant(message)
    if message.tool_call_id is None:
        raise InvalidInput("a tool turn needs the id of the tool call it answers")
    return {"role": "tool", "tool_call_id": message.tool_call_id, "content": message.text}


def to_openai_messages(messages: Sequence[ChatMessage]) -> list[ChatCompletionMessageParam]:
    return [to_openai_message(message) for message in messages]


def to_openai_tools(tools: Sequence[ToolSpec]) -> list[ChatCompletionFunctionToolParam]:
    return [
        {
            "type": "function",
            "function": {
                "name": tool.name,
                "description": tool.description,
                "parameters": dict(tool.parameters),
            },
        }
        for tool in tools
    ]
