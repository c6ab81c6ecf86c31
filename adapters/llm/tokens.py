"""Local token counts (bpe-openai) for providers that report no usage; always flagged estimated.

The count is an approximation of chat framing, following OpenAI's published recipe: each
message costs its role, its text and its tool calls plus `PER_MESSAGE` tokens, the reply is
primed with `REPLY_PRIMING` tokens, and tool definitions cost their JSON text. Other
providers' tokenizers differ; the provider's own `usage` is always preferred for charging.
"""

from __future__ import annotations

import functools
import json
import warnings
from collections.abc import Sequence
from typing import Any

from core.credits.pricing import TokenUsage
from core.llm import ChatMessage, ToolCall, ToolSpec

PER_MESSAGE = 3
REPLY_PRIMING = 3
DEFAULT_ENCODING = "o200k_base"
OLDER_ENCODING = "cl100k_base"
_OLDER_MODEL_PREFIXES = ("gpt-4-", "gpt-3.5", "gpt-35", "text-embedding-ada")
# bpe-openai refuses one text of more than 200k tokens; a character is at most 4 tokens.
_SLICE_CHARS = 40_000


def encoding_name_for(model: str) -> str:
    """`cl100k_base` for GPT-4 (not 4o/4.1) and GPT-3.5 models, `o200k_base` for the rest."""
    name = model.lower().rsplit("/", 1)[-1]
    if name == "gpt-4" or name.startswith(_OLDER_MODEL_PREFIXES):
        return OLDER_ENCODING
    return DEFAULT_ENCODING


@functools.cache
def _encoding(name: str) -> Any:
    # Imported on first use: importing bpe-openai loads every bundled vocabulary (about a
    # second), and its loader calls a deprecated importlib.resources function.
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="open_binary is deprecated", category=DeprecationWarning
        )
        import bpe_openai  # type: ignore[import-untyped]

        return bpe_openai.get_encoding(name)


def load_encoding(model: str) -> Any:
    """The tokenizer for `model`, loaded once; call it from the event loop's thread."""
    return _encoding(encoding_name_for(model))


def count_text(text: str, *, model: str) -> int:
    """Tokens in `text`; special-token markers count as ordinary text."""
    encoding = load_encoding(model)
    return sum(
        len(encoding.encode_ordinary(text[start : start + _SLICE_CHARS]))
        for start in range(0, len(text), _SLICE_CHARS)
    )


def _tool_calls_text(calls: Sequence[ToolCall]) -> str:
    return "".join(call.name + json.dumps(dict(call.arguments)) for call in calls)


def count_input(messages: Sequence[ChatMessage], tools: Sequence[ToolSpec], *, model: str) -> int:
    """Tokens of the prompt as sent: messages with their framing, plus the tool definitions."""
    total = REPLY_PRIMING
    for message in messages:
        text = message.speaker.value + message.text + _tool_calls_text(message.tool_calls)
        text += message.tool_call_id or ""
        total += PER_MESSAGE + count_text(text, model=model)
    if tools:
        definitions = [
            {"name": t.name, "description": t.description, "parameters": dict(t.parameters)}
            for t in tools
        ]
        total += count_text(json.dumps(definitions), model=model)
    return total


def estimate_usage(
    messages: Sequence[ChatMessage],
    tools: Sequence[ToolSpec],
    *,
    model: str,
    reply_text: str,
    reply_tool_calls: Sequence[ToolCall],
) -> TokenUsage:
    """A local estimate of one call's usage, for a provider that reported none."""
    output = count_text(reply_text + _tool_calls_text(reply_tool_calls), model=model)
    return TokenUsage(
        input_tokens=count_input(messages, tools, model=model),
        output_tokens=output,
        estimated=True,
    )
