"""The LLM failing while a Slack mention is answered, on the OpenAI-compatible and Anthropic
wire formats: timeouts, 500s, 429s with Retry-After, garbled JSON, a stream cut half-way, bad
tool calls and an answer that never ends. Retries are bounded, the person is told clearly,
nothing is charged unless an answer was delivered, and no hold is left behind."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from adapters.llm.factory import build_chat_model
from bot.app import App
from core.workspaces import Workspace
from tests.adapters.llm.fake_servers import (
    Failure,
    FakeLLMServer,
    RecordedRequest,
    Reply,
    Stall,
    Usage,
    chunks,
    tool_call,
)
from tests.adapters.slack.conftest import slack as slack  # noqa: PLC0414  (the fixture)
from tests.adapters.slack.fake_slack import FakeSlack, SlackCall
from tests.adapters.slack.signing import mention_event
from tests.faults.ledger import assert_ledger_clean, charges
from tests.faults.llm_fakes import KEYS, Endless, Garbled, config_for, fake_for, slack_bot
from tests.faults.slack_answers import ROOT, is_final

COUNT = "How many open items are in the WEB project?"
ANSWER = Reply(text=chunks("WEB has 14 open items."), usage=Usage(1500, 20))


@pytest.fixture(params=["openai-compatible", "anthropic"])
def provider(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def fake(provider: str) -> AsyncIterator[FakeLLMServer]:
    async with fake_for(provider) as server:
        yield server


@dataclass
class World:
    """acme's database, the fake Slack its team uses, and the fake LLM that answers."""

    app: App
    acme: Workspace
    slack: FakeSlack
    provider: str
    fake: FakeLLMServer

    async def ask(self, **options: object) -> SlackCall:
        """Mention the bot once; returns the last edit of its placeholder (answer or notice)."""
        config = config_for(self.provider, self.fake, **options)
        async with (
            build_chat_model(config) as model,
            slack_bot(self.app, self.slack, self.acme, model) as bot,
        ):
            assert await bot.event(mention_event(COUNT, ts=ROOT)) == 200
        edits = self.slack.calls_to("chat.update")
        assert edits, [c.method for c in self.slack.calls]
        return edits[-1]

    async def remaining(self) -> int:
        return (await self.app.pool.status(self.acme)).balance.remaining


@pytest.fixture
def w(app: App, acme: Workspace, slack: FakeSlack, provider: str, fake: FakeLLMServer) -> World:
    return World(app, acme, slack, provider, fake)


def text(call: SlackCall) -> str:
    return str(call.args["text"])


FAILING = {  # script, what the person is told, requests made
    "500s": (
        (Failure(500), Failure(502), Failure(503)),
        "unavailable (HTTP 503) after 3 attempts",
        3,
    ),
    "429s": (
        (Failure(429, retry_after="0.2"),) * 3,
        "is rate limiting requests (HTTP 429) after 3 attempts; try again shortly",
        3,
    ),
    "timeouts": ((Stall(),) * 3, "did not answer in time after 3 attempts", 3),
    "garbled JSON": ((Garbled(),) * 3, "sent an answer that could not be read after 3 attempts", 3),
    "rejected": ((Failure(400, "bad request"),), "rejected the request (HTTP 400)", 1),
    # text reached the person: a retry would repeat it, so the failure is told at once
    "stream cut": ((Reply(text=chunks("WEB has 14 open"), disconnect=True),), "", 1),
}


@pytest.mark.parametrize("case", FAILING)
async def test_a_failing_provider_is_retried_a_bounded_number_of_times_then_told(
    w: World, case: str
) -> None:
    script, told, requests = FAILING[case]
    w.fake.script(*script)
    started = time.monotonic()
    last = await w.ask(timeout=0.5)
    elapsed = time.monotonic() - started

    assert len(w.fake.requests) == requests
    assert told in text(last)
    assert text(last).startswith(":warning: ")
    assert text(last).endswith("Nothing was charged.")
    assert "Traceback" not in str(w.slack.calls)
    assert KEYS[w.provider] not in str(w.slack.calls)
    assert not is_final(last)
    if case == "429s":
        assert elapsed >= 0.4  # Retry-After was waited out twice
    assert elapsed < 10
    assert await w.remaining() == 500
    assert await charges(w.app) == []
    await assert_ledger_clean(w.app)


