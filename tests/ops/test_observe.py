"""The chat layer's side of operations: how an answer's end is classified, request ids, and
the drain of the answers in flight."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from core.chat.draining import AnswersInFlight
from core.chat.observe import (
    NO_REQUEST,
    AnswerOutcome,
    Refusal,
    outcome_of,
    request_id,
    request_scope,
)
from core.errors import (
    InvalidInput,
    MemberCapReached,
    OutOfCredits,
    PoolBusy,
    ProviderTimeout,
    RateLimited,
    ServiceUnavailable,
)

RENEWAL = date(2026, 2, 28)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            OutOfCredits(workspace="a", renewal_date=RENEWAL, can_buy_packs=True, remedy="buy"),
            (AnswerOutcome.REFUSED, Refusal.OUT_OF_CREDITS),
        ),
        (
            MemberCapReached(member="bob", cap=5, renewal_date=RENEWAL),
            (AnswerOutcome.REFUSED, Refusal.MEMBER_CAP),
        ),
        (RateLimited(workspace="a", per_minute=10), (AnswerOutcome.REFUSED, Refusal.RATE_LIMITED)),
        (PoolBusy(workspace="a"), (AnswerOutcome.REFUSED, Refusal.POOL_BUSY)),
        (InvalidInput("too long"), (AnswerOutcome.REFUSED, Refusal.INVALID_INPUT)),
        (ServiceUnavailable("db"), (AnswerOutcome.REFUSED, Refusal.UNAVAILABLE)),
        (ProviderTimeout("slow"), (AnswerOutcome.PROVIDER_ERROR, None)),
        (RuntimeError("bug"), (AnswerOutcome.FAILED, None)),
    ],
)
def test_each_way_an_answer_ends_is_counted_as_one_outcome(
    error: Exception, expected: tuple[AnswerOutcome, Refusal | None]
) -> None:
    assert outcome_of(error) == expected


async def test_a_request_id_is_kept_by_nested_scopes_and_inherited_by_tasks() -> None:
    assert request_id() == NO_REQUEST
    with request_scope() as outer:
        assert len(outer) == 12
        with request_scope() as inner:
            assert inner == outer  # the entry point's id goes on into the chat layer
        with request_scope(fresh=True) as other:
            assert other != outer
        assert request_id() == outer

        async def seen() -> str:
            return request_id()

        assert await asyncio.create_task(seen()) == outer
    assert request_id() == NO_REQUEST


async def test_answers_in_flight_finish_within_the_grace_period() -> None:
    in_flight, go_on = AnswersInFlight(), asyncio.Event()

    async def answer() -> str:
        with in_flight.tracked():
            await go_on.wait()
            return "answered"

    task = asyncio.create_task(answer())
    await asyncio.sleep(0)
    assert len(in_flight) == 1
    draining = asyncio.create_task(in_flight.drain(grace=30))
    await asyncio.sleep(0)
    assert in_flight.closing
    go_on.set()
    report = await draining
    assert (report.finished, report.cancelled) == (1, 0)
    assert await task == "answered"


async def test_answers_past_the_grace_period_are_cancelled() -> None:
    in_flight, gave_back = AnswersInFlight(), asyncio.Event()

    async def answer() -> None:
        with in_flight.tracked():
            try:
                await asyncio.Event().wait()  # the model never answers
            except asyncio.CancelledError:
                gave_back.set()  # what Assistant.ask does: the hold goes back
                raise

    task = asyncio.create_task(answer())
    await asyncio.sleep(0)
    report = await in_flight.drain(grace=0.01)
    assert (report.finished, report.cancelled) == (0, 1)
    assert gave_back.is_set()
    assert task.cancelled()
    assert len(in_flight) == 0


async def test_a_drain_with_nothing_in_flight_returns_at_once() -> None:
    in_flight = AnswersInFlight()
    report = await in_flight.drain(grace=3600)
    assert (report.finished, report.cancelled) == (0, 0)
    assert in_flight.closing
