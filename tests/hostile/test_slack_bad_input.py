"""Bad input on Slack: oversized messages, attachments alone, control characters, text that is
not valid Unicode, signed payloads of the wrong shape, and replayed clicks and submissions.
Each gets a clear line (or is ignored where Slack expects silence), nothing is charged, no
traceback reaches anyone, and the app answers the next person as before."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import parse_qs, parse_qsl, quote_plus, urlencode

import pytest

from adapters.slack.blocks import BUY_CONFIRM_VIEW, CONFIRM
from core.work.model import ItemFilter
from tests.adapters.slack.conftest import SECRET
from tests.adapters.slack.signing import action_body, command_body, signed_headers
from tests.hostile.slack_pair import ADMIN_A, CHANNEL_A, MEMBER_A, TEAM_A, SlackPair
from tests.hostile.tenants import rows_of

RESPONSE_URL = "http://response.invalid/replaced-by-the-fakes-url"
COUNT = "How many open items are in the WEB project?"
TOO_LONG = ":warning: A message must have 1 to 4000 characters."


def told(pair: SlackPair, since: int) -> list[str]:
    """What the bot posted, edited or said ephemerally after the first `since` calls."""
    methods = {"chat.postMessage", "chat.update", "chat.postEphemeral", "response_url"}
    calls = [c for c in pair.slack.calls[since:] if c.method in methods]
    return [str(c.args.get("text", "")) for c in calls]


def no_traceback(lines: list[str]) -> None:
    for line in lines:
        assert "Traceback" not in line, line
        assert 'File "' not in line, line


async def still_answers(pair: SlackPair, *, ts: str) -> None:
    """Another member's question is answered and charged as usual afterwards."""
    before = await pair.bot.remaining()
    updates = len(pair.slack.calls_to("chat.update"))
    assert await pair.mention(COUNT, user="U0CAROL", ts=ts) == 200
    final = pair.slack.calls_to("chat.update")[updates:][-1].args
    assert "open work items" in final["text"]
    assert await pair.bot.remaining() == before - 1


@pytest.mark.parametrize(
    "text",
    [
        "x" * 100_000,  # 100 KB
        "How many open items? " + "\u00e9" * 50_000,  # 100 KB of two-byte characters
        "<@U0BOT>",  # the mention alone (an attachment-only message's text)
        "\x00\x01\x02\x1b\x7f",  # nothing but control characters
        "\udfff\ud800 \udc00",  # lone surrogates only (no high-low pair)
    ],
    ids=["100 KB", "100 KB UTF-8", "mention only", "control only", "surrogates only"],
)
async def test_a_message_that_cannot_be_a_question_is_refused_and_not_charged(
    pair: SlackPair, text: str
) -> None:
    before = await rows_of(pair.app, pair.acme)
    since = len(pair.slack.calls)
    event_files = {"files": [{"id": "F0FILE", "name": "spec.pdf", "mimetype": "application/pdf"}]}
    event = {
        "type": "app_mention",
        "user": MEMBER_A,
        "text": text if text.startswith("<@") else f"<@U0BOT> {text}",
        "ts": "1700000030.1",
        "team": TEAM_A,
        "channel": CHANNEL_A,
        "event_ts": "1700000030.1",
        **event_files,
    }
    assert await pair.post_event(event, team=TEAM_A) == 200
    lines = told(pair, since)
    assert lines[-1] == TOO_LONG, lines
    no_traceback(lines)
    after = await rows_of(pair.app, pair.acme)
    assert after["credit_balances"] == before["credit_balances"]
    assert after["ledger_entries"] == before["ledger_entries"]
    assert after["turns"] == before["turns"] == []
    await still_answers(pair, ts="1700000031.1")


async def test_control_characters_and_lone_surrogates_in_a_question_are_dropped_and_answered(
    pair: SlackPair,
) -> None:
    noisy = "How many\x00 open\x1b[31m items\ud800 are in the \u202eWEB\ufeff project?\x7f"
    since = len(pair.slack.calls)
    assert await pair.mention(noisy, ts="1700000032.1") == 200
    lines = told(pair, since)
    no_traceback(lines)
    assert "open work items" in lines[-1]
    (asked, _) = await pair.bot.turns(f"{CHANNEL_A}:1700000032.1")
    assert "\x00" not in asked
    assert "\ud800" not in asked
    assert "\x1b" not in asked
    assert await pair.bot.remaining() == 499


async def test_an_attachment_alone_in_a_dm_is_told_text_is_needed(pair: SlackPair) -> None:
    since = len(pair.slack.calls)
    event = {
        "type": "message",
        "subtype": "file_share",
        "user": MEMBER_A,
        "text": "",
        "files": [{"id": "F0FILE", "name": "spec.pdf"}],
        "ts": "1700000033.1",
        "team": TEAM_A,
        "channel": "D0BOB",
        "event_ts": "1700000033.1",
        "channel_type": "im",
    }
    assert await pair.post_event(event, team=TEAM_A) == 200
    lines = told(pair, since)
    assert lines[-1:] == [TOO_LONG], lines
    assert await pair.bot.remaining() == 500


