"""After a `kill -9` between claiming a mention and answering it, Slack's retries of the same
event reach the restarted bot: before the dead process's lease ran out, and after the recovery
job answered. Neither answers twice nor charges twice; the ledger verifies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from adapters.slack.streaming import PLACEHOLDER
from bot.app import build_app
from bot.slack import slack_runtime
from tests.adapters.slack.conftest import SECRET, serve
from tests.adapters.slack.signing import event_body, mention_event, signed_headers
from tests.fakes import FakeClock
from tests.faults.ledger import assert_ledger_clean, charges
from tests.faults.slack_answers import ROOT, is_final
from tests.faults.test_kill_nine import Deployment, deployment, fakes, kill_the_bot_at

__all__ = ["deployment", "fakes"]  # the fixtures


async def slack_retries(url: str, attempt: int) -> int:
    """Slack sending the same event again (same event id), as after a missed ack."""
    body = event_body(mention_event("How many open items are in WEB?", ts=ROOT))
    headers = {
        **signed_headers(body, secret=SECRET),
        "X-Slack-Retry-Num": str(attempt),
        "X-Slack-Retry-Reason": "http_timeout",
    }
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{url}/slack/events", data=body, headers=headers) as resp,
    ):
        return resp.status


@pytest.mark.parametrize("where", ["before the hold", "holding credits", "after the charge"])
async def test_slacks_retries_after_a_kill_and_restart_neither_answer_nor_charge_twice(
    deployment: Deployment, tmp_path: Path, where: str
) -> None:
    slack = deployment.slack
    await kill_the_bot_at(where, deployment, tmp_path / "bot.log")

    clock = FakeClock(datetime.now(UTC) + timedelta(seconds=30))  # the dead one's lease runs
    restarted = build_app(deployment.settings, db=deployment.db, clock=clock)
    async with slack_runtime(restarted) as runtime, serve(restarted, slack) as url:
        assert await slack_retries(url, 1) == 200  # claimed by the dead process: left alone
        assert [c.args["text"] for c in slack.calls_to("chat.postMessage")] == [PLACEHOLDER]
        assert await runtime.recover() == 0  # not before its lease ends
        clock.advance(minutes=3)
        assert await runtime.recover() == 1
        assert await slack_retries(url, 2) == 200  # answered: a retry changes nothing
        assert await slack_retries(url, 3) == 200
        assert await runtime.recover() == 0

    # One answer in the one placeholder (after the charge, the dead process's last edit had
    # reached Slack too: the recovery edits the same message with the same answer).
    answers = {(c.args["ts"], c.args["text"]) for c in slack.calls_to("chat.update") if is_final(c)}
    assert len(answers) == 1
    assert len(slack.calls_to("chat.postMessage")) == 1  # the one placeholder
    assert len(await charges(restarted)) == 1
    assert (await restarted.pool.status(deployment.workspace)).balance.remaining == 499
    await assert_ledger_clean(restarted)
