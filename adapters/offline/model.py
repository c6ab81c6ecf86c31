"""A deterministic chat model for demos and tests: no network, no key, clearly labelled.

It reads the latest request, calls the same tools a real model would through the same loop,
then words the answer from the tool results. Its token usage is counted with the local
tokenizer over exactly the messages and tool definitions it received (marked estimated).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from adapters.llm.tokens import count_input, count_text
from adapters.offline import writer
from adapters.offline.intents import understand
from core.credits.pricing import TokenUsage
from core.llm import ChatMessage, LLMReply, OnText, Speaker, ToolCall, ToolSpec

OFFLINE_LABEL = "offline demo model"
NOTICE = "(offline demo model: no LLM is configured, answers come from fixed rules)"
COUNTED_AS = "gpt-4o-mini"  # the tokenizer a typical hosted model would use
HELP = (
    "I can answer questions like “How many open items are in the WEB project?”, “List all "
    "high-priority bugs assigned to me”, “Summarize Sprint 12 progress”, “Compare velocity "
    "across the last 4 sprints”, “Create a work item titled 'Fix header layout' in the WEB "
    "project”, “Update all Todo items in API project to In Progress” or “Write a sprint "
    "retrospective for Sprint 11”. Configure an LLM for anything else."
)


class OfflineModel:
    @property
    def label(self) -> str:
        return OFFLINE_LABEL

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        tools: Sequence[ToolSpec] = (),
        on_text: OnText | None = None,
        max_output_tokens: int | None = None,
    ) -> LLMReply:
        input_tokens = count_input(messages, tools, model=COUNTED_AS)
        request = next((m.text for m in reversed(messages) if m.speaker is Speaker.USER), "")
        intent = understand(request)
        if messages[-1].speaker is not Speaker.TOOL and intent is not None and tools:
            call = ToolCall(
                id=f"offline-{len(messages)}", name=intent.tool, arguments=intent.arguments
            )
            output = count_text(call.name + json.dumps(call.arguments), model=COUNTED_AS)
            return self._reply("", (call,), input_tokens, output)
        text = f"{NOTICE}\n{self._words(messages, intent.style if intent else '')}"
        if on_text:
            for line in text.splitlines(keepends=True):
                await on_text(line)
        return self._reply(text, (), input_tokens, count_text(text, model=COUNTED_AS))

    @staticmethod
    def _words(messages: Sequence[ChatMessage], style: str) -> str:
        results = []
        for message in reversed(messages):
            if message.speaker is not Speaker.TOOL:
                break
            results.append(message)
        if not results:
            return HELP
        return "\n\n".join(
            writer.answer(m.tool_name or "", style, json.loads(m.text)) for m in reversed(results)
        )

    @staticmethod
    def _reply(text: str, calls: tuple[ToolCall, ...], input_tokens: int, output: int) -> LLMReply:
        usage = TokenUsage(input_tokens=input_tokens, output_tokens=output, estimated=True)
        return LLMReply(text=text, tool_calls=calls, usage=usage, model=OFFLINE_LABEL)