def interaction(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


def clicked(**changes: Any) -> str:
    """A block_actions body with parts replaced or removed (None removes)."""
    body = action_body(CONFIRM, "1", team_id=TEAM_A, response_url=RESPONSE_URL)
    payload = json.loads(parse_qs(body)["payload"][0])
    for key, value in changes.items():
        if value is None:
            payload.pop(key, None)
        else:
            payload[key] = value
    return interaction(payload)


WRONG_SHAPES: dict[str, str] = {
    "click without a message": clicked(message=None, container=None),
    "click without actions": clicked(actions=[]),
    "click with a numeric value": clicked(
        actions=[{"action_id": CONFIRM, "block_id": "b", "value": 12, "type": "button"}]
    ),
    "click with a huge value": clicked(
        actions=[{"action_id": CONFIRM, "block_id": "b", "value": "9" * 5000, "type": "button"}]
    ),
    "click with a negative value": clicked(
        actions=[{"action_id": CONFIRM, "block_id": "b", "value": "-1", "type": "button"}]
    ),
    "click without a channel": clicked(channel=None),
    "view without state": interaction(
        {
            "type": "view_submission",
            "team": {"id": TEAM_A},
            "user": {"id": ADMIN_A},
            "view": {"id": "V1", "callback_id": BUY_CONFIRM_VIEW, "private_metadata": "|x|y|"},
        }
    ),
    "command without text": urlencode(
        {k: v for k, v in parse_qsl(command_body("x", response_url=RESPONSE_URL)) if k != "text"}
    ),
    "command of 100 KB": command_body(
        "usage " + "x" * 100_000, team_id=TEAM_A, response_url=RESPONSE_URL
    ),
    "command with control characters": command_body(
        "bal\x00ance\x1b", team_id=TEAM_A, response_url=RESPONSE_URL
    ),
    "event with a numeric text": json.dumps(
        {
            "type": "event_callback",
            "team_id": TEAM_A,
            "api_app_id": "A0APP",
            "event_id": "EvShape1",
            "event_time": 1,
            "event": {
                "type": "app_mention",
                "user": MEMBER_A,
                "text": 7,
                "ts": "1.2",
                "channel": CHANNEL_A,
                "team": TEAM_A,
            },
        }
    ),
    "event without a channel": json.dumps(
        {
            "type": "event_callback",
            "team_id": TEAM_A,
            "api_app_id": "A0APP",
            "event_id": "EvShape2",
            "event_time": 1,
            "event": {"type": "app_mention", "user": MEMBER_A, "text": "hi", "ts": "1.3"},
        }
    ),
}


@pytest.mark.parametrize("name", list(WRONG_SHAPES))
async def test_a_signed_payload_of_the_wrong_shape_hurts_nobody(
    pair: SlackPair, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    body = WRONG_SHAPES[name].replace(quote_plus(RESPONSE_URL), quote_plus(pair.slack.response_url))
    before = await rows_of(pair.app, pair.acme)
    since = len(pair.slack.calls)
    response = await pair.bot.post(body, headers=signed_headers(body, secret=SECRET))
    assert response.status in (200, 400, 500)  # 500: Bolt itself failed (one clean log line)
    lines = told(pair, since)
    no_traceback(lines)
    after = await rows_of(pair.app, pair.acme)
    assert after["ledger_entries"] == before["ledger_entries"]
    assert after["proposed_actions"] == before["proposed_actions"]
    await still_answers(pair, ts="1700000034.1")


async def test_a_confirm_clicked_twice_at_once_applies_once(pair: SlackPair) -> None:
    await pair.mention(
        "Create a work item titled 'Fix header layout' in the WEB project",
        user=MEMBER_A,
        ts="1700000035.1",
    )
    post = next(
        c
        for c in pair.slack.calls_to("chat.postMessage")
        if str(c.args.get("text", "")).startswith("Proposed action")
    )
    value = next(b for b in post.args["blocks"] if b["type"] == "actions")["elements"][0]["value"]
    message = {"ts": "1700000035.2", "text": post.args["text"], "blocks": post.args["blocks"]}
    clicks = [
        pair.click(CONFIRM, value, user=user, message=message)
        for user in (MEMBER_A, ADMIN_A, MEMBER_A, ADMIN_A)
    ]
    before = len(pair.slack.calls_to("response_url"))
    await asyncio.gather(*clicks)
    page = await pair.app.work_items.find(
        pair.acme.id, ItemFilter(text="Fix header layout"), limit=5
    )
    assert page.total == 1  # applied once
    refusals = [str(c.args["text"]) for c in pair.slack.calls_to("response_url")[before:]]
    assert len(refusals) == 3
    assert all("was already" in r for r in refusals), refusals


async def test_a_purchase_confirmation_submitted_twice_buys_one_pack(pair: SlackPair) -> None:
    for _ in range(2):  # a double submit, or Slack's retry of the same view
        status, _ = await pair.bot.submit(
            BUY_CONFIRM_VIEW,
            {},
            user=ADMIN_A,
            team_id=TEAM_A,
            private_metadata=f"{CHANNEL_A}|100",
            view_id="V0BUY1",
        )
        assert status == 200
    assert await pair.bot.remaining() == 600
    lines = [c.args["text"] for c in pair.slack.calls_to("chat.postEphemeral")]
    assert lines[0].startswith(":white_check_mark: Added a pack of 100 credits to acme")
    assert "already" in lines[1]
