"""The SSE events and error bodies the fake LLM servers send, in each provider's format."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.adapters.llm.fake_servers import Reply, ScriptedToolCall, Usage

Event = dict[str, Any]

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
}


def sse(data: Event | str, *, name: str | None = None) -> bytes:
    """One server-sent event."""
    payload = data if isinstance(data, str) else json.dumps(data)
    prefix = f"event: {name}\n" if name else ""
    return f"{prefix}data: {payload}\n\n".encode()


def error_body(provider: str, status: int, message: str) -> Event:
    kind = _ERROR_TYPES.get(status, "api_error")
    if provider == "anthropic":
        return {"type": "error", "error": {"type": kind, "message": message}}
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def split(text: str, pieces: int) -> list[str]:
    """`text` cut into at most `pieces` non-empty consecutive parts."""
    size = max(1, -(-len(text) // max(1, pieces)))
    return [text[start : start + size] for start in range(0, len(text), size)] or [""]


def _openai_chunk(model: str, delta: Event, finish: str | None = None) -> Event:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def _openai_tool_chunks(model: str, index: int, call: ScriptedToolCall) -> list[Event]:
    opening = {
        "index": index,
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": ""},
    }
    pieces = [
        {"index": index, "function": {"arguments": part}}
        for part in split(call.arguments, call.pieces)
    ]
    return [_openai_chunk(model, {"tool_calls": [fragment]}) for fragment in (opening, *pieces)]


def openai_events(
    reply: Reply, *, model: str, usage: Usage | None
) -> tuple[list[Event], list[Event]]:
    """Chat-completion chunks: (role and text chunks, tool calls + finish + usage)."""
    head = [_openai_chunk(model, {"role": "assistant", "content": ""})]
    head += [_openai_chunk(model, {"content": text}) for text in reply.text]
    tail: list[Event] = []
    for index, call in enumerate(reply.tool_calls):
        tail += _openai_tool_chunks(model, index, call)
    finish = reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")
    tail.append(_openai_chunk(model, {}, finish))
    if usage is not None:
        total = usage.input_tokens + usage.output_tokens
        final = {**_openai_chunk(model, {}), "choices": []}
        final["usage"] = {
            "prompt_tokens": usage.input_tokens,
            "completion_tokens": usage.output_tokens,
            "total_tokens": total,
        }
        tail.append(final)
    return head, tail


def _anthropic_start(reply: Reply, model: str) -> Event:
    message: Event = {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
    }
    if reply.usage is not None:
        message["usage"] = {"input_tokens": reply.usage.input_tokens, "output_tokens": 1}
    return {"type": "message_start", "message": message}


def _anthropic_tool_events(index: int, call: ScriptedToolCall) -> list[Event]:
    block = {"type": "tool_use", "id": call.id, "name": call.name, "input": {}}
    events: list[Event] = [{"type": "content_block_start", "index": index, "content_block": block}]
    events += [
        {
            "type": "content_block_delta",
            "index": index,
            "delta": {"type": "input_json_delta", "partial_json": part},
        }
        for part in split(call.arguments, call.pieces)
    ]
    events.append({"type": "content_block_stop", "index": index})
    return events


def anthropic_events(reply: Reply, *, model: str) -> tuple[list[Event], list[Event]]:
    """Messages stream events: (start and text deltas, the rest through message_stop)."""
    head: list[Event] = [_anthropic_start(reply, model), {"type": "ping"}]
    tail: list[Event] = []
    first_tool = 0
    if reply.text:
        text_block = {"type": "text", "text": ""}
        head.append({"type": "content_block_start", "index": 0, "content_block": text_block})
        head += [
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": t}}
            for t in reply.text
        ]
        tail.append({"type": "content_block_stop", "index": 0})
        first_tool = 1
    for offset, call in enumerate(reply.tool_calls):
        tail += _anthropic_tool_events(first_tool + offset, call)
    stop = reply.finish_reason or ("tool_use" if reply.tool_calls else "end_turn")
    delta: Event = {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None}}
    if reply.usage is not None:
        delta["usage"] = {"output_tokens": reply.usage.output_tokens}
    tail += [delta, {"type": "message_stop"}]
    return head, tail
