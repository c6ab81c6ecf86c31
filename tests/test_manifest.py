"""`manifest.yml` declares exactly what the Slack app's handlers need: every event and command
it handles is declared, every Web API method it calls has its scope, and nothing more."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from slack_bolt.async_app import AsyncApp

from adapters.slack.app import BOT_SCOPES, SlackConfig, register
from bot.app import App
from bot.chat import chat_layer
from bot.conversation import ChatSessions

ROOT = Path(__file__).resolve().parent.parent
# The bot events a Bolt listener needs Slack to send.
SUBSCRIPTIONS = {
    "app_mention": {"app_mention"},
    "message": {"message.im", "message.channels", "message.groups"},
    "app_home_opened": {"app_home_opened"},
    "assistant_thread_started": {"assistant_thread_started"},
    "assistant_thread_context_changed": {"assistant_thread_context_changed"},
}
EVENT_SCOPES: dict[str, str | None] = {
    "app_home_opened": None,  # the Home tab needs no scope of its own
    "app_mention": "app_mentions:read",
    "message.im": "im:history",
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "assistant_thread_started": "assistant:write",
    "assistant_thread_context_changed": "assistant:write",
}
# The scope each Web API method the adapter calls needs (None: no scope).
METHOD_SCOPES: dict[str, str | None] = {
    "chat_postMessage": "chat:write",
    "chat_update": "chat:write",
    "chat_delete": "chat:write",
    "chat_postEphemeral": "chat:write",
    "users_info": "users:read",
    "users_list": "users:read",
    "conversations_open": "im:write",
    "files_upload_v2": "files:write",
    "views_open": None,
    "views_publish": None,
    "chat_startStream": "chat:write",
    "chat_appendStream": "chat:write",
    "chat_stopStream": "chat:write",
    "assistant_threads_setStatus": "assistant:write",
    "assistant_threads_setSuggestedPrompts": "assistant:write",
    "assistant_threads_setTitle": "assistant:write",
    "conversations_replies": "im:history",
}
# What Bolt's assistant middleware calls for the panel (its `say`, `set_suggested_prompts`,
# `set_title` and its thread-context store), not written as `client.…(` in the adapter.
ASSISTANT_CALLS = {
    "assistant_threads_setSuggestedPrompts",
    "assistant_threads_setTitle",
    "conversations_replies",
    "chat_postMessage",
    "chat_update",
}


@pytest.fixture
def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "manifest.yml").read_text())
    return loaded


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
async def test_every_handled_event_and_command_is_declared_and_nothing_else(
    manifest: dict[str, Any], app: App
) -> None:
    bolt = AsyncApp(signing_secret="s", token="xoxb-t")
    handled = register(
        bolt,
        layer=chat_layer(app, ChatSessions(app)),
        config=SlackConfig(signing_secret="s", bot_token="xoxb-t"),
    )
    declared_events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    needed = set().union(*(SUBSCRIPTIONS[e] for e in handled.events))
    assert declared_events == needed
    commands = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert commands == set(handled.commands)
    assert manifest["settings"]["interactivity"]["is_enabled"] is bool(
        handled.actions or handled.views
    )
    assert manifest["features"]["app_home"]["messages_tab_enabled"]  # people can DM the bot
    home = manifest["features"]["app_home"]["home_tab_enabled"]
    assert home is ("app_home_opened" in handled.events)  # the dashboard tab


def test_the_scopes_are_exactly_what_the_events_commands_and_calls_need(
    manifest: dict[str, Any],
) -> None:
    source = "\n".join(p.read_text() for p in (ROOT / "adapters" / "slack").glob("*.py"))
    called = set(re.findall(r"\bclient\.(\w+)\(", source))
    if "AsyncAssistant(" in source:
        called |= ASSISTANT_CALLS
    unknown = called - set(METHOD_SCOPES)
    assert not unknown, f"add the scopes of {sorted(unknown)} to this test and the manifest"
    declared = set(manifest["oauth_config"]["scopes"]["bot"])
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    needed = {s for e in events if (s := EVENT_SCOPES[e]) is not None} | {"commands"}
    needed |= {s for m in called if (s := METHOD_SCOPES[m]) is not None}
    assert declared == needed
    assert set(BOT_SCOPES) == declared  # what an OAuth install asks for
