"""Mentions, thread follow-ups, DMs and retries through a real slack-bolt app over HTTP."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import Any

from sqlalchemy import text

from adapters.slack.streaming import PLACEHOLDER
from adapters.storage import open_database
from bot.app import build_app
from tests.adapters.slack.conftest import SECRET, SlackBot, serve
from tests.adapters.slack.signing import event_body, mention_event, message_event, signed_headers

COUNT = "How many open items are in the WEB project?"
BUGS = "List all high-priority bugs assigned to me"
ROOT = "1700000000.000100"


def footer(blocks: list[dict[str, Any]]) -> str:
    assert blocks[-1]["type"] == "context"
    return str(blocks[-1]["elements"][0]["text"])


async def test_a_mention_is_answered_in_its_thread_and_charged_once(bot: SlackBot) -> None:
    before = await bot.remaining()

    assert await bot.event(mention_event(COUNT, ts=ROOT)) == 200

    (placeholder,) = bot.slack.calls_to("chat.postMessage")
    assert placeholder.args["thread_ts"] == ROOT
    assert placeholder.args["text"] == PLACEHOLDER
    final = bot.slack.calls_to("chat.update")[-1]
    assert "open work items in WEB" in final.args["text"]
    assert footer(final.args["blocks"]).startswith("simple question · 1 credit · ")
    assert final.token == "xoxb-test-token"
    assert await bot.remaining() == before - 1
    assert await bot.turns(f"C0GENERAL:{ROOT}") == [COUNT, final_answer(final.args["text"])]


def final_answer(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


async def test_a_reply_in_the_thread_continues_without_a_new_mention(bot: SlackBot) -> None:
    await bot.event(mention_event(COUNT, ts=ROOT))
    reply = message_event(
        BUGS, user="U0ALICE", channel="C0GENERAL", ts="1700000000.000200", thread_ts=ROOT
    )
    await bot.event(reply)

    posts = bot.slack.calls_to("chat.postMessage")
    assert [p.args["thread_ts"] for p in posts] == [ROOT, ROOT]
    texts = await bot.turns(f"C0GENERAL:{ROOT}")
    assert texts[0::2] == [COUNT, BUGS]  # the member's turns; the model saw the first one
    assert "alice" in bot.slack.calls_to("chat.update")[-1].args["text"]


async def test_people_talking_in_a_thread_without_the_bot_are_left_alone(bot: SlackBot) -> None:
    chat = message_event(
        "lunch?",
        user="U0BOB",
        channel="C0GENERAL",
        ts="1700000000.000300",
        thread_ts="1700000000.000250",
    )
    outside = message_event(COUNT, user="U0BOB", channel="C0GENERAL", ts="1700000000.000400")
    assert await bot.event(chat) == 200
    assert await bot.event(outside) == 200
    assert bot.slack.calls_to("chat.postMessage") == []
    assert await bot.remaining() == 500


async def test_a_direct_message_is_answered(bot: SlackBot) -> None:
    dm = message_event(
        COUNT, user="U0BOB", channel="D0BOB", ts="1700000000.000500", channel_type="im"
    )
    await bot.event(dm)
    final = bot.slack.calls_to("chat.update")[-1]
    assert final.args["channel"] == "D0BOB"
    assert "open work items in WEB" in final.args["text"]
    assert await bot.remaining() == 499


async def test_slack_retries_and_the_twin_message_event_answer_and_charge_once(
    bot: SlackBot,
) -> None:
    mention = mention_event(COUNT, ts=ROOT)
    body = event_body(mention, event_id="Ev0RETRY")
    assert (await bot.post(body)).status == 200
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert (await bot.post(body, headers=retry)).status == 200
    # The same message also arrives as a `message` event (the bot is in the channel).
    twin = message_event(mention["text"], user="U0ALICE", channel="C0GENERAL", ts=ROOT)
    assert await bot.event(twin) == 200

    assert len(bot.slack.calls_to("chat.postMessage")) == 1
    assert await bot.remaining() == 499


async def test_bad_signatures_and_stale_requests_get_401_and_do_nothing(bot: SlackBot) -> None:
    body = event_body(mention_event(COUNT, ts=ROOT))
    forged = await bot.post(body, secret="not-the-secret")
    stale_headers = signed_headers(body, secret=SECRET, timestamp=int(time.time()) - 6 * 60)
    stale = await bot.post(body, headers=stale_headers)

    assert (forged.status, stale.status) == (401, 401)
    assert bot.slack.calls == []
    assert await bot.remaining() == 500


async def test_the_bots_own_messages_and_other_bots_are_ignored(bot: SlackBot) -> None:
    own = message_event(
        COUNT, user="U0BOT", channel="D0ALICE", ts="1700000000.000600", channel_type="im"
    )
    other = message_event(
        COUNT,
        user="U0OTHER",
        channel="D0ALICE",
        ts="1700000000.000700",
        channel_type="im",
        bot_id="B0OTHER",
    )
    edited = message_event(
        COUNT,
        user="U0ALICE",
        channel="D0ALICE",
        ts="1700000000.000800",
        channel_type="im",
        subtype="message_changed",
    )
    for event in (own, other, edited):
        assert await bot.event(event) == 200
    assert bot.slack.calls_to("chat.postMessage") == []


async def test_an_unlinked_team_is_told_how_to_link_it(bot: SlackBot) -> None:
    await bot.post(event_body(mention_event(COUNT, ts=ROOT), team_id="T0OTHER"))
    (reply,) = bot.slack.calls_to("chat.update")  # the placeholder becomes the notice
    assert "not linked to a SetGet workspace" in reply.args["text"]
    assert "setget-bot workspace link NAME --slack-team T0OTHER" in reply.args["text"]
    assert await bot.remaining() == 500


async def test_a_channel_bound_to_a_project_scopes_its_questions(bot: SlackBot) -> None:
    assert await bot.command("project api", channel="C0API") == 200
    bound = bot.slack.calls_to("response_url")[-1].args["text"]
    assert "now about project API" in bound
    await bot.event(mention_event("How many open items are there?", channel="C0API", ts=ROOT))
    assert "open work items in API" in bot.slack.calls_to("chat.update")[-1].args["text"]


async def test_out_of_credits_tells_the_person_privately_and_charges_nothing(
    bot: SlackBot,
) -> None:
    await bot.drain()

    await bot.event(mention_event(COUNT, user="U0BOB", ts="1700000999.000100"))

    (notice,) = bot.slack.calls_to("chat.postEphemeral")
    assert notice.args["user"] == "U0BOB"
    assert notice.args["thread_ts"] == "1700000999.000100"
    renewal = (await bot.app.pool.status(bot.workspace)).cycle.renewal.isoformat()
    assert "out of AI credits" in notice.args["text"]
    assert renewal in notice.args["text"]
    assert "an admin can buy a credit pack" in notice.args["text"]
    assert "`/setget buy`" in notice.args["text"]
    assert len(bot.slack.calls_to("chat.delete")) == 1  # the placeholder goes away
    assert bot.slack.calls_to("chat.update") == []


async def test_replicas_on_one_database_answer_and_charge_a_message_once(
    bot: SlackBot, database_url: str
) -> None:
    """Two processes behind a load balancer get the same event and Slack's retries of it."""
    db = open_database(database_url, pool_size=5)
    other = build_app(bot.app.settings, db=db, clock=bot.app.clock)
    body = event_body(mention_event(COUNT, ts=ROOT), event_id="Ev0LB")
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    try:
        async with serve(other, bot.slack) as second_url:
            second = SlackBot(
                app=other, slack=bot.slack, url=second_url, http=bot.http, workspace=bot.workspace
            )
            statuses = await asyncio.gather(
                bot.post(body),
                second.post(body),
                bot.post(body, headers=retry),
                second.post(body, headers=retry),
            )
    finally:
        await db.dispose()
    assert [s.status for s in statuses] == [200] * 4
    assert len(bot.slack.calls_to("chat.postMessage")) == 1
    assert len(bot.slack.calls_to("chat.update")) >= 1
    assert await bot.remaining() == 499


