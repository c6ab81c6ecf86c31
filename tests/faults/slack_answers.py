"""What the fault tests need to watch answers reach Slack, and to run a bot process's message
handling on a database without serving it."""

from __future__ import annotations

from dataclasses import replace

from adapters.slack.messages import SlackConversations
from bot.app import App
from bot.chat import chat_layer
from bot.conversation import ChatSessions
from core.chat import ChatLayer
from core.chat.services import SessionFor
from core.claims import EventClaims
from tests.adapters.slack.fake_slack import FakeSlack, SlackCall

ROOT = "1699999999.000100"  # the question; the fake numbers the bot's messages after it


def is_final(call: SlackCall) -> bool:
    """The edit that carries the usage footer: the answer itself."""
    blocks = call.args.get("blocks") or [{}]
    return bool(blocks[-1].get("type") == "context")


async def final_edit(slack: FakeSlack) -> SlackCall:
    """Wait for the edit that carries the answer (progress edits come before it)."""
    while True:
        edits = slack.calls_to("chat.update")
        finals = [c for c in edits if is_final(c)]
        if finals:
            return finals[-1]
        await slack.wait_for("chat.update", count=len(edits) + 1)


def placeholder_ts(slack: FakeSlack, root: str = ROOT) -> str:
    """The ts Slack gave the one placeholder posted in the question's thread."""
    (ts,) = [ts for ts, thread in slack.thread_of.items() if thread == root]
    return ts


def process(
    app: App, *, chat: SessionFor | None = None, claims: EventClaims | None = None
) -> SlackConversations:
    """One bot process's message handling, on `app`'s database."""
    layer = chat_layer(app, ChatSessions(app), chat=chat)
    if claims is not None:
        layer = ChatLayer(services=replace(layer.services, claims=claims), people=layer.people)
    return SlackConversations(layer=layer, stream_interval=0.0)
