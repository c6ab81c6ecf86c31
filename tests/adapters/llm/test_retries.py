"""Retries, failures and key secrecy, for every provider against its local fake server."""

from __future__ import annotations

import logging
import traceback
from dataclasses import replace

import openai
import pytest

from adapters.llm.openai_chat import OpenAIChatModel
from adapters.llm.retry import RetryPolicy
from core.errors import (
    ProviderError,
    ProviderRateLimited,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
)
from core.llm import ChatMessage, Speaker
from tests.adapters.llm.conftest import Build, Target
from tests.adapters.llm.fake_servers import Failure, FakeOpenAI, Reply, Stall, Usage, chunks

QUESTION = [ChatMessage(Speaker.USER, "Summarise the sprint")]
ANSWER = Reply(text=chunks("All done"), usage=Usage(10, 2))


async def test_server_errors_are_retried_until_the_provider_answers(
    target: Target, build: Build
) -> None:
    target.fake.script(Failure(500), Failure(503), ANSWER)

    reply = await build(target.config).complete(QUESTION)

    assert reply.text == "All done"
    assert len(target.fake.requests) == 3


async def test_persistent_server_errors_raise_unavailable_after_the_last_attempt(
    target: Target, build: Build
) -> None:
    target.fake.script(Failure(500), Failure(502), Failure(500), ANSWER)

    with pytest.raises(ProviderUnavailable, match="after 3 attempts") as caught:
        await build(target.config).complete(QUESTION)

    assert len(target.fake.requests) == 3
    assert target.fake.unused == 1
    assert caught.value.provider == target.config.provider


async def test_persistent_rate_limits_raise_rate_limited(target: Target, build: Build) -> None:
    target.fake.script(Failure(429, retry_after="0"), Failure(429, retry_after="0"))

    with pytest.raises(ProviderRateLimited, match="after 2 attempts"):
        await build(replace(target.config, max_retries=1)).complete(QUESTION)

    assert len(target.fake.requests) == 2


async def test_a_provider_that_never_answers_raises_timeout(target: Target, build: Build) -> None:
    target.fake.script(Stall(), Stall())

    with pytest.raises(ProviderTimeout, match="did not answer in time after 2 attempts"):
        await build(replace(target.config, timeout=0.2, max_retries=1)).complete(QUESTION)

    assert len(target.fake.requests) == 2


async def test_a_rejected_key_fails_at_once_without_retries(target: Target, build: Build) -> None:
    target.fake.script(Failure(401, "Incorrect API key provided"), ANSWER)

    with pytest.raises(ProviderRejected, match="rejected the API key"):
        await build(target.config).complete(QUESTION)

    assert len(target.fake.requests) == 1


async def test_an_unknown_model_or_deployment_fails_at_once_naming_it(
    target: Target, build: Build
) -> None:
    target.fake.script(Failure(404, "The model does not exist"), ANSWER)

    with pytest.raises(ProviderRejected) as caught:
        await build(target.config).complete(QUESTION)

    assert f"{target.subject} was not found" in str(caught.value)
    assert len(target.fake.requests) == 1


async def test_no_retry_once_text_reached_the_person(target: Target, build: Build) -> None:
    target.fake.script(Reply(text=chunks("Half an"), disconnect=True), ANSWER)
    shown: list[str] = []

    async def on_text(delta: str) -> None:
        shown.append(delta)

    with pytest.raises(ProviderUnavailable):
        await build(target.config).complete(QUESTION, on_text=on_text)

    assert shown == ["Half", " an"]
    assert len(target.fake.requests) == 1
    assert target.fake.unused == 1


async def test_a_dropped_stream_is_retried_when_nothing_was_shown(
    target: Target, build: Build
) -> None:
    target.fake.script(Reply(text=chunks("Half an"), disconnect=True), ANSWER)

    reply = await build(target.config).complete(QUESTION)

    assert reply.text == "All done"
    assert len(target.fake.requests) == 2


async def test_the_api_key_travels_only_in_the_auth_header(
    target: Target, build: Build, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    key = target.config.api_key or ""
    target.fake.script(
        Failure(500),
        ANSWER,
        Failure(400, f"Request rejected for key {key}"),
        Failure(401, f"Incorrect API key provided: {key}"),
    )
    model = build(target.config)

    await model.complete(QUESTION)
    errors: list[ProviderError] = []
    for _ in range(2):
        with pytest.raises(ProviderRejected) as caught:
            await model.complete(QUESTION)
        errors.append(caught.value)

    for request in target.fake.requests:
        carrying = {name for name, value in request.headers.items() if key in value}
        assert carrying == {target.auth_header}
        assert key not in request.raw.decode()
    for error in errors:
        assert key not in "".join(traceback.format_exception(error))
    assert "[redacted]" in str(errors[0])
    assert caplog.records, "the retry should have been logged"
    assert not [r for r in caplog.records if key in r.getMessage()]
    assert key not in model.label
    assert key not in repr(target.config)


async def test_backoff_grows_and_retry_after_is_honoured_up_to_the_cap(
    fake_openai: FakeOpenAI,
) -> None:
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    policy = RetryPolicy(
        attempts=5, base_delay=0.01, retry_after_cap=5.0, sleep=record, jitter=lambda: 1.0
    )
    fake_openai.script(
        Failure(500),
        Failure(503),
        Failure(429, retry_after="2"),
        Failure(429, retry_after="120"),
        ANSWER,
    )
    client = openai.AsyncOpenAI(api_key="sk-x", base_url=fake_openai.url, max_retries=0)
    async with OpenAIChatModel(client, model="gpt-4o-mini", retry=policy) as model:
        reply = await model.complete(QUESTION)

    assert reply.text == "All done"
    assert waits == [0.01, 0.02, 2.0, 5.0]


async def test_a_client_with_sdk_retries_is_refused() -> None:
    client = openai.AsyncOpenAI(api_key="sk-x", base_url="http://127.0.0.1:9/v1")
    try:
        with pytest.raises(ValueError, match="max_retries=0"):
            OpenAIChatModel(client, model="gpt-4o-mini")
    finally:
        await client.close()
