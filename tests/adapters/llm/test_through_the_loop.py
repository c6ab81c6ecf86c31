"""Each provider adapter driving the real conversation loop: tool round, answer, one charge."""

from __future__ import annotations

import math

from core.llm import ChatModel
from tests.adapters.llm.conftest import Build, Target
from tests.adapters.llm.fake_servers import RecordedRequest, Reply, Usage, chunks, tool_call
from tests.assistant.conftest import Team
from tests.assistant.conftest import team as team  # noqa: PLC0414  (the fixture)


def _tool_result_sent(request: RecordedRequest, provider: str) -> str:
    """The text of the tool result the second request carried, in the provider's format."""
    messages = request.body["messages"]
    if provider == "anthropic":
        blocks = [b for m in messages if isinstance(m["content"], list) for b in m["content"]]
        result = next(b for b in blocks if b["type"] == "tool_result")
        assert result["tool_use_id"] == "call_1"
        content = result["content"]
        return content if isinstance(content, str) else "".join(c["text"] for c in content)
    result = next(m for m in messages if m["role"] == "tool")
    assert result["tool_call_id"] == "call_1"
    return str(result["content"])


async def test_a_tool_round_then_an_answer_is_charged_once_from_the_providers_usage(
    target: Target, build: Build, team: Team
) -> None:
    arguments = {"project": "WEB", "open_only": True}
    target.fake.script(
        Reply(tool_calls=[tool_call("count_work_items", arguments)], usage=Usage(1500, 20)),
        Reply(text=chunks("WEB has 14 open items."), usage=Usage(1800, 9)),
    )
    model: ChatModel = build(target.config)
    shown: list[str] = []

    async def on_text(delta: str) -> None:
        shown.append(delta)

    answer = await team.assistant(model).ask(
        team.ask("How many open items are in WEB?"), on_text=on_text
    )

    assert answer.text == "WEB has 14 open items."
    assert "".join(shown) == answer.text
    assert (answer.usage.input_tokens, answer.usage.output_tokens) == (3300, 29)
    assert not answer.usage.estimated
    assert answer.charge is not None
    assert answer.charge.credits == math.ceil((3300 + 4 * 29) / 4000)
    assert team.audit.records[-1].tools == ("count_work_items",)
    first, second = target.fake.requests
    offered = first.body["tools"]
    assert "count_work_items" in str(offered)
    assert '"total"' in _tool_result_sent(second, target.config.provider)
