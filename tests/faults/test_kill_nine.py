"""`kill -9` of a real `setget-bot serve slack --http` process between claiming a mention and
answering it: the restarted bot's recovery job answers the question once, in the placeholder
the person already sees, charged once, wherever the process died: (a) before it held any
credits, (b) waiting for the LLM with credits held, (c) after the charge, before the answer
reached Slack."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from adapters.slack.streaming import PLACEHOLDER
from adapters.storage.tables import interactions
from bot.app import build_app
from bot.slack import slack_runtime
from tests.adapters.llm.fake_servers import FakeOpenAI, Reply, Stall, Usage, chunks
from tests.adapters.slack.conftest import SECRET, TEAM
from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.slack.signing import event_body, mention_event, signed_headers
from tests.fakes import FakeClock
from tests.faults.slack_answers import ROOT, final_edit, is_final, placeholder_ts
from tests.ops.processes import (
    Deployment,
    bot_process,
    free_port,
    slack_deployment,
    until_serving,
)

TOKEN = "xoxb-test-token"
ANSWER = "There are 7 open work items in WEB."


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeSlack, FakeOpenAI]]:
    fallback = Reply(text=chunks(ANSWER), usage=Usage(900, 12))
    async with FakeSlack(team_id=TEAM) as slack, FakeOpenAI(fallback=fallback) as llm:
        slack.add_user("U0ALICE", "alice")
        yield slack, llm


async def until_the_llm_is_asked(llm: FakeOpenAI) -> None:
    async with asyncio.timeout(20):
        while not llm.requests:  # noqa: ASYNC110 - another process makes the request
            await asyncio.sleep(0.01)


@pytest.fixture
async def deployment(
    database_url: str, fakes: tuple[FakeSlack, FakeOpenAI]
) -> AsyncIterator[Deployment]:
    slack, llm = fakes
    async with slack_deployment(database_url, slack, llm, token=TOKEN) as found:
        yield found


async def kill_the_bot_at(where: str, deployment: Deployment, log: Path) -> None:
    """Run the bot as a process, mention it, and `kill -9` it where `where` says."""
    slack, llm = deployment.slack, deployment.llm
    hung = None
    if where == "before the hold":
        hung = slack.stall("users.info")  # after the placeholder, before the hold
    elif where == "holding credits":
        llm.script(Stall())
    else:
        hung = slack.stall("chat.update", when=is_final)
    port = free_port()
    serve = ["serve", "slack", "--http", "--host", "127.0.0.1", "--port", str(port)]
    with bot_process(serve, deployment.env, log) as proc:
        url = f"http://127.0.0.1:{port}"
        await until_serving(url, proc)
        body = event_body(mention_event("How many open items are in WEB?", ts=ROOT))
        headers = signed_headers(body, secret=SECRET)
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{url}/slack/events", data=body, headers=headers) as resp,
        ):
            assert resp.status == 200  # acknowledged: Slack will not send it again
        async with asyncio.timeout(20):
            if where == "before the hold":
                await slack.wait_for("users.info", timeout=20)
            elif where == "holding credits":
                await until_the_llm_is_asked(llm)
            else:
                await final_edit(slack)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    if hung is not None:
        hung.set()  # Slack answers the restarted bot


@pytest.mark.parametrize("where", ["before the hold", "holding credits", "after the charge"])
async def test_a_bot_killed_between_claim_and_answer_answers_after_restart_charged_once(
    deployment: Deployment, tmp_path: Path, where: str
) -> None:
    slack = deployment.slack
    await kill_the_bot_at(where, deployment, tmp_path / "bot.log")
    assert [c.args["text"] for c in slack.calls_to("chat.postMessage")] == [PLACEHOLDER]

    # The restarted bot, once the dead process's lease on the message has run out.
    later = FakeClock(datetime.now(UTC) + timedelta(minutes=3))
    restarted = build_app(deployment.settings, db=deployment.db, clock=later)
    async with slack_runtime(restarted) as runtime:
        assert await runtime.recover() == 1
        assert await runtime.recover() == 0

    answer = [c for c in slack.calls_to("chat.update") if is_final(c)][-1]
    assert ANSWER.rstrip(".") in answer.args["text"]
    footer = answer.args["blocks"][-1]["elements"][0]["text"]
    assert footer.startswith("simple question · 1 credit · 499 left")
    assert answer.args["ts"] == placeholder_ts(slack)
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert (await restarted.pool.status(deployment.workspace)).balance.remaining == 499
    async with deployment.db.read() as conn:
        states = await conn.scalars(
            select(interactions.c.state).where(
                interactions.c.workspace_id == deployment.workspace.id
            )
        )
        assert list(states).count("settled") == 1
