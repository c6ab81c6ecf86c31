"""`ChatModel` over the OpenAI chat-completions API: OpenAI, Azure OpenAI, vLLM, Ollama, ..."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import openai
from openai.types.chat import (
    ChatCompletionChunk,
    ChatCompletionFunctionToolParam,
    ChatCompletionMessageParam,
)

from adapters.llm.assembly import ReplyAssembly, TextOutlet
from adapters.llm.openai_wire import to_openai_messages, to_openai_tools
from adapters.llm.retry import DEFAULT_ANSWER_DEADLINE, RetryPolicy
from adapters.llm.sdk_model import SdkChatModel
from core.credits.pricing import TokenUsage
from core.llm import ChatMessage, LLMReply, OnText, ToolSpec

logger = logging.getLogger(__name__)

# OpenAI and Azure want `max_completion_tokens` (reasoning models refuse `max_tokens`);
# self-hosted OpenAI-compatible servers reliably understand only `max_tokens`.
_COMPLETION_TOKENS_PROVIDERS = frozenset({"openai", "azure"})
DEFAULT_OUTPUT_BOUND = 4096  # not sent (a reasoning model's limit counts hidden tokens too)


class OpenAIChatModel(SdkChatModel[openai.AsyncOpenAI]):
    """One model (or Azure deployment) behind an `openai.AsyncOpenAI` client.

    The client must be built with `max_retries=0`: retries follow `retry`, which never
    repeats a call whose text already reached the person.
    """

    def __init__(
        self,
        client: openai.AsyncOpenAI,
        *,
        model: str,
        provider: str = "openai",
        label: str | None = None,
        retry: RetryPolicy | None = None,
        output_bound: int = DEFAULT_OUTPUT_BOUND,
        answer_deadline: float = DEFAULT_ANSWER_DEADLINE,
    ) -> None:
        if client.max_retries != 0:
            raise ValueError("build the OpenAI client with max_retries=0; RetryPolicy retries")
        self._output_bound = output_bound  # tokens read at most when the call names no limit
        self._answer_deadline = answer_deadline  # seconds one attempt may stream at most
        super().__init__(client=client, label=label or f"{provider} {model}")
        self._model = model
        self._provider = provider
        self._retry = retry or RetryPolicy()
        kind = "deployment" if provider == "azure" else "model"
        self._subject = f"{kind} {model!r}"

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        tools: Sequence[ToolSpec] = (),
        on_text: OnText | None = None,
        max_output_tokens: int | None = None,
    ) -> LLMReply:
        wire_messages = to_openai_messages(messages)
        wire_tools = to_openai_tools(tools)
        outlet = TextOutlet(on_text)
        logger.debug("%s: %d messages, %d tools", self._label, len(wire_messages), len(wire_tools))

        async def attempt() -> ReplyAssembly:
            async with asyncio.timeout(self._answer_deadline):
                return await self._stream(wire_messages, wire_tools, outlet, max_output_tokens)

        assembly = await self._retry.run(
            attempt,
            provider=self._provider,
            subject=self._subject,
            server=self._server,
            may_retry=lambda: not outlet.started,
        )
        return await assembly.reply(messages, tools)

    async def _stream(
        self,
        messages: list[ChatCompletionMessageParam],
        tools: list[ChatCompletionFunctionToolParam],
        outlet: TextOutlet,
        max_output_tokens: int | None,
    ) -> ReplyAssembly:
        limit = openai.omit if max_output_tokens is None else max_output_tokens
        by_completion = self._provider in _COMPLETION_TOKENS_PROVIDERS
        stream = await self._client.chat.completions.create(
            model=self._model,
            messages=messages,
            tools=tools or openai.omit,
            stream=True,
            stream_options={"include_usage": True},
            max_completion_tokens=limit if by_completion else openai.omit,
            max_tokens=openai.omit if by_completion else limit,
        )
        assembly = ReplyAssembly(
            outlet, model=self._model, max_output_tokens=max_output_tokens or self._output_bound
        )
        async with stream:
            async for chunk in stream:
                await _absorb(chunk, assembly)
                if assembly.full:
                    logger.warning("%s: the answer reached its output limit; cut", self._label)
                    assembly.cut_off()
                    break
        return assembly


async def _absorb(chunk: ChatCompletionChunk, assembly: ReplyAssembly) -> None:
    """Fold one streamed chunk into the reply (only the first choice is used)."""
    if chunk.model:
        assembly.model = chunk.model
    if chunk.usage is not None:
        assembly.usage = TokenUsage(
            input_tokens=chunk.usage.prompt_tokens or 0,
            output_tokens=chunk.usage.completion_tokens or 0,
        )
        assembly.raw_usage = chunk.usage.model_dump(exclude_none=True)
    for choice in chunk.choices:
        if choice.index != 0:
            continue
        delta = choice.delta
        if delta.content:
            await assembly.add_text(delta.content)
        for fragment in delta.tool_calls or ():
            function = fragment.function
            assembly.add_tool_fragment(
                fragment.index,
                call_id=fragment.id,
                name=function.name if function else None,
                arguments=(function.arguments or "") if function else "",
            )
        if choice.finish_reason:
            assembly.finish_reason = choice.finish_reason
