"""`ChatModel` over the Anthropic messages API, streamed as raw server-sent events."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import anthropic
from anthropic.types import (
    InputJSONDelta,
    MessageParam,
    RawContentBlockDeltaEvent,
    RawContentBlockStartEvent,
    RawMessageDeltaEvent,
    RawMessageStartEvent,
    RawMessageStreamEvent,
    TextBlock,
    TextDelta,
    ToolParam,
    ToolUseBlock,
)

from adapters.llm.anthropic_wire import to_anthropic_messages, to_anthropic_tools
from adapters.llm.assembly import ReplyAssembly, TextOutlet
from adapters.llm.retry import DEFAULT_ANSWER_DEADLINE, RetryPolicy
from adapters.llm.sdk_model import SdkChatModel
from core.credits.pricing import TokenUsage
from core.llm import ChatMessage, LLMReply, OnText, ToolSpec

logger = logging.getLogger(__name__)

DEFAULT_MAX_OUTPUT_TOKENS = 4096  # the API requires a limit on every call


class AnthropicChatModel(SdkChatModel[anthropic.AsyncAnthropic]):
    """One Claude model behind an `anthropic.AsyncAnthropic` client built with `max_retries=0`."""

    def __init__(
        self,
        client: anthropic.AsyncAnthropic,
        *,
        model: str,
        label: str | None = None,
        retry: RetryPolicy | None = None,
        default_max_output_tokens: int = DEFAULT_MAX_OUTPUT_TOKENS,
        answer_deadline: float = DEFAULT_ANSWER_DEADLINE,
    ) -> None:
        self._answer_deadline = answer_deadline  # seconds one attempt may stream at most
        if client.max_retries != 0:
            raise ValueError("build the Anthropic client with max_retries=0; RetryPolicy retries")
        super().__init__(client=client, label=label or f"anthropic {model}")
        self._model = model
        self._retry = retry or RetryPolicy()
        self._default_max_output_tokens = default_max_output_tokens

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        tools: Sequence[ToolSpec] = (),
        on_text: OnText | None = None,
        max_output_tokens: int | None = None,
    ) -> LLMReply:
        system, turns = to_anthropic_messages(messages)
        wire_tools = to_anthropic_tools(tools)
        limit = max_output_tokens or self._default_max_output_tokens
        outlet = TextOutlet(on_text)
        logger.debug("%s: %d turns, %d tools", self._label, len(turns), len(wire_tools))

        async def attempt() -> ReplyAssembly:
            async with asyncio.timeout(self._answer_deadline):
                return await self._stream(system, turns, wire_tools, outlet, limit)

        assembly = await self._retry.run(
            attempt,
            provider="anthropic",
            subject=f"model {self._model!r}",
            server=self._server,
            may_retry=lambda: not outlet.started,
        )
        return await assembly.reply(messages, tools)

    async def _stream(
        self,
        system: str,
        turns: list[MessageParam],
        tools: list[ToolParam],
        outlet: TextOutlet,
        limit: int,
    ) -> ReplyAssembly:
        stream = await self._client.messages.create(
            model=self._model,
            max_tokens=limit,
            messages=turns,
            system=system or anthropic.omit,
            tools=tools or anthropic.omit,
            stream=True,
        )
        assembly = _AnthropicAssembly(outlet, model=self._model, max_output_tokens=limit)
        async with stream:
            async for event in stream:
                await assembly.absorb(event)
                if assembly.full:
                    logger.warning("%s: the answer reached its output limit; cut", self._label)
                    assembly.cut_off()
                    break
        return assembly


def _input_total(usage: Any) -> int:
    """Input tokens including prompt-cache writes and reads, which are billed as input too."""
    return int(
        (usage.input_tokens or 0)
        + (usage.cache_creation_input_tokens or 0)
        + (usage.cache_read_input_tokens or 0)
    )


class _AnthropicAssembly(ReplyAssembly):
    """Folds Anthropic stream events into a reply, keeping usage across start and delta."""

    async def absorb(self, event: RawMessageStreamEvent) -> None:
        if isinstance(event, RawMessageStartEvent):
            self.model = event.message.model or self.model
            usage = getattr(event.message, "usage", None)  # lenient parsing: may be missing
            if usage is not None:
                self._record_usage(_input_total(usage), usage.output_tokens, usage)
        elif isinstance(event, RawContentBlockStartEvent):
            await self._start_block(event)
        elif isinstance(event, RawContentBlockDeltaEvent):
            if isinstance(event.delta, TextDelta):
                await self.add_text(event.delta.text)
            elif isinstance(event.delta, InputJSONDelta):
                self.add_tool_fragment(event.index, arguments=event.delta.partial_json)
        elif isinstance(event, RawMessageDeltaEvent):
            self.finish_reason = event.delta.stop_reason or self.finish_reason
            usage = getattr(event, "usage", None)
            if usage is not None:  # counts here are cumulative; input may be left out
                known = self.usage.input_tokens if self.usage else 0
                given = known if usage.input_tokens is None else _input_total(usage)
                self._record_usage(given, usage.output_tokens, usage)

    async def _start_block(self, event: RawContentBlockStartEvent) -> None:
        block = event.content_block
        if isinstance(block, TextBlock):
            await self.add_text(block.text)
        elif isinstance(block, ToolUseBlock):
            initial = block.input if isinstance(block.input, dict) else None
            self.add_tool_fragment(event.index, call_id=block.id, name=block.name, initial=initial)

    def _record_usage(self, input_tokens: int, output_tokens: int, raw: Any) -> None:
        self.usage = TokenUsage(input_tokens=input_tokens, output_tokens=output_tokens)
        self.raw_usage = {**self.raw_usage, **raw.model_dump(exclude_none=True)}
