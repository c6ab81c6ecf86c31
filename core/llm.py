"""The LLM port: chat messages, tools the model may call, replies with token usage.

Adapters in `adapters/llm/` speak each provider's wire format (OpenAI, Azure OpenAI,
Anthropic, any OpenAI-compatible endpoint) and translate to and from these types.

Errors: `ProviderError` (in `core.errors`) and its subclasses `ProviderTimeout`,
`ProviderUnavailable` (5xx, connection refused), `ProviderRateLimited` (429 after retries),
`ProviderRejected` (4xx: bad key, unknown model): an interaction that ends with one is never
charged.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from core.credits.pricing import TokenUsage


class Speaker(enum.StrEnum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"


@dataclass(frozen=True)
class ToolSpec:
    """A tool the model may call; `parameters` is a JSON Schema object."""

    name: str
    description: str
    parameters: Mapping[str, Any]


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: Mapping[str, Any]  # parsed JSON; a malformed payload arrives as {"_raw": text}


@dataclass(frozen=True)
class ChatMessage:
    speaker: Speaker
    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()  # what an assistant turn asked for
    tool_call_id: str | None = None  # which call a tool turn answers
    tool_name: str | None = None


@dataclass(frozen=True)
class LLMReply:
    """One model call: its text (possibly empty), tool calls, and what it cost in tokens."""

    text: str
    tool_calls: tuple[ToolCall, ...]
    usage: TokenUsage  # `estimated` when the provider reported none and it was counted here
    model: str
    finish_reason: str = ""
    raw_usage: Mapping[str, Any] = field(default_factory=dict)


OnText = Callable[[str], Awaitable[None]]


class ChatModel(Protocol):
    """One configured model. `complete` streams text deltas to `on_text` as they arrive."""

    @property
    def label(self) -> str:
        """What replies may say about the model, e.g. `openai gpt-4o-mini`; never a key."""
        ...

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        tools: Sequence[ToolSpec] = (),
        on_text: OnText | None = None,
        max_output_tokens: int | None = None,
    ) -> LLMReply: ...
