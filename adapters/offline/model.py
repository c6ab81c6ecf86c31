"""A deterministic chat model for demos and tests: no network, no key, clearly labelled.

It reads the latest request, calls the same tools a real model would through the same loop,
then words the answer from the tool results. Its token usage is counted with the local
tokenizer over exactly the messages and tool definitions it received (marked estimated).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Sequence
from typing import Any

from adapters.llm.tokens import count_input, count_text
from adapters.offline import writer
from adapters.offline.intents import Intent, understand_follow_up
from core.credits.pricing import TokenUsage
from core.llm import ChatMessage, LLMReply, OnText, Speaker, ToolCall, ToolSpec

OFFLINE_LABEL = "offline demo model"
NOTICE = "(offline demo model: no LLM is configured, answers come from fixed rules)"
COUNTED_AS = "gpt-4o-mini"  # the tokenizer a typical hosted model would use
_PIECE = re.compile(r"\s*\S+\s*|\s+")  # a word with the spaces around it
HELP = (
    "I can answer questions like “How many open items are in the WEB project?”, “List all "
    "high-priority bugs assigned to me”, “Summarize Sprint 12 progress”, “Compare velocity "
    "across the last 4 sprints”, “Create a work item titled 'Fix header layout' in the WEB "
    "project”, “Update all Todo items in API project to In Progress” or “Write a sprint "
    "retrospective for Sprint 11”. Configure an LLM for anything else."
)


class OfflineModel:
    def __init__(self, *, pace: float = 0.0) -> None:
        self._pace = pace  # seconds between the pieces of a streamed answer (0: no pause)

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
        request, rounds, results = _since_request(messages)
        earlier = [m.text for m in messages if m.speaker is Speaker.USER][:-1]
        intent = understand_follow_up(request, earlier)
        calls = _next_calls(intent, rounds, results) if intent and tools else ()
        if calls:
            output = sum(
                count_text(c.name + json.dumps(c.arguments), model=COUNTED_AS) for c in calls
            )
            return self._reply("", calls, input_tokens, output)
        words = writer.answer(intent.style, results) if intent and results else HELP
        text = f"{NOTICE}\n{words}"
        if on_text:
            for piece in _PIECE.findall(text):  # word by word, as a hosted model streams
                await on_text(piece)
                if self._pace:
                    await asyncio.sleep(self._pace)
        return self._reply(text, (), input_tokens, count_text(text, model=COUNTED_AS))

    @staticmethod
    def _reply(text: str, calls: tuple[ToolCall, ...], input_tokens: int, output: int) -> LLMReply:
        usage = TokenUsage(input_tokens=input_tokens, output_tokens=output, estimated=True)
        return LLMReply(text=text, tool_calls=calls, usage=usage, model=OFFLINE_LABEL)


def _since_request(
    messages: Sequence[ChatMessage],
) -> tuple[str, int, list[tuple[str, Any]]]:
    """The latest request, how many tool rounds followed it, and their results in order."""
    start = max((i for i, m in enumerate(messages) if m.speaker is Speaker.USER), default=-1)
    later = messages[start + 1 :]
    rounds = sum(1 for m in later if m.speaker is Speaker.ASSISTANT and m.tool_calls)
    results = [(m.tool_name or "", json.loads(m.text)) for m in later if m.speaker is Speaker.TOOL]
    return (messages[start].text if start >= 0 else ""), rounds, results


def _next_calls(
    intent: Intent, rounds: int, results: list[tuple[str, Any]]
) -> tuple[ToolCall, ...]:
    """The calls of the next step of the intent's plan; none once the plan is done.

    A step with nothing to do given what was read (no current sprint to check) is skipped.
    """
    if rounds == 0:
        planned: tuple[tuple[str, dict[str, Any]], ...] = (
            (intent.tool, intent.arguments),
            *intent.with_first,
        )
    elif any("error" in r for _, r in results):
        return ()
    else:
        pending = [calls for step in intent.then if (calls := step(results))]
        if rounds > len(pending):
            return ()
        planned = pending[rounds - 1]
    return tuple(
        ToolCall(id=f"offline-{rounds}-{i}", name=name, arguments=args)
        for i, (name, args) in enumerate(planned)
    )
