"""Signed Slack requests for tests: the bodies Slack sends to an app, and their signatures.

    body = event_body(mention_event("<@U0BOT> balance?"))
    request = AsyncBoltRequest(body=body, headers=signed_headers(body, secret="s3cret"))
    response = await app.async_dispatch(request)

Bodies are exactly what Slack POSTs: Events API envelopes are compact JSON; slash commands
are form-encoded; interactions (`block_actions`, `view_submission`) are form-encoded with a
single `payload=` field holding JSON. Defaults match `FakeSlack`'s team, bot and app ids.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

TEAM_ID = "T0001"
BOT_USER_ID = "U0BOT"
APP_ID = "A0APP"


def sign(body: bytes | str, *, secret: str, timestamp: int) -> str:
    """Slack's v0 signature: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}`."""
    signature = SignatureVerifier(secret).generate_signature(timestamp=str(timestamp), body=body)
    assert signature is not None
    return signature


def signed_headers(
    body: bytes | str, *, secret: str, timestamp: int | None = None
) -> dict[str, str]:
    """The headers Slack sends with `body`: timestamp, signature and content type.

    `timestamp` defaults to now; pass an old one to test replay protection.
    """
    when = int(time.time()) if timestamp is None else timestamp
    text = body.decode() if isinstance(body, bytes) else body
    is_json = text.lstrip().startswith("{")
    return {
        "Content-Type": "application/json" if is_json else "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": str(when),
        "X-Slack-Signature": sign(body, secret=secret, timestamp=when),
    }


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def url_verification_body(challenge: str) -> str:
    """The Events API URL check Slack sends when the request URL is configured."""
    return _json(
        {"token": "verification-token", "challenge": challenge, "type": "url_verification"}
    )


def event_body(
    event: dict[str, Any],
    *,
    team_id: str = TEAM_ID,
    event_id: str = "Ev0001",
    api_app_id: str = APP_ID,
    event_time: int | None = None,
) -> str:
    """An Events API `event_callback` envelope around `event`."""
    return _json(
        {
            "token": "verification-token",
            "team_id": team_id,
            "context_team_id": team_id,
            "context_enterprise_id": None,
            "api_app_id": api_app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()) if event_time is None else event_time,
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team_id,
                    "user_id": BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-fake-{event_id}",
        }
    )


def mention_event(
    text: str,
    *,
    user: str = "U0ALICE",
    channel: str = "C0GENERAL",
    ts: str = "1700000000.000001",
    thread_ts: str | None = None,
) -> dict[str, Any]:
    """An `app_mention` event; `text` gets a leading `<@U0BOT> ` unless it mentions the bot."""
    mention = f"<@{BOT_USER_ID}>"
    event: dict[str, Any] = {
        "type": "app_mention",
        "user": user,
        "text": text if mention in text else f"{mention} {text}",
        "ts": ts,
        "team": TEAM_ID,
        "channel": channel,
        "event_ts": ts,
    }
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    return event


def message_event(
    text: str,
    *,
    user: str,
    channel: str,
    ts: str,
    thread_ts: str | None = None,
    channel_type: str = "channel",
    bot_id: str | None = None,
    subtype: str | None = None,
) -> dict[str, Any]:
    """A `message` event (`channel_type="im"` for a direct message to the bot)."""
    event: dict[str, Any] = {
        "type": "message",
        "user": user,
        "text": text,
        "ts": ts,
        "team": TEAM_ID,
        "channel": channel,
        "event_ts": ts,
        "channel_type": channel_type,
    }
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    if bot_id is not None:
        event["bot_id"] = bot_id
    if subtype is not None:
        event["subtype"] = subtype
    return event


def command_body(
    text: str,
    *,
    command: str = "/setget",
    user: str = "U0ALICE",
    channel: str = "C0GENERAL",
    team_id: str = TEAM_ID,
    trigger_id: str = "trig.1",
    response_url: str | None = None,
) -> str:
    """A slash command invocation, form-encoded as Slack posts it."""
    return urlencode(
        {
            "token": "verification-token",
            "team_id": team_id,
            "team_domain": "fake",
            "channel_id": channel,
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url or f"https://hooks.slack.com/commands/{team_id}/1/fake",
            "trigger_id": trigger_id,
        }
    )


def _interaction(payload: dict[str, Any]) -> str:
    return urlencode({"payload": _json(payload)})


def _user(user: str, team_id: str) -> dict[str, str]:
    return {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team_id}


def action_body(
    action_id: str,
    value: str,
    *,
    user: str = "U0ALICE",
    channel: str = "C0GENERAL",
    message_ts: str = "1700000000.000100",
    team_id: str = TEAM_ID,
    block_id: str = "b",
    message: dict[str, Any] | None = None,
    response_url: str | None = None,
    trigger_id: str = "trig.2",
) -> str:
    """A button click (`block_actions`) on a bot message, form-encoded as `payload=` JSON."""
    clicked = message or {
        "type": "message",
        "user": BOT_USER_ID,
        "bot_id": "B0BOT",
        "app_id": APP_ID,
        "text": "a message with a button",
        "ts": message_ts,
        "blocks": [],
    }
    return _interaction(
        {
            "type": "block_actions",
            "user": _user(user, team_id),
            "api_app_id": APP_ID,
            "token": "verification-token",
            "container": {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel,
                "is_ephemeral": False,
            },
            "trigger_id": trigger_id,
            "team": {"id": team_id, "domain": "fake"},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel, "name": "general"},
            "message": clicked,
            "state": {"values": {}},
            "response_url": response_url or f"https://hooks.slack.com/actions/{team_id}/1/fake",
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": block_id,
                    "text": {"type": "plain_text", "text": value, "emoji": True},
                    "value": value,
                    "type": "button",
                    "action_ts": f"{int(time.time())}.000000",
                }
            ],
        }
    )


def view_submission_body(
    callback_id: str,
    values: dict[str, Any],
    *,
    user: str = "U0ALICE",
    team_id: str = TEAM_ID,
    private_metadata: str = "",
    view_id: str = "V0VIEW",
    trigger_id: str = "trig.3",
) -> str:
    """A modal submission (`view_submission`), form-encoded as `payload=` JSON.

    `values` is the modal's `state.values` as Slack sends it:
    `{block_id: {action_id: {"type": "plain_text_input", "value": "..."}}}`.
    """
    return _interaction(
        {
            "type": "view_submission",
            "team": {"id": team_id, "domain": "fake"},
            "user": _user(user, team_id),
            "api_app_id": APP_ID,
            "token": "verification-token",
            "trigger_id": trigger_id,
            "view": {
                "id": view_id,
                "team_id": team_id,
                "type": "modal",
                "blocks": [],
                "private_metadata": private_metadata,
                "callback_id": callback_id,
                "state": {"values": values},
                "hash": "1700000000.fakehash",
                "title": {"type": "plain_text", "text": "SetGet AI", "emoji": True},
                "clear_on_close": False,
                "notify_on_close": False,
                "close": None,
                "submit": {"type": "plain_text", "text": "Save", "emoji": True},
                "previous_view_id": None,
                "root_view_id": view_id,
                "app_id": APP_ID,
                "external_id": "",
                "app_installed_team_id": team_id,
                "bot_id": "B0BOT",
            },
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
    )
