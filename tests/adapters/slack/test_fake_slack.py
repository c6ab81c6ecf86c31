"""The fake Slack Web API and the signed-request helpers, against the real slack_sdk and Bolt."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import aiohttp
import pytest
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond, AsyncSay
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from tests.adapters.slack.fake_slack import FakeSlack, SlackCall
from tests.adapters.slack.signing import (
    action_body,
    command_body,
    event_body,
    mention_event,
    message_event,
    signed_headers,
    url_verification_body,
    view_submission_body,
)

SECRET = "s3cret"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=slack.api_url)


# -- the Web API -------------------------------------------------------------------------------


async def test_api_url_is_a_web_client_base_url(slack: FakeSlack) -> None:
    assert slack.api_url.startswith("http://127.0.0.1:")
    assert slack.api_url.endswith("/api/")


async def test_post_message_is_answered_and_recorded(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    first = await client.chat_postMessage(
        channel="C0GENERAL", text="hi", thread_ts="1700000000.000001", blocks=blocks
    )
    second = await client.chat_postMessage(channel="C0GENERAL", text="again")

    assert first["ok"] is True
    assert first["channel"] == "C0GENERAL"
    assert first["message"]["thread_ts"] == "1700000000.000001"
    assert first["message"]["text"] == "hi"
    assert first["ts"] == first["message"]["ts"] == "1700000000.000100"
    assert float(second["ts"]) > float(first["ts"])
    assert "thread_ts" not in second["message"]
    [call, _] = slack.calls_to("chat.postMessage")
    assert call == SlackCall(
        "chat.postMessage",
        {"channel": "C0GENERAL", "text": "hi", "thread_ts": "1700000000.000001", "blocks": blocks},
        "xoxb-test",
    )


async def test_update_ephemeral_users_and_conversations(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    slack.add_user("U0ALICE", "alice", admin=True)

    updated = await client.chat_update(channel="C0GENERAL", ts="1700000000.000100", text="new")
    ephemeral = await client.chat_postEphemeral(channel="C0GENERAL", user="U0ALICE", text="psst")
    alice = await client.users_info(user="U0ALICE")
    im = await client.conversations_open(users="U0ALICE")
    with pytest.raises(SlackApiError) as unknown:
        await client.users_info(user="U0NOBODY")

    assert (updated["channel"], updated["ts"], updated["text"]) == (
        "C0GENERAL",
        "1700000000.000100",
        "new",
    )
    assert ephemeral["message_ts"] == "1700000000.000100"
    assert alice["user"]["id"] == "U0ALICE"
    assert alice["user"]["is_admin"] is True
    assert alice["user"]["is_owner"] is False
    assert alice["user"]["profile"]["display_name"] == "alice"
    assert alice["user"]["team_id"] == "T0001"
    assert im["channel"]["id"] == "DU0ALICE"
    assert unknown.value.response["error"] == "user_not_found"
    # users.info goes as a GET with a query string; the token still travels as a bearer
    assert [call.args for call in slack.calls_to("users.info")] == [
        {"user": "U0ALICE"},
        {"user": "U0NOBODY"},
    ]
    assert {call.token for call in slack.calls} == {"xoxb-test"}
    assert [call.method for call in slack.calls] == [
        "chat.update",
        "chat.postEphemeral",
        "users.info",
        "conversations.open",
        "users.info",
    ]


async def test_auth_team_and_bot_info(slack: FakeSlack, client: AsyncWebClient) -> None:
    auth = await client.auth_test()
    team = await client.team_info()
    bot = await client.bots_info(bot="B0BOT")

    assert auth["team_id"] == "T0001"
    assert auth["user_id"] == "U0BOT"
    assert auth["bot_id"] == "B0BOT"
    assert auth["is_enterprise_install"] is False
    assert auth.headers["x-oauth-scopes"] == slack.bot_scopes
    assert team["team"] == {"id": "T0001", "name": "Fake Team", "domain": "fake"}
    assert bot["bot"]["user_id"] == "U0BOT"
    assert bot["bot"]["app_id"] == "A0APP"


async def test_form_encoded_json_fields_are_decoded(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    attachments = [{"text": "attached", "color": "#36a64f"}]
    await client.api_call(
        "chat.scheduleMessage",
        data={"channel": "C1", "post_at": 1700000000, "attachments": json.dumps(attachments)},
    )

    [call] = slack.calls_to("chat.scheduleMessage")
    assert call.args == {"channel": "C1", "post_at": "1700000000", "attachments": attachments}
    assert call.token == "xoxb-test"


async def test_views_echo_the_view_with_an_id(slack: FakeSlack, client: AsyncWebClient) -> None:
    view = {
        "type": "modal",
        "callback_id": "settings",
        "title": {"type": "plain_text", "text": "S"},
    }

    opened = await client.views_open(trigger_id="trig.1", view=view)
    updated = await client.views_update(view_id=opened["view"]["id"], view=view)

    assert opened["view"]["id"].startswith("V")
    assert opened["view"]["callback_id"] == "settings"
    assert updated["view"]["id"] == opened["view"]["id"]
    assert slack.calls_to("views.open")[0].args["view"] == view


async def test_files_upload_v2_lands_the_bytes(slack: FakeSlack, client: AsyncWebClient) -> None:
    result = await client.files_upload_v2(
        channel="C0GENERAL",
        file=PNG,
        filename="usage.png",
        title="Usage this month",
        initial_comment="Here you go",
        thread_ts="1700000000.000001",
    )

    [get_url] = slack.calls_to("files.getUploadURLExternal")
    [complete] = slack.calls_to("files.completeUploadExternal")
    file_id = result["file"]["id"]
    assert file_id.startswith("F")
    assert result["file"] == {"id": file_id, "title": "Usage this month", "name": "usage.png"}
    assert slack.uploads == {file_id: PNG}
    assert get_url.args == {"filename": "usage.png", "length": str(len(PNG))}
    assert complete.args == {
        "files": [{"id": file_id, "title": "Usage this month"}],
        "channel_id": "C0GENERAL",
        "initial_comment": "Here you go",
        "thread_ts": "1700000000.000001",
    }
    assert complete.token == "xoxb-test"


async def test_oauth_v2_access_answers_a_bot_install(slack: FakeSlack) -> None:
    slack.oauth_team_id = "T0NEW"
    slack.oauth_bot_token = "xoxb-new-team"
    anonymous = AsyncWebClient(base_url=slack.api_url)

    # slack_sdk 3.48 sends the client id and secret as HTTP Basic auth built with
    # aiohttp.BasicAuth, which aiohttp 3.14 deprecates: the warning is a known upstream quirk.
    with pytest.warns(DeprecationWarning, match="BasicAuth is deprecated"):
        installed = await anonymous.oauth_v2_access(
            client_id="111.222", client_secret="shh", code="code-1", redirect_uri="https://x/cb"
        )
    auth = await anonymous.auth_test(token="xoxb-new-team")

    assert installed["access_token"] == "xoxb-new-team"
    assert installed["token_type"] == "bot"
    assert installed["team"] == {"id": "T0NEW", "name": "Fake Team"}
    assert installed["bot_user_id"] == "U0BOT"
    assert installed["enterprise"] is None
    assert installed["is_enterprise_install"] is False
    assert auth["team_id"] == "T0NEW"
    [call] = slack.calls_to("oauth.v2.access")
    # the Basic auth credentials are recorded as if they had been form fields
    assert call.args == {
        "code": "code-1",
        "redirect_uri": "https://x/cb",
        "client_id": "111.222",
        "client_secret": "shh",
    }
    assert call.token is None


async def test_oauth_credentials_in_the_form_are_recorded_too(slack: FakeSlack) -> None:
    anonymous = AsyncWebClient(base_url=slack.api_url)

    await anonymous.api_call(
        "oauth.v2.access", data={"code": "c", "client_id": "1.2", "client_secret": "s"}
    )

    assert slack.calls_to("oauth.v2.access")[0].args == {
        "code": "c",
        "client_id": "1.2",
        "client_secret": "s",
    }


async def test_unknown_methods_answer_ok(slack: FakeSlack, client: AsyncWebClient) -> None:
    answer = await client.reactions_add(channel="C1", timestamp="1.2", name="eyes")
    assert answer.data == {"ok": True}
    assert slack.calls_to("reactions.add")[0].args["name"] == "eyes"


async def test_custom_answers(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.answer("conversations.replies", {"ok": True, "messages": [{"text": "root"}]})
    slack.answer(
        "users.lookupByEmail", lambda call: {"ok": True, "user": {"id": call.args["email"]}}
    )

    replies = await client.conversations_replies(channel="C1", ts="1.2")
    found = await client.users_lookupByEmail(email="a@b.c")

    assert replies["messages"] == [{"text": "root"}]
    assert found["user"]["id"] == "a@b.c"


# -- failures, waiting, latency ----------------------------------------------------------------


async def test_server_errors_fail_then_calls_succeed(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    slack.fail("chat.postMessage", times=2, status=500)

    for _ in range(2):
        with pytest.raises(SlackApiError) as failed:
            await client.chat_postMessage(channel="C1", text="hi")
        assert failed.value.response.status_code == 500
        assert failed.value.response["error"] == "internal_error"
    answer = await client.chat_postMessage(channel="C1", text="hi")

    assert answer["ok"] is True
    assert [call.failed for call in slack.calls_to("chat.postMessage")] == [True, True, False]


async def test_rate_limits_carry_retry_after(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.fail("chat.update", status=429)
    slack.fail("chat.update", status=429, retry_after=7)

    with pytest.raises(SlackApiError) as first:
        await client.chat_update(channel="C1", ts="1.2", text="x")
    with pytest.raises(SlackApiError) as second:
        await client.chat_update(channel="C1", ts="1.2", text="x")

    assert first.value.response.status_code == 429
    assert first.value.response.headers["Retry-After"] == "1"
    assert first.value.response["error"] == "ratelimited"
    assert second.value.response.headers["Retry-After"] == "7"
    assert (await client.chat_update(channel="C1", ts="1.2", text="x"))["ok"] is True


async def test_an_ok_false_answer(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.fail("chat.postMessage", error="channel_not_found")

    with pytest.raises(SlackApiError) as failed:
        await client.chat_postMessage(channel="C404", text="hi")

    assert failed.value.response.status_code == 200
    assert failed.value.response.data == {"ok": False, "error": "channel_not_found"}
    assert slack.calls_to("chat.postMessage")[0].failed is True


async def test_wait_for_waits_for_calls_still_coming(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    async def post_later() -> None:
        await asyncio.sleep(0.01)
        for n in range(3):
            await client.chat_postMessage(channel="C1", text=str(n))

    poster = asyncio.create_task(post_later())
    calls = await slack.wait_for("chat.postMessage", count=3)
    await poster

    assert [call.args["text"] for call in calls] == ["0", "1", "2"]


async def test_wait_for_reports_what_it_saw(slack: FakeSlack, client: AsyncWebClient) -> None:
    await client.auth_test()

    with pytest.raises(AssertionError, match=r"chat\.postMessage.*\['auth\.test'\]"):
        await slack.wait_for("chat.postMessage", timeout=0.05)


async def test_delay_slows_every_answer(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.delay = 0.05
    started = time.monotonic()
    await client.auth_test()
    assert time.monotonic() - started >= 0.05


async def test_many_concurrent_posts_are_all_recorded(slack: FakeSlack) -> None:
    # A shared session: without one slack_sdk opens a session and a connection per call.
    async with aiohttp.ClientSession() as session:
        client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url, session=session)
        answers = await asyncio.gather(
            *(client.chat_postMessage(channel="C1", text=str(n)) for n in range(200))
        )
    assert len({answer["ts"] for answer in answers}) == 200
    assert len(await slack.wait_for("chat.postMessage", count=200)) == 200


# -- signing -----------------------------------------------------------------------------------


def test_signed_headers_verify_with_slack_sdk() -> None:
    body = event_body(mention_event("hello"))
    headers = signed_headers(body, secret=SECRET)

    assert headers["Content-Type"] == "application/json"
    assert SignatureVerifier(SECRET).is_valid_request(body, headers)
    assert SignatureVerifier(SECRET).is_valid_request(body.encode(), headers)
    assert not SignatureVerifier("other").is_valid_request(body, headers)
    form = command_body("balance")
    assert signed_headers(form, secret=SECRET)["Content-Type"] == (
        "application/x-www-form-urlencoded"
    )


def test_bodies_look_like_slacks() -> None:
    envelope = json.loads(event_body(mention_event("balance?", thread_ts="1.0"), event_time=5))
    command = parse_qs(command_body("usage 30d"))
    action = json.loads(parse_qs(action_body("buy", "pack-100"))["payload"][0])
    view = json.loads(parse_qs(view_submission_body("settings", {}))["payload"][0])

    assert envelope["type"] == "event_callback"
    assert envelope["event_time"] == 5
    assert envelope["authorizations"][0]["user_id"] == "U0BOT"
    assert envelope["event"]["text"] == "<@U0BOT> balance?"
    assert envelope["event"]["thread_ts"] == "1.0"
    assert command["command"] == ["/setget"]
    assert command["text"] == ["usage 30d"]
    assert action["type"] == "block_actions"
    assert action["actions"][0]["value"] == "pack-100"
    assert action["container"]["channel_id"] == "C0GENERAL"
    assert view["type"] == "view_submission"
    assert view["view"]["callback_id"] == "settings"


# -- a real Bolt app on the fake ---------------------------------------------------------------


@dataclass
class Seen:
    """What the Bolt listeners received."""

    mentions: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    commands: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    views: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def seen() -> Seen:
    return Seen()


@pytest.fixture
def bolt(slack: FakeSlack, seen: Seen) -> AsyncApp:
    # Only `client`: passing `token=` too makes Bolt log "token skipped, client prioritized".
    app = AsyncApp(
        signing_secret=SECRET, client=AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
    )

    @app.event("app_mention")
    async def on_mention(event: dict[str, Any], say: AsyncSay) -> None:
        seen.mentions.append(event)
        await say(text="On it!", thread_ts=event.get("thread_ts") or event["ts"])

    @app.event("message")
    async def on_message(event: dict[str, Any], say: AsyncSay) -> None:
        seen.messages.append(event)
        await say(text=f"You said {event['text']}")

    @app.command("/setget")
    async def on_command(command: dict[str, Any], ack: AsyncAck, respond: AsyncRespond) -> None:
        seen.commands.append(command)
        await ack()
        await respond(text=f"You asked for {command['text']}")

    @app.action("buy")
    async def on_buy(body: dict[str, Any], ack: AsyncAck) -> None:
        seen.actions.append(body)
        await ack()

    @app.view("settings")
    async def on_settings(view: dict[str, Any], ack: AsyncAck) -> None:
        seen.views.append(view)
        await ack(response_action="errors", errors={"limit": "Too high"})

    return app


async def dispatch(app: AsyncApp, body: str, *, secret: str = SECRET, **sign: Any) -> BoltResponse:
    headers = signed_headers(body, secret=secret, **sign)
    return await app.async_dispatch(AsyncBoltRequest(body=body, headers=dict(headers.items())))


async def test_bolt_answers_a_mention_in_its_thread(
    slack: FakeSlack, bolt: AsyncApp, seen: Seen
) -> None:
    response = await dispatch(bolt, event_body(mention_event("balance?", ts="1700000000.000001")))

    assert response.status == 200
    [reply] = await slack.wait_for("chat.postMessage")
    # Bolt gives each request its own client with `team_id` as a default argument
    assert reply.args == {
        "channel": "C0GENERAL",
        "text": "On it!",
        "thread_ts": "1700000000.000001",
        "team_id": "T0001",
    }
    assert reply.token == "xoxb-test"
    assert slack.calls[0].method == "auth.test"  # Bolt's single-team authorization
    assert seen.mentions[0]["user"] == "U0ALICE"


async def test_bolt_rejects_a_bad_signature(slack: FakeSlack, bolt: AsyncApp, seen: Seen) -> None:
    response = await dispatch(bolt, event_body(mention_event("hi")), secret="wrong")

    assert response.status == 401
    await asyncio.sleep(0.05)
    assert seen.mentions == []
    assert slack.calls == []


async def test_bolt_rejects_a_stale_timestamp(slack: FakeSlack, bolt: AsyncApp, seen: Seen) -> None:
    stale = int(time.time()) - 6 * 60
    response = await dispatch(bolt, command_body("balance"), timestamp=stale)

    assert response.status == 401
    await asyncio.sleep(0.05)
    assert seen.commands == []
    assert slack.calls == []


async def test_bolt_ignores_its_own_messages(slack: FakeSlack, bolt: AsyncApp, seen: Seen) -> None:
    own = message_event(
        "echo", user="U0BOT", channel="D0BOT", ts="1.1", channel_type="im", bot_id="B0BOT"
    )
    theirs = message_event("hello", user="U0ALICE", channel="D0BOT", ts="1.2", channel_type="im")

    assert (await dispatch(bolt, event_body(own, event_id="Ev1"))).status == 200
    assert (await dispatch(bolt, event_body(theirs, event_id="Ev2"))).status == 200

    [reply] = await slack.wait_for("chat.postMessage")
    assert reply.args["text"] == "You said hello"
    # the bot's own message was dropped by Bolt, which knows its ids from auth.test
    assert [event["text"] for event in seen.messages] == ["hello"]


async def test_bolt_runs_a_slash_command(slack: FakeSlack, bolt: AsyncApp, seen: Seen) -> None:
    body = command_body("usage", response_url=slack.response_url)

    response = await dispatch(bolt, body)

    assert response.status == 200
    assert seen.commands[0]["user_id"] == "U0ALICE"
    [responded] = await slack.wait_for("response_url")
    assert responded.args["text"] == "You asked for usage"


async def test_bolt_runs_a_button_action(bolt: AsyncApp, seen: Seen) -> None:
    response = await dispatch(bolt, action_body("buy", "pack-100"))

    assert response.status == 200
    [body] = seen.actions
    assert body["actions"][0]["value"] == "pack-100"
    assert body["user"]["id"] == "U0ALICE"


async def test_bolt_runs_a_view_submission(bolt: AsyncApp, seen: Seen) -> None:
    values = {"limit": {"limit_input": {"type": "plain_text_input", "value": "500"}}}
    body = view_submission_body("settings", values, private_metadata="C0GENERAL")

    response = await dispatch(bolt, body)

    assert response.status == 200
    assert json.loads(response.body) == {
        "response_action": "errors",
        "errors": {"limit": "Too high"},
    }
    [view] = seen.views
    assert view["state"]["values"] == values
    assert view["private_metadata"] == "C0GENERAL"


async def test_bolt_answers_the_url_check(bolt: AsyncApp) -> None:
    response = await dispatch(bolt, url_verification_body("ch4ll3nge"))

    assert response.status == 200
    assert json.loads(response.body) == {"challenge": "ch4ll3nge"}
