"""One reply built from streamed pieces: text forwarded as it arrives, tool calls from fragments."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from adapters.llm.tokens import estimate_usage, load_encoding
from core.credits.pricing import TokenUsage
from core.llm import ChatMessage, LLMReply, OnText, ToolCall, ToolSpec


class TextOutlet:
    """Forwards text deltas to the person and remembers whether any reached them.

    One outlet lives across the attempts of a call: once it has forwarded text, a retry would
    show the person the same words twice, so the retry policy asks `started` first.
    """

    def __init__(self, on_text: OnText | None) -> None:
        self._on_text = on_text
        self.started = False

    async def send(self, text: str) -> None:
        if not text or self._on_text is None:
            return
        self.started = True
        await self._on_text(text)


@dataclass
class _ToolDraft:
    id: str
    name: str
    arguments: list[str] = field(default_factory=list)
    initial: Mapping[str, Any] | None = None


def parse_arguments(text: str, initial: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    """Tool arguments from their streamed JSON; malformed JSON arrives as `{"_raw": text}`."""
    if not text.strip():
        return dict(initial or {})
    try:
        value = json.loads(text)
    except ValueError:
        return {"_raw": text}
    return value if isinstance(value, dict) else {"_raw": text}


class ReplyAssembly:
    """The pieces of one streamed attempt, in the order they arrived.

    `max_output_tokens` bounds what a server may stream (one that ignores the limit it was
    sent, or never ends): once about that many tokens arrived, `full` turns True and the
    model stops reading (`cut_off`); the usage is then counted locally.
    """

    def __init__(
        self, outlet: TextOutlet, *, model: str, max_output_tokens: int | None = None
    ) -> None:
        self._outlet = outlet
        self._limit = max_output_tokens
        self._streamed = 0  # output tokens streamed, roughly: four characters each
        self.cut = False
        self._text: list[str] = []
        self._drafts: list[_ToolDraft] = []
        self._by_key: dict[int, _ToolDraft] = {}
        self.model = model
        self.finish_reason = ""
        self.usage: TokenUsage | None = None
        self.raw_usage: Mapping[str, Any] = {}

    async def add_text(self, text: str) -> None:
        if text:
            self._text.append(text)
            self._streamed += math.ceil(len(text) / 4)
            await self._outlet.send(text)

    @property
    def full(self) -> bool:
        """Whether the output limit was reached: the server should have stopped by now."""
        return self._limit is not None and self._streamed >= self._limit

    def cut_off(self) -> None:
        """Stop here: the reply is what arrived, as if the server had hit its limit."""
        self.cut, self.finish_reason = True, "length"

    def add_tool_fragment(
        self,
        key: int,
        *,
        call_id: str | None = None,
        name: str | None = None,
        arguments: str = "",
        initial: Mapping[str, Any] | None = None,
    ) -> None:
        """Merge one fragment of the tool call at `key` (a new id at a used key starts a call)."""
        draft = self._by_key.get(key)
        if draft is None or (call_id and draft.id and call_id != draft.id):
            draft = _ToolDraft(id=call_id or "", name=name or "", initial=initial)
            self._drafts.append(draft)
            self._by_key[key] = draft
        draft.id = draft.id or call_id or ""
        draft.name = draft.name or name or ""
        if arguments:
            draft.arguments.append(arguments)
            self._streamed += math.ceil(len(arguments) / 4)

    @property
    def text(self) -> str:
        return "".join(self._text)

    def tool_calls(self) -> tuple[ToolCall, ...]:
        return tuple(
            ToolCall(
                id=draft.id or f"call_{position}",
                name=draft.name,
                arguments=parse_arguments("".join(draft.arguments), draft.initial),
            )
            for position, draft in enumerate(self._drafts)
        )

    async def reply(self, messages: Sequence[ChatMessage], tools: Sequence[ToolSpec]) -> LLMReply:
        """The finished reply; usage is counted locally when the provider reported none."""
        calls = self.tool_calls()
        usage = None if self.cut else self.usage  # a cut stream's usage, if any, is stale
        if usage is None:
            load_encoding(self.model)  # once, here: loading swaps warning filters (not thread-safe)
            usage = await asyncio.to_thread(
                estimate_usage,
                messages,
                tools,
                model=self.model,
                reply_text=self.text,
                reply_tool_calls=calls,
            )
        return LLMReply(
            text=self.text,
            tool_calls=calls,
            usage=usage,
            model=self.model,
            finish_reason=self.finish_reason,
            raw_usage=dict(self.raw_usage),
        )