async def test_live_and_ready_checks_say_what_the_process_can_do(bot: SlackBot) -> None:
    async with bot.http.get(f"{bot.url}/healthz") as resp:
        assert (resp.status, await resp.json()) == (200, {"status": "ok"})
    async with bot.http.get(f"{bot.url}/readyz") as resp:
        assert (resp.status, await resp.json()) == (200, {"status": "ready"})

    async with bot.app.db.write() as conn:  # a schema an older version left
        await conn.execute(text("UPDATE alembic_version SET version_num = '0008'"))
    async with bot.http.get(f"{bot.url}/readyz") as resp:
        assert (resp.status, await resp.json()) == (503, {"status": "database schema out of date"})

    await bot.app.db.dispose()
    broken = open_database("sqlite:////nonexistent-dir/setget.db", pool_size=1)
    async with serve(replace(bot.app, db=broken), bot.slack) as url:
        async with bot.http.get(f"{url}/healthz") as resp:  # alive: do not restart it
            assert (resp.status, await resp.json()) == (200, {"status": "ok"})
        async with bot.http.get(f"{url}/readyz") as resp:  # but send it no traffic
            assert (resp.status, await resp.json()) == (503, {"status": "database unreachable"})
    await broken.dispose()


async def test_a_slack_server_error_on_the_final_edit_is_retried(bot: SlackBot) -> None:
    bot.slack.fail("chat.update", status=500)  # streaming is instant here: this is the answer

    await bot.event(mention_event(COUNT, ts=ROOT))

    taken = [c for c in bot.slack.calls_to("chat.update") if not c.failed]
    assert footer(taken[-1].args["blocks"]).startswith("simple question · 1 credit")
    assert await bot.remaining() == 499


async def test_an_answer_slack_will_not_edit_in_is_posted_in_the_thread(bot: SlackBot) -> None:
    bot.slack.fail("chat.update", times=10, error="cant_update_message")

    await bot.event(mention_event(COUNT, ts=ROOT))

    placeholder, answer = bot.slack.calls_to("chat.postMessage")
    assert placeholder.args["text"] == PLACEHOLDER
    assert answer.args["thread_ts"] == ROOT
    assert "open work items in WEB" in answer.args["text"]
    assert footer(answer.args["blocks"]).startswith("simple question · 1 credit")
    assert await bot.remaining() == 499