RECOVERING = {
    "a 500": Failure(500),
    "a 429 with Retry-After": Failure(429, retry_after="0.3"),
    "a timeout": Stall(),
    "garbled JSON": Garbled(),
}


@pytest.mark.parametrize("case", RECOVERING)
async def test_one_failure_then_an_answer_is_answered_and_charged_once(w: World, case: str) -> None:
    arrived: list[float] = []

    def answer(_request: RecordedRequest) -> Reply:
        arrived.append(time.monotonic())
        return ANSWER

    w.fake.script(RECOVERING[case], answer)
    started = time.monotonic()
    last = await w.ask(timeout=0.5)

    assert is_final(last)
    assert "WEB has 14 open items." in text(last)
    assert len(w.fake.requests) == 2
    if case == "a 429 with Retry-After":
        assert arrived[0] - started >= 0.3
    assert await charges(w.app) == [(await only_event(w.app), 1)]
    assert await w.remaining() == 499
    await assert_ledger_clean(w.app)


async def only_event(app: App) -> str:
    (key,) = [key for key, _ in await charges(app)]
    return key


@pytest.mark.parametrize(
    "call",
    [
        tool_call("count_work_items", '{"project": "WEB", "open_only": tr'),  # cut-off JSON
        tool_call("count_work_items", {"project": 42, "colour": "blue"}),  # wrong arguments
        tool_call("drop_all_tables", {"really": True}),  # no such tool
    ],
    ids=["malformed", "invalid", "unknown"],
)
async def test_a_bad_tool_call_is_answered_with_an_error_and_the_answer_charged_once(
    w: World, call: object
) -> None:
    w.fake.script(Reply(tool_calls=[call], usage=Usage(1500, 20)), ANSWER)  # type: ignore[list-item]
    last = await w.ask()

    assert is_final(last)
    assert "WEB has 14 open items." in text(last)
    _, second = w.fake.requests
    assert "error" in str(second.body["messages"][-1]).lower()
    assert await w.remaining() == 499
    await assert_ledger_clean(w.app)


async def test_a_model_that_only_ever_calls_tools_is_stopped_and_charged_nothing(w: World) -> None:
    w.fake.fallback = Reply(
        tool_calls=[tool_call("count_work_items", {"project": "WEB"})], usage=Usage(100, 5)
    )
    last = await w.ask()

    assert "kept calling tools" in text(last)
    assert 1 < len(w.fake.requests) <= 8
    assert await w.remaining() == 500
    await assert_ledger_clean(w.app)


async def test_an_answer_that_never_ends_is_cut_at_the_output_limit_and_charged_once(
    w: World,
) -> None:
    w.fake.script(Endless())
    started = time.monotonic()
    last = await w.ask()

    assert time.monotonic() - started < 20
    *_, closing = w.slack.calls_to("chat.postMessage")  # a long answer ends in a new message
    assert closing.args["blocks"][-1]["type"] == "context"  # the usage footer: answered
    assert "more more" in text(last)
    parts = [last, *w.slack.calls_to("chat.postMessage")[1:]]  # after the placeholder
    shown = sum(len(text(c)) for c in parts)
    assert 8_000 < shown < 24_000  # about 4,096 tokens of "more ", not what kept coming
    assert len(w.fake.requests) == 1
    (charged,) = await charges(w.app)
    assert 1 <= charged[1] <= 6
    await assert_ledger_clean(w.app)


async def test_an_answer_that_trickles_on_forever_is_stopped_in_time_and_charged_nothing(
    w: World,
) -> None:
    w.fake.script(Endless(pause=0.05))
    started = time.monotonic()
    last = await w.ask(answer_deadline=1.0)

    assert time.monotonic() - started < 10
    assert "did not answer in time" in text(last)
    assert len(w.fake.requests) == 1  # text reached the person: no retry
    assert await w.remaining() == 500
    await assert_ledger_clean(w.app)
