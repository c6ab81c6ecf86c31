"""SIGTERM of a real `setget-bot serve slack --http` process while it answers: `/readyz`
turns 503 at once, a mention that arrives during the drain is left to the recovery job, the
answer in flight is delivered (or, past the grace period, cancelled with its hold given
back), the process exits 0, and `ledger verify --all` finds nothing wrong."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from adapters.storage.tables import interactions
from bot.app import build_app
from bot.slack import slack_runtime
from tests.adapters.llm.fake_servers import FakeOpenAI, Reply, Stall, Usage, chunks
from tests.adapters.slack.conftest import SECRET, TEAM
from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.slack.signing import event_body, mention_event, signed_headers
from tests.fakes import FakeClock
from tests.faults.slack_answers import ROOT, final_edit, is_final
from tests.ops.processes import (
    LLM_KEY,
    SECRET_KEY,
    Deployment,
    assert_no_secret,
    bot_process,
    exit_code,
    free_port,
    json_lines,
    ledger_verify,
    readiness,
    samples,
    scrape,
    slack_deployment,
    until_logged,
    until_not_ready,
    until_serving,
)

TOKEN = "xoxb-ops-test-token-0123456789"
ANSWER = "There are 7 open work items in WEB."
LATER = "1699999999.000900"  # a second question, asked while the bot drains


@pytest.fixture
async def deployment(database_url: str) -> AsyncIterator[Deployment]:
    fallback = Reply(text=chunks(ANSWER), usage=Usage(900, 12))
    async with FakeSlack(team_id=TEAM) as slack, FakeOpenAI(fallback=fallback) as llm:
        slack.add_user("U0ALICE", "alice")
        logging = {"SETGET_LOG_FORMAT": "json", "SETGET_LOG_LEVEL": "info"}
        keys = {"SETGET_LLM_API_KEY": LLM_KEY, "SETGET_SECRET_KEY": SECRET_KEY}
        async with slack_deployment(
            database_url, slack, llm, token=TOKEN, env=keys | logging
        ) as found:
            yield found


async def mention(url: str, ts: str, event_id: str) -> None:
    body = event_body(mention_event("How many open items are in WEB?", ts=ts), event_id=event_id)
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{url}/slack/events", data=body, headers=signed_headers(body, secret=SECRET)
        ) as resp,
    ):
        assert resp.status == 200


async def unsigned(url: str) -> None:
    body = event_body(mention_event("let me in", ts="1.000009"))
    async with aiohttp.ClientSession() as http, http.post(f"{url}/slack/events", data=body) as r:
        assert r.status == 401


async def until_the_llm_is_asked(llm: FakeOpenAI) -> None:
    async with asyncio.timeout(20):
        while not llm.requests:  # noqa: ASYNC110 - another process makes the request
            await asyncio.sleep(0.01)


async def states(deployment: Deployment) -> list[str]:
    async with deployment.db.read() as conn:
        found = await conn.scalars(
            select(interactions.c.state)
            .where(interactions.c.workspace_id == deployment.workspace.id)
            .order_by(interactions.c.id)
        )
        return list(found)


async def remaining(deployment: Deployment, app_clock: FakeClock | None = None) -> int:
    app = build_app(deployment.settings, db=deployment.db, clock=app_clock)
    return (await app.pool.status(deployment.workspace)).balance.remaining


async def test_sigterm_lets_the_answer_in_flight_finish_and_exits_0(
    deployment: Deployment, tmp_path: Path
) -> None:
    slack, llm = deployment.slack, deployment.llm
    go_on = asyncio.Event()
    llm.script(Reply(text=chunks(ANSWER), usage=Usage(900, 12), gate=go_on))
    port, log = free_port(), tmp_path / "bot.log"
    args = ["serve", "slack", "--http", "--host", "127.0.0.1", "--port", str(port)]
    with bot_process(args, deployment.env, log) as proc:
        url = f"http://127.0.0.1:{port}"
        await until_serving(url, proc)
        await unsigned(url)
        await mention(url, ROOT, "Ev0001")
        await until_the_llm_is_asked(llm)  # the answer is streaming, credits held
        during = samples(await scrape(url))
        assert during["setget_answers_in_flight"] == 1
        assert during["setget_holds_in_flight"] == 1
        assert during["setget_requests_refused_total{status=401}"] == 1

        os.kill(proc.pid, signal.SIGTERM)
        assert await until_not_ready(url) == {"status": "shutting down"}
        await mention(url, LATER, "Ev0002")  # still acknowledged, left to another replica
        go_on.set()
        assert await exit_code(proc) == 0, log.read_text()

    answer = await final_edit(slack)
    assert ANSWER.rstrip(".") in answer.args["text"]
    assert len(llm.requests) == 1  # the question asked during the drain was not answered
    assert await states(deployment) == ["settled"]
    assert await remaining(deployment) == 499
    verified = ledger_verify(deployment.env)
    assert verified.returncode == 0, verified.stdout + verified.stderr

    # The log: one JSON object a line, the drain's own lines, request ids, no secret.
    records = json_lines(log)
    messages = [r["message"] for r in records]
    assert any(m.startswith("SIGTERM: stopping; 1 answer(s) in flight") for m in messages)
    assert "stopped: 1 answer(s) finished, 0 cancelled" in messages
    [left] = [r for r in records if "left to the recovery job" in r["message"]]
    assert len(left["request_id"]) == 12
    assert left["level"] == "INFO"
    assert {"time", "logger"} <= left.keys()
    assert_no_secret(log, [SECRET, TOKEN, LLM_KEY, SECRET_KEY])

    # Another replica's recovery job (here: this test's) answers the question left over.
    restarted = build_app(deployment.settings, db=deployment.db)
    async with slack_runtime(restarted) as runtime:
        assert await runtime.recover() == 1
    finals = [c for c in slack.calls_to("chat.update") if is_final(c)]
    assert len(finals) == 2
    assert await remaining(deployment) == 498
    assert ledger_verify(deployment.env).returncode == 0


async def test_an_answer_past_the_grace_period_is_cancelled_and_its_hold_released(
    deployment: Deployment, tmp_path: Path
) -> None:
    slack, llm = deployment.slack, deployment.llm
    llm.script(Stall())  # the model never answers this process
    port, log = free_port(), tmp_path / "bot.log"
    env = {**deployment.env, "SETGET_SHUTDOWN_GRACE_SECONDS": "0.5"}
    args = ["serve", "slack", "--http", "--host", "127.0.0.1", "--port", str(port)]
    with bot_process(args, env, log) as proc:
        url = f"http://127.0.0.1:{port}"
        await until_serving(url, proc)
        await mention(url, ROOT, "Ev0001")
        await until_the_llm_is_asked(llm)
        assert await states(deployment) == ["held"]

        os.kill(proc.pid, signal.SIGTERM)
        assert await exit_code(proc) == 0, log.read_text()

    assert await states(deployment) == ["released"]  # nothing charged, nothing held
    assert await remaining(deployment) == 500
    assert "stopped: 0 answer(s) finished, 1 cancelled" in [r["message"] for r in json_lines(log)]
    verified = ledger_verify(env)
    assert verified.returncode == 0, verified.stdout + verified.stderr

    # The claim stayed open: once its lease runs out, the recovery job answers it, in the
    # placeholder the person already sees, charged once.
    later = FakeClock(datetime.now(UTC) + timedelta(minutes=3))
    restarted = build_app(deployment.settings, db=deployment.db, clock=later)
    async with slack_runtime(restarted) as runtime:
        assert await runtime.recover() == 1
    answer = await final_edit(slack)
    assert ANSWER.rstrip(".") in answer.args["text"]
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert await remaining(deployment, later) == 499
    assert ledger_verify(env).returncode == 0


async def test_sigterm_in_socket_mode_closes_the_socket_first_then_drains(
    deployment: Deployment, tmp_path: Path
) -> None:
    slack, llm = deployment.slack, deployment.llm
    go_on = asyncio.Event()
    llm.script(Reply(text=chunks(ANSWER), usage=Usage(900, 12), gate=go_on))
    health, log = free_port(), tmp_path / "bot.log"
    env = {
        **deployment.env,
        "SLACK_APP_TOKEN": "xapp-1-ops-test-apptoken-0123456789",
        "SETGET_HEALTH_PORT": str(health),
        "SETGET_HEALTH_HOST": "127.0.0.1",
    }
    with bot_process(["serve", "slack", "--socket"], env, log) as proc:
        await until_logged(log, "answering Slack on Socket Mode", proc)
        url = f"http://127.0.0.1:{health}"
        assert await readiness(url) == (200, {"status": "ready"})
        asked = json.loads(event_body(mention_event("How many open items?", ts=ROOT)))
        assert (await slack.push(asked))["envelope_id"]
        await until_the_llm_is_asked(llm)

        os.kill(proc.pid, signal.SIGTERM)
        assert await until_not_ready(url) == {"status": "shutting down"}
        async with asyncio.timeout(10):  # Slack sends new events to the app's other sockets
            while not slack.sockets[-1].closed:  # noqa: ASYNC110 - another process closes it
                await asyncio.sleep(0.02)
        go_on.set()
        assert await exit_code(proc) == 0, log.read_text()

    answer = await final_edit(slack)
    assert ANSWER.rstrip(".") in answer.args["text"]
    assert await states(deployment) == ["settled"]
    verified = ledger_verify(env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert_no_secret(log, [env["SLACK_APP_TOKEN"], TOKEN, LLM_KEY, SECRET_KEY])
