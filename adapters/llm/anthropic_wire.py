"""Chat messages and tools in the Anthropic messages wire format.

System turns become the top-level `system` parameter (joined in order); an assistant turn
carries `tool_use` blocks; tool results are `tool_result` blocks in a user turn, and
consecutive turns of one role are merged, so the roles alternate as the API expects.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from anthropic.types import ContentBlockParam, MessageParam, ToolParam

from core.errors import InvalidInput
from core.llm import ChatMessage, Speaker, ToolSpec

Role = Literal["user", "assistant"]


def _blocks(message: ChatMessage) -> tuple[Role, list[ContentBlockParam]]:
    if message.speaker is Speaker.TOOL:
        if message.tool_call_id is None:
            raise InvalidInput("a tool turn needs the id of the tool call it answers")
        result: ContentBlockParam = {
            "type": "tool_result",
            "tool_use_id": message.tool_call_id,
            "content": message.text,
        }
        return "user", [result]
    blocks: list[ContentBlockParam] = []
    if message.text:  # the API refuses empty text blocks
        blocks.append({"type": "text", "text": message.text})
    if message.speaker is Speaker.USER:
        return "user", blocks
    blocks.extend(
        {"type": "tool_use", "id": call.id, "name": call.name, "input": dict(call.arguments)}
        for call in message.tool_calls
    )
    return "assistant", blocks


def _turn(role: Role, blocks: list[ContentBlockParam]) -> MessageParam:
    if role == "user":
        return {"role": "user", "content": blocks}
    return {"role": "assistant", "content": blocks}


def to_anthropic_messages(messages: Sequence[ChatMessage]) -> tuple[str, list[MessageParam]]:
    """The `system` text and the alternating user/assistant turns."""
    system: list[str] = []
    turns: list[tuple[Role, list[ContentBlockParam]]] = []
    for message in messages:
        if message.speaker is Speaker.SYSTEM:
            system.append(message.text)
            continue
        role, blocks = _blocks(message)
        if not blocks:
            continue
        if turns and turns[-1][0] == role:
            turns[-1][1].extend(blocks)
        else:
            turns.append((role, blocks))
    return "\n\n".join(part for part in system if part), [_turn(r, b) for r, b in turns]


def to_anthropic_tools(tools: Sequence[ToolSpec]) -> list[ToolParam]:
    return [
        {"name": tool.name, "description": tool.description, "input_schema": dict(tool.parameters)}
        for tool in tools
    ]
