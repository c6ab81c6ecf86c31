"""A message whose answer never finished (the process died between claim and answer) is
answered later, once, in the placeholder the person already sees, and charged at most once:
whether the dead attempt left (a) nothing held, (b) a hold, live or expired, or (c) a settled
charge whose reply never reached Slack. The recovery job and a Slack retry after the lease
both do it; two replicas running the job answer once; a message that keeps failing is given
up and the person told.

The crash is the answering task stopped where a test stalls it (a hung Slack call or model),
and a fresh `SlackConversations` on the same database stands for the restarted process.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime, timedelta

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select

from adapters.slack.incoming import Incoming
from adapters.slack.messages import SlackConversations
from adapters.slack.render import mrkdwn
from adapters.slack.streaming import PLACEHOLDER
from adapters.storage import Database, open_database
from adapters.storage.claims import SqlEventClaims
from adapters.storage.tables import interactions
from bot.app import App, build_app
from bot.scheduler import release_expired_holds
from core.chat.answering import GIVEN_UP
from core.claims import Claim, ClaimState
from core.credits.pricing import InteractionType, TokenUsage
from core.errors import ReservationClosed
from core.llm import ChatMessage, LLMReply, OnText, ToolSpec
from core.workspaces import Platform, Workspace
from tests.adapters.slack.conftest import TEAM, SlackBot, serve
from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.slack.signing import event_body, mention_event
from tests.faults.llm_fakes import chat_with
from tests.faults.slack_answers import ROOT, final_edit, is_final, placeholder_ts, process

COUNT = "How many open items are in the WEB project?"
KEY = f"{TEAM}:C0GENERAL:{ROOT}"
AFTER_THE_LEASE = timedelta(minutes=3)  # the lease is 2 minutes, a hold lives 5


class Killed(BaseException):
    """`kill -9` while the model works: no handler of the bot's runs (a cancellation would
    let the answer give its hold back, as a graceful stop does)."""


class StalledModel:
    """A model that never answers: the process dies while it waits for the LLM."""

    label = "stalled"

    def __init__(self) -> None:
        self.called = asyncio.Event()
        self.killed = asyncio.Event()

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        tools: Sequence[ToolSpec] = (),
        on_text: OnText | None = None,
        max_output_tokens: int | None = None,
    ) -> LLMReply:
        self.called.set()
        await self.killed.wait()
        raise Killed


def the_question(text: str = COUNT) -> Incoming:
    return Incoming(
        team=TEAM,
        channel="C0GENERAL",
        user="U0ALICE",
        text=text,
        ts=ROOT,
        thread_ts=ROOT,
        thread_key=f"C0GENERAL:{ROOT}",
    )


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(team_id=TEAM) as fake:
        fake.add_user("U0ALICE", "alice", admin=True)
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test-token", base_url=slack.api_url)


async def crash(
    bot: SlackConversations, client: AsyncWebClient, reached: Callable[[], Awaitable[object]]
) -> None:
    """Answer the question until `reached`, then stop dead (like `kill -9`)."""
    answering = asyncio.create_task(bot.answer(the_question(), client))
    await reached()
    answering.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await answering


async def crash_in_the_llm(app: App, client: AsyncWebClient) -> None:
    model = StalledModel()
    answering = asyncio.create_task(
        process(app, chat=chat_with(app, model)).answer(the_question(), client)
    )
    await model.called.wait()
    model.killed.set()
    with contextlib.suppress(Killed):
        await answering


async def crash_before_the_hold(app: App, slack: FakeSlack, client: AsyncWebClient) -> None:
    hung = slack.stall("users.info")  # the member is looked up after the placeholder
    await crash(process(app), client, lambda: slack.wait_for("users.info"))
    hung.set()  # Slack works again for the restarted process


async def crash_after_the_charge(app: App, slack: FakeSlack, client: AsyncWebClient) -> None:
    hung = slack.stall("chat.update", when=is_final)  # settled; the answer never reaches Slack
    await crash(process(app), client, lambda: final_edit(slack))
    hung.set()


async def charges(app: App, workspace: Workspace) -> dict[str, str]:
    """Every interaction's key and state."""
    async with app.db.read() as conn:
        rows = await conn.execute(
            select(interactions.c.key, interactions.c.state).where(
                interactions.c.workspace_id == workspace.id
            )
        )
        return {row.key: row.state for row in rows}


async def recover(app: App, client: AsyncWebClient) -> int:
    async def client_for(_team: str) -> AsyncWebClient:
        return client

    return await process(app).answer_unfinished(client_for)


