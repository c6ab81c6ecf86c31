"""Local token estimates with the bundled bpe-openai vocabularies."""

from __future__ import annotations

import pytest

from adapters.llm.tokens import count_input, count_text, encoding_name_for, estimate_usage
from core.llm import ChatMessage, Speaker, ToolCall, ToolSpec

MESSAGES = [
    ChatMessage(Speaker.SYSTEM, "You are the SetGet assistant."),
    ChatMessage(Speaker.USER, "How many tasks are open?"),
]


@pytest.mark.parametrize(
    ("model", "encoding"),
    [
        ("gpt-4o-mini", "o200k_base"),
        ("gpt-4.1", "o200k_base"),
        ("llama3.1", "o200k_base"),
        ("gpt-4", "cl100k_base"),
        ("gpt-4-turbo", "cl100k_base"),
        ("gpt-3.5-turbo", "cl100k_base"),
        ("gpt-35-turbo", "cl100k_base"),
    ],
)
def test_older_models_use_cl100k_and_everything_else_o200k(model: str, encoding: str) -> None:
    assert encoding_name_for(model) == encoding


def test_text_is_counted_with_the_models_vocabulary() -> None:
    assert count_text("", model="gpt-4o") == 0
    assert count_text("hello world", model="gpt-4o") == 2
    assert count_text("<|endoftext|>", model="gpt-4o") > 1  # a marker is plain text here


def test_a_text_beyond_the_tokenizers_single_call_limit_is_still_counted() -> None:
    text = "".join(chr(0x4E00 + (i * 7919) % 20_000) for i in range(220_000))

    assert count_text(text, model="gpt-4o") > 200_000


def test_the_estimate_covers_framing_tools_and_tool_calls() -> None:
    tool = ToolSpec("create_task", "Create a task", {"type": "object"})
    call = ToolCall(id="call_1", name="create_task", arguments={"title": "Ship it"})
    plain = estimate_usage(MESSAGES, [], model="gpt-4o", reply_text="Two.", reply_tool_calls=())
    with_tools = estimate_usage(
        MESSAGES, [tool], model="gpt-4o", reply_text="Two.", reply_tool_calls=[call]
    )

    assert plain.estimated
    assert plain.input_tokens == count_input(MESSAGES, [], model="gpt-4o")
    assert plain.input_tokens > count_text("You are the SetGet assistant.", model="gpt-4o")
    assert with_tools.input_tokens > plain.input_tokens
    assert with_tools.output_tokens > plain.output_tokens
