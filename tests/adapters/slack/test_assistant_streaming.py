"""Slack's own text streaming and the assistant status, with a real Bolt app against the fake
Web API: an answer assembled from appends with the footer and the proposals' buttons in the
stop, the status naming the tool in use and cleared at the end, the edits where Slack
refuses to stream (remembered for the team), a stream cut half-way, a crash after the
charge; every answer delivered once and charged once."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from datetime import timedelta
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import CONFIRM, REJECT, feedback_block
from adapters.slack.incoming import Incoming
from adapters.slack.messages import SlackConversations
from adapters.slack.surface import PLACEHOLDER
from adapters.slack.text_streaming import StreamingMemory, safe_markdown
from bot.app import App
from bot.chat import chat_layer
from bot.conversation import ChatSessions
from core.work.model import ItemFilter
from tests.adapters.slack.conftest import TEAM, SlackBot, serve
from tests.adapters.slack.fake_slack import SlackCall
from tests.adapters.slack.signing import mention_event

COUNT = "How many open items are in the WEB project?"
CREATE = "Create a work item titled 'Fix header layout' in the WEB project"
CHANNEL = "C0GENERAL"
AFTER_THE_LEASE = timedelta(minutes=3)  # a claim's lease is 2 minutes
FOOTER = "simple question · 1 credit · 499 left"


async def ask(bot: SlackBot, text: str = COUNT, *, ts: str = "1700000100.000100") -> str:
    assert await bot.event(mention_event(text, user="U0BOB", ts=ts)) == 200
    return ts


def streamed(bot: SlackBot) -> dict[str, Any]:
    """The one message the bot streamed, as Slack shows it now."""
    (message,) = [m for m in bot.slack.messages.values() if "recipient_user_id" in m]
    return message


async def last_turn(bot: SlackBot, thread: str) -> str:
    return (await bot.turns(f"{CHANNEL}:{thread}"))[-1]


async def test_an_answer_streams_in_appends_and_ends_with_the_footer_in_the_stop(
    bot: SlackBot,
) -> None:
    bot.slack.streaming = True
    thread = await ask(bot)

    (start,) = bot.slack.calls_to("chat.startStream")
    assert start.args["channel"] == CHANNEL
    assert start.args["thread_ts"] == thread
    assert start.args["recipient_team_id"] == TEAM  # required when streaming to channels
    assert start.args["recipient_user_id"] == "U0BOB"
    assert len(bot.slack.calls_to("chat.appendStream")) >= 3  # word by word, as it was written
    (stop,) = bot.slack.calls_to("chat.stopStream")
    feedback, footer = stop.args["blocks"]
    assert feedback == feedback_block(f"{TEAM}:{CHANNEL}:{thread}")  # Good/Bad on the answer
    assert footer == {"type": "context", "elements": [{"type": "mrkdwn", "text": FOOTER}]}
    message = streamed(bot)
    assert "streaming" not in message  # stopped
    assert message["text"].strip() == await last_turn(bot, thread)  # the whole answer, once
    assert "open work items in WEB" in message["text"]
    assert bot.slack.calls_to("chat.postMessage") == []  # no placeholder
    assert bot.slack.calls_to("chat.update") == []  # no edits
    assert await bot.remaining() == 499


async def test_the_status_names_the_tool_in_use_and_is_cleared_at_the_end(
    bot: SlackBot,
) -> None:
    bot.slack.streaming = True
    thread = await ask(bot)
    assert bot.slack.statuses[(CHANNEL, thread)] == [
        "Thinking…",
        "Counting open items in WEB…",
        "",  # cleared
    ]
    clear = bot.slack.calls_to("assistant.threads.setStatus")[-1]
    assert bot.slack.calls.index(clear) > bot.slack.calls.index(
        bot.slack.calls_to("chat.stopStream")[0]
    )  # after the answer was out


async def test_a_proposal_comes_with_its_buttons_in_the_stop_blocks(bot: SlackBot) -> None:
    bot.slack.streaming = True
    await ask(bot, CREATE)
    (stop,) = bot.slack.calls_to("chat.stopStream")
    blocks = stop.args["blocks"]
    assert blocks[0]["type"] == "context_actions"  # the feedback buttons
    assert blocks[1]["elements"][0]["text"].startswith("action single · ")
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert any("Create task “Fix header layout” in WEB" in text for text in sections)
    (actions,) = [b for b in blocks if b["type"] == "actions"]
    assert [e["action_id"] for e in actions["elements"]] == [CONFIRM, REJECT]
    assert bot.slack.calls_to("chat.postMessage") == []  # not offered in a message apart
    assert await bot.remaining() < 500


async def test_the_confirm_button_in_a_streamed_answer_applies_the_proposal_once(
    bot: SlackBot,
) -> None:
    bot.slack.streaming = True
    await ask(bot, CREATE)
    message = streamed(bot)
    (actions,) = [b for b in message["blocks"] if b["type"] == "actions"]
    confirm = next(e for e in actions["elements"] if e["action_id"] == CONFIRM)
    charged = await bot.remaining()
    status = await bot.click(
        CONFIRM, confirm["value"], user="U0BOB", message=message, message_ts=message["ts"]
    )
    assert status == 200
    page = await bot.app.work_items.find(
        bot.workspace.id, ItemFilter(text="Fix header layout"), limit=5
    )
    (created,) = page.items
    decided = bot.slack.calls_to("chat.update")[-1].args
    assert decided["ts"] == message["ts"]  # the streamed message shows the decision
    shown = [b for b in decided["blocks"] if b["type"] == "context"]
    lines = [e["text"] for b in shown for e in b["elements"]]
    assert f":white_check_mark: Confirmed by <@U0BOB>: {created.key} created." in lines
    assert not [b for b in decided["blocks"] if b["type"] == "actions"]  # the buttons are gone
    # the answer itself, its feedback buttons and its usage footer stay as they were
    after = streamed(bot)
    assert "Fix header layout" in after["text"]
    assert [b["type"] for b in after["blocks"][:2]] == ["context_actions", "context"]
    assert after["blocks"][1]["elements"][0]["text"].startswith("action single · ")
    assert await bot.remaining() == charged  # deciding costs nothing


async def test_where_slack_refuses_to_stream_the_answer_comes_by_edits_and_that_is_remembered(
    bot: SlackBot,
) -> None:
    assert not bot.slack.streaming  # chat.startStream answers not_allowed
    await ask(bot, ts="1700000100.000100")
    (refused,) = bot.slack.calls_to("chat.startStream")
    assert refused.args["recipient_user_id"] == "U0BOB"
    (placeholder,) = bot.slack.calls_to("chat.postMessage")
    assert placeholder.args["text"] == PLACEHOLDER
    (final,) = await bot.answered()
    (placeholder_ts,) = [ts for ts, t in bot.slack.thread_of.items() if t == "1700000100.000100"]
    assert final.args["ts"] == placeholder_ts  # the placeholder, edited into the answer
    assert [b["type"] for b in final.args["blocks"]] == ["section", "context_actions", "context"]
    assert final.args["blocks"][-1]["elements"][0]["text"] == FOOTER

    await ask(bot, "And in API?", ts="1700000200.000100")
    await bot.answered(2)
    assert len(bot.slack.calls_to("chat.startStream")) == 1  # the team is not asked again
    assert await bot.remaining() == 498


async def test_a_passing_failure_to_stream_falls_back_once_and_streams_next_time(
    bot: SlackBot,
) -> None:
    bot.slack.streaming = True
    bot.slack.fail("chat.startStream", error="internal_error")
    await ask(bot, ts="1700000100.000100")
    await bot.answered()  # by edits
    await ask(bot, "And in API?", ts="1700000200.000100")
    assert len(bot.slack.calls_to("chat.startStream")) == 2
    assert len(bot.slack.calls_to("chat.stopStream")) == 1  # streamed this time
    assert await bot.remaining() == 498


async def test_a_stream_cut_half_way_is_finished_by_an_edit_with_the_whole_answer(
    bot: SlackBot,
) -> None:
    bot.slack.streaming = True
    bot.slack.fail("chat.appendStream", error="message_not_in_streaming_state", after=2)
    thread = await ask(bot)

    appends = bot.slack.calls_to("chat.appendStream")
    assert [c.failed for c in appends] == [False, False, True]  # nothing sent after the cut
    (final,) = bot.slack.calls_to("chat.update")
    message = streamed(bot)
    assert final.args["ts"] == message["ts"]  # the same message, not a second one
    answer = await last_turn(bot, thread)
    assert message["blocks"][0]["text"]["text"] == answer
    assert message["blocks"][-1]["elements"][0]["text"] == FOOTER
    assert bot.slack.calls_to("chat.postMessage") == []
    assert await bot.remaining() == 499  # charged once


async def test_a_cut_stream_whose_message_cannot_be_edited_is_posted_anew_once(
    bot: SlackBot,
) -> None:
    bot.slack.streaming = True
    bot.slack.fail("chat.appendStream", error="message_not_in_streaming_state", after=1)
    bot.slack.fail("chat.update", error="cant_update_message")
    thread = await ask(bot)
    (posted,) = bot.slack.calls_to("chat.postMessage")
    assert posted.args["thread_ts"] == thread
    assert posted.args["text"] == await last_turn(bot, thread)
    assert posted.args["blocks"][-1]["elements"][0]["text"] == FOOTER
    assert await bot.remaining() == 499


async def test_a_status_slack_refuses_in_a_thread_is_not_asked_for_again_there(
    bot: SlackBot,
) -> None:
    bot.slack.streaming = True
    bot.slack.fail("assistant.threads.setStatus", error="not_allowed")
    thread = await ask(bot)
    await ask(bot, "And in API?", ts="1700000200.000100")  # another thread: asked there
    assert (
        await bot.event(
            mention_event("And bugs?", user="U0BOB", ts="1700000300.000100", thread_ts=thread)
        )
        == 200
    )
    in_first = [
        c
        for c in bot.slack.calls_to("assistant.threads.setStatus")
        if c.args["thread_ts"] == thread
    ]
    assert len(in_first) == 1  # refused once, then left alone
    assert len(bot.slack.calls_to("chat.stopStream")) == 3  # every answer delivered
    assert await bot.remaining() == 497


def process(app: App, *, streams: bool) -> SlackConversations:
    """One bot process's message handling on `app`'s database (the fault tests' idea)."""
    memory = StreamingMemory(enabled=streams)
    layer = chat_layer(app, ChatSessions(app))
    return SlackConversations(layer=layer, stream_interval=0.0, memory=memory)


async def test_an_answer_whose_stream_died_with_its_process_is_finished_there_once(
    bot: SlackBot,
) -> None:
    bot.slack.streaming = True
    client = AsyncWebClient(token="xoxb-test-token", base_url=bot.slack.api_url)
    root = "1700000100.000100"
    question = Incoming(TEAM, CHANNEL, "U0BOB", COUNT, root, root, f"{CHANNEL}:{root}")
    bot.slack.stall("chat.stopStream")  # charged; the answer never reaches Slack
    answering = asyncio.create_task(process(bot.app, streams=True).answer(question, client))
    await bot.slack.wait_for("chat.stopStream")
    answering.cancel()  # the process dies
    with contextlib.suppress(asyncio.CancelledError):
        await answering
    stream_ts = next(iter(bot.slack.messages))
    bot.app.clock.advance(seconds=AFTER_THE_LEASE.total_seconds())  # type: ignore[attr-defined]

    async def client_for(_team: str) -> AsyncWebClient:
        return client

    assert await process(bot.app, streams=True).answer_unfinished(client_for) == 1
    (final,) = [c for c in bot.slack.calls_to("chat.update") if _has_footer(c)]
    assert final.args["ts"] == stream_ts  # finished in the streamed message
    assert "open work items in WEB" in final.args["text"]
    assert bot.slack.calls_to("chat.postMessage") == []
    assert await bot.remaining() == 499  # charged once


def _has_footer(call: SlackCall) -> bool:
    blocks = call.args.get("blocks") or [{}]
    return bool(blocks[-1].get("type") == "context")


def test_streamed_text_can_never_ping_or_forge_a_link() -> None:
    assert safe_markdown("<!channel> and <@U0BOB> in <#C0WEB>, a < b") == (
        "<\u2060!channel> and <\u2060@U0BOB> in <\u2060#C0WEB>, a < b"
    )


def test_a_teams_refusal_is_remembered_for_a_while_only() -> None:
    now = [0.0]
    memory = StreamingMemory(ttl=3600, timer=lambda: now[0])
    memory.refused_streaming(TEAM, "not_allowed")
    assert not memory.streams(TEAM)
    assert memory.streams("T0OTHER")
    now[0] = 3601
    assert memory.streams(TEAM)
    assert not StreamingMemory(enabled=False).streams(TEAM)


async def test_with_native_streaming_turned_off_every_answer_comes_by_edits(
    bot: SlackBot,
) -> None:
    bot.slack.streaming = True  # Slack would stream: the operator said no
    async with serve(bot.app, bot.slack, native_streaming=False) as url:
        await ask(replace(bot, url=url))
    assert bot.slack.calls_to("chat.startStream") == []
    (final,) = await bot.answered()
    assert final.args["blocks"][-1]["elements"][0]["text"] == FOOTER