async def remaining(app: App, workspace: Workspace) -> int:
    return (await app.pool.status(workspace)).balance.remaining


CRASHES = ["before the hold", "holding credits", "holding credits, expired", "after the charge"]


async def crash_at(where: str, app: App, slack: FakeSlack, client: AsyncWebClient) -> None:
    if where == "before the hold":  # (a)
        await crash_before_the_hold(app, slack, client)
    elif where == "after the charge":  # (c)
        await crash_after_the_charge(app, slack, client)
    else:  # (b)
        await crash_in_the_llm(app, client)


async def past_the_lease(where: str, app: App) -> None:
    app.clock.advance(seconds=AFTER_THE_LEASE.total_seconds())  # type: ignore[attr-defined]
    if where == "holding credits, expired":  # the sweep expired the dead attempt's hold
        app.clock.advance(minutes=5)  # type: ignore[attr-defined]
        assert await release_expired_holds(app) == 1


@pytest.mark.parametrize("where", CRASHES)
async def test_the_recovery_job_answers_a_crashed_message_once_and_charges_it_once(
    app: App, acme: Workspace, slack: FakeSlack, client: AsyncWebClient, where: str
) -> None:
    await crash_at(where, app, slack, client)
    assert await recover(app, client) == 0  # its claimant might still be working: wait
    await past_the_lease(where, app)

    assert await recover(app, client) == 1

    placeholder = slack.calls_to("chat.postMessage")
    assert [p.args["text"] for p in placeholder] == [PLACEHOLDER]  # no second placeholder
    finals = [c for c in slack.calls_to("chat.update") if is_final(c)]
    answer = finals[-1]
    assert "open work items in WEB" in answer.args["text"]
    assert answer.args["blocks"][-1]["elements"][0]["text"].startswith("simple question · 1 credit")
    assert {c.args["ts"] for c in slack.calls_to("chat.update")} == {placeholder_ts(slack)}
    assert await remaining(app, acme) == 499
    assert list((await charges(app, acme)).values()).count("settled") == 1
    assert (await app.pool.status(acme)).balance.reserved == 0
    # Done: a later run, or Slack retrying the event, changes nothing.
    app.clock.advance(minutes=10)  # type: ignore[attr-defined]
    assert await recover(app, client) == 0
    await process(app).answer(the_question(), client)
    assert len([c for c in slack.calls_to("chat.update") if is_final(c)]) == len(finals)
    assert await remaining(app, acme) == 499


@pytest.mark.parametrize("where", CRASHES)
async def test_a_slack_retry_after_the_lease_answers_a_crashed_message_once(
    app: App, acme: Workspace, slack: FakeSlack, client: AsyncWebClient, where: str
) -> None:
    await crash_at(where, app, slack, client)
    async with serve(app, slack) as url, aiohttp.ClientSession() as http:
        bot = SlackBot(app=app, slack=slack, url=url, http=http, workspace=acme)
        body = event_body(mention_event(COUNT, ts=ROOT), event_id="Ev0CRASH")
        retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
        answers_before = len([c for c in slack.calls_to("chat.update") if is_final(c)])
        assert (await bot.post(body, headers=retry)).status == 200  # within the lease: taken
        assert len([c for c in slack.calls_to("chat.update") if is_final(c)]) == answers_before

        await past_the_lease(where, app)
        retry["X-Slack-Retry-Num"] = "2"
        assert (await bot.post(body, headers=retry)).status == 200
        retry["X-Slack-Retry-Num"] = "3"
        assert (await bot.post(body, headers=retry)).status == 200  # answered: nothing more

    finals = [c for c in slack.calls_to("chat.update") if is_final(c)]
    assert len(finals) == answers_before + 1
    assert "open work items in WEB" in finals[-1].args["text"]
    assert finals[-1].args["ts"] == placeholder_ts(slack)
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert await remaining(app, acme) == 499
    assert list((await charges(app, acme)).values()).count("settled") == 1


class InStep(SqlEventClaims):
    """Holds each replica after it listed the unfinished claims until all have."""

    def __init__(self, db: Database, barrier: asyncio.Barrier) -> None:
        super().__init__(db)
        self._barrier = barrier

    async def unfinished(self, platform: Platform, *, now: datetime, limit: int) -> list[Claim]:
        found = await super().unfinished(platform, now=now, limit=limit)
        await self._barrier.wait()
        return found


