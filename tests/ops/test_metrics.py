"""`/metrics` of a serving process: answers by outcome, refusals by reason, LLM latency and
tokens, credits charged, holds and answers in flight, the database's deployment-wide figures,
and event-loop lag, counted through a real Slack app, the real OpenAI SDK against a fake
LLM, and a real database; each app has its own registry."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import replace

import aiohttp
import pytest

from bot.app import App, measured
from bot.metrics import BotMetrics
from bot.settings import Settings
from core.plans import Plan
from core.work.demo_data import demo_dataset
from core.workspaces import Platform
from tests.adapters.llm.fake_servers import FakeOpenAI, Reply, Usage, chunks
from tests.adapters.slack.conftest import TEAM, SlackBot, serve
from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.slack.signing import mention_event
from tests.ops.processes import samples

ANSWER = "There are 7 open work items in WEB."


async def scraped(app: App) -> dict[str, float]:
    assert app.metrics is not None
    text, content_type = await app.metrics.exposition()
    assert content_type.startswith("text/plain")
    return samples(text.decode())


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(team_id=TEAM) as fake:
        fake.add_user("U0ALICE", "alice")
        yield fake


@pytest.fixture
async def bot(app: App, slack: FakeSlack) -> AsyncIterator[SlackBot]:
    """The Slack app of a serving process (its own metrics) answering with the OpenAI SDK."""
    async with FakeOpenAI(fallback=Reply(text=chunks(ANSWER), usage=Usage(900, 12))) as llm:
        settings = Settings.model_validate(
            {
                "database_url": app.settings.database_url,
                "hold_wait_seconds": 0.5,
                "llm_provider": "openai-compatible",
                "llm_base_url": llm.url,
                "llm_model": "local",
            }
        )
        served = measured(replace(app, settings=settings))
        workspace = await served.admin.create("acme", plan=Plan.PRO)
        await served.work_items.replace_all(workspace.id, demo_dataset(app.clock.now().date()))
        await served.admin.link("acme", Platform.SLACK, TEAM)
        async with serve(served, slack) as url, aiohttp.ClientSession() as http:
            yield SlackBot(app=served, slack=slack, url=url, http=http, workspace=workspace)


async def test_an_answer_is_counted_with_its_latency_tokens_and_credits(bot: SlackBot) -> None:
    before = await scraped(bot.app)
    assert before["setget_answers_total{outcome=answered}"] == 0
    assert await bot.event(mention_event("How many open items are in WEB?", ts="1.000001")) == 200
    await bot.answered(1)

    after = await scraped(bot.app)
    assert after["setget_answers_total{outcome=answered}"] == 1
    assert after["setget_llm_latency_seconds_count{outcome=ok}"] == 1
    assert after["setget_llm_latency_seconds_sum{outcome=ok}"] > 0
    assert after["setget_llm_tokens_total{direction=input}"] == 900
    assert after["setget_llm_tokens_total{direction=output}"] == 12
    assert after["setget_credits_charged_total"] == 1
    assert after["setget_holds_in_flight"] == 0
    assert after["setget_answers_in_flight"] == 0
    assert after["setget_holds_open"] == 0
    assert sum(v for k, v in after.items() if k.startswith("setget_refusals_total")) == 0


async def test_refusals_are_counted_by_reason(bot: SlackBot) -> None:
    too_long = "word " * 1000  # over the 4,000 characters a message may have
    assert await bot.event(mention_event(too_long, ts="1.000001")) == 200
    await bot.drain()  # every credit spent: the next question is refused
    assert await bot.event(mention_event("How many open items?", ts="1.000002")) == 200

    found = await scraped(bot.app)
    assert found["setget_refusals_total{reason=invalid_input}"] == 1
    assert found["setget_refusals_total{reason=out_of_credits}"] == 1
    assert found["setget_answers_total{outcome=refused}"] == 2
    assert found["setget_answers_total{outcome=answered}"] == 0
    assert found["setget_credits_charged_total"] == 500  # the drain's charges, this process's
    # the usage alerts (75 %, 90 %, 100 %, paused): stored, and not delivered, as no
    # scheduler runs here
    stored = await bot.app.credit_store.alerts(bot.workspace.id)
    assert len(stored) >= 3
    assert all(alert.delivered_at is None for alert in stored)
    assert found["setget_alert_outbox_depth"] == len(stored)


async def test_each_app_has_its_own_registry() -> None:
    one, two = BotMetrics(), BotMetrics()
    one.answers.labels("answered").inc()
    first, _ = await one.exposition()
    second, _ = await two.exposition()
    assert samples(first.decode())["setget_answers_total{outcome=answered}"] == 1
    assert samples(second.decode())["setget_answers_total{outcome=answered}"] == 0


async def test_a_blocked_event_loop_shows_as_lag() -> None:
    metrics = BotMetrics()
    probe = asyncio.create_task(metrics.probe_loop_lag(every=0.05))
    try:
        await asyncio.sleep(0)  # the probe starts its first timer
        time.sleep(0.3)  # noqa: ASYNC251 - blocking the loop is the point
        found: dict[str, float] = {}
        async with asyncio.timeout(5):
            while found.get("setget_event_loop_lag_max_seconds", 0) < 0.2:
                found = samples((await metrics.exposition())[0].decode())
                await asyncio.sleep(0.01)
    finally:
        probe.cancel()
        await asyncio.gather(probe, return_exceptions=True)
    assert found["setget_event_loop_lag_max_seconds"] >= 0.2