async def test_two_replicas_running_the_recovery_job_answer_once(
    app: App, acme: Workspace, slack: FakeSlack, client: AsyncWebClient, database_url: str
) -> None:
    await crash_in_the_llm(app, client)
    app.clock.advance(seconds=AFTER_THE_LEASE.total_seconds())  # type: ignore[attr-defined]
    barrier = asyncio.Barrier(2)

    async def client_for(_team: str) -> AsyncWebClient:
        return client

    def replica_process(on: App) -> SlackConversations:
        return process(on, claims=InStep(on.db, barrier))

    db = open_database(database_url, pool_size=5)
    try:
        other = build_app(app.settings, db=db, clock=app.clock)
        taken = await asyncio.gather(
            replica_process(app).answer_unfinished(client_for),
            replica_process(other).answer_unfinished(client_for),
        )
    finally:
        await db.dispose()

    assert sorted(taken) == [0, 1]
    (answer,) = [c for c in slack.calls_to("chat.update") if is_final(c)]
    assert "open work items in WEB" in answer.args["text"]
    assert await remaining(app, acme) == 499
    assert list((await charges(app, acme)).values()).count("settled") == 1


async def test_a_message_that_keeps_crashing_is_given_up_and_the_person_told(
    app: App, acme: Workspace, slack: FakeSlack, client: AsyncWebClient
) -> None:
    for _ in range(3):  # the first answer and two more attempts all die in the LLM
        model = StalledModel()
        bot = process(app, chat=chat_with(app, model))
        if not await SqlEventClaims(app.db).unfinished(
            Platform.SLACK, now=app.clock.now(), limit=5
        ):
            await crash(bot, client, model.called.wait)
        else:

            async def client_for(_team: str) -> AsyncWebClient:
                return client

            resumed = asyncio.create_task(bot.answer_unfinished(client_for))
            await model.called.wait()
            resumed.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await resumed
        app.clock.advance(seconds=AFTER_THE_LEASE.total_seconds())  # type: ignore[attr-defined]

    assert await recover(app, client) == 1

    told = slack.calls_to("chat.update")[-1]
    assert told.args["text"] == mrkdwn(GIVEN_UP)
    assert told.args["ts"] == placeholder_ts(slack)
    assert await remaining(app, acme) == 500  # nothing answered, nothing charged
    assert "settled" not in (await charges(app, acme)).values()
    assert (await app.pool.status(acme)).balance.reserved == 0  # the last hold given back
    app.clock.advance(minutes=10)  # type: ignore[attr-defined]
    assert await recover(app, client) == 0


async def test_a_claimant_that_renews_its_lease_keeps_its_claim(app: App) -> None:
    claims = SqlEventClaims(app.db)
    now = app.clock.now()
    first = await claims.claim(Platform.SLACK, KEY, now, message="{}", lease=timedelta(minutes=2))
    assert first is not None
    assert first.attempt == 1
    later = now + timedelta(minutes=1, seconds=50)
    assert await claims.renew(first, now=later, lease=timedelta(minutes=2))
    assert await claims.claim(Platform.SLACK, KEY, now + timedelta(minutes=3)) is None
    assert await claims.unfinished(Platform.SLACK, now=now + timedelta(minutes=3), limit=5) == []

    taken = await claims.claim(Platform.SLACK, KEY, later + timedelta(minutes=2, seconds=1))
    assert taken is not None
    assert (taken.attempt, taken.message) == (2, "{}")
    # The first claimant was taken over: nothing it does changes the claim any more.
    assert not await claims.renew(first, now=later, lease=timedelta(minutes=2))
    assert not await claims.finish(first)
    await claims.note_reply(first, "1700000000.000999")
    assert await claims.finish(taken, ClaimState.ANSWERED)
    assert await claims.claim(Platform.SLACK, KEY, later + timedelta(hours=1)) is None


async def test_a_released_expired_hold_can_no_longer_be_charged_by_a_stalled_replica(
    app: App, acme: Workspace
) -> None:
    """A replica stalled past the hold's life: the sweep expires its hold, the recovery
    closes it, and the stalled replica's late settle is refused (no second charge)."""
    pool = app.pool
    member = await app.workspace_store.ensure_member(acme.id, Platform.SLACK, "U0ALICE", "alice")
    await pool.reserve(acme, key="slack:late", member=member)
    app.clock.advance(minutes=10)  # type: ignore[attr-defined]
    await release_expired_holds(app)
    assert not await pool.release(acme, key="slack:late")  # nothing was held any more
    with pytest.raises(ReservationClosed):
        await pool.settle(
            acme,
            key="slack:late",
            usage=TokenUsage(1000, 100),
            interaction_type=InteractionType.SIMPLE_QUESTION,
        )
    assert (await pool.status(acme)).balance.remaining == 500
