"""A Slack message as the bot reads it: who asked what, where to answer, in plain text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from core.chat import Incoming as ChatIncoming

_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_CHANNEL = re.compile(r"<#[CG][A-Z0-9]+\|([^>]*)>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")


@dataclass(frozen=True)
class Incoming:
    team: str
    channel: str
    user: str
    text: str
    ts: str
    thread_ts: str | None  # the thread to answer in; None answers in the channel (a DM)
    thread_key: str
    viewing: str | None = None  # the channel the person views beside the assistant panel

    def to_chat(self) -> ChatIncoming:
        """The message for the chat layer: claimed by (team, channel, ts), answered in the
        thread (`place`)."""
        return ChatIncoming(
            team=self.team,
            channel=self.channel,
            user=self.user,
            text=self.text,
            key=f"{self.team}:{self.channel}:{self.ts}",
            thread_key=self.thread_key,
            place=self.thread_ts,
            viewing=self.viewing,
        )


def unlink(text: str, *, bot_user: str | None) -> str:
    """Slack's encoded message text as plain text; mentions of the bot itself removed."""
    if bot_user:
        text = re.sub(rf"<@{re.escape(bot_user)}(?:\|[^>]*)?>\s*", "", text)
    text = _USER.sub(r"@\1", text)
    text = _CHANNEL.sub(r"#\1", text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


# Subtypes of a message a person wrote: a file shared with (or without) words is one; an
# edit, a deletion, a join or a bot's message is not.
PERSONS_SUBTYPES = frozenset({"file_share"})


def not_a_question(event: dict[str, Any], context: dict[str, Any]) -> bool:
    """True for what is never answered: the bot's or another bot's message, an edit, a
    deletion, a join. A file alone is answered (the person is told words are needed)."""
    subtype = event.get("subtype")
    return from_a_bot(event, context) or (bool(subtype) and subtype not in PERSONS_SUBTYPES)


def from_a_bot(event: dict[str, Any], context: dict[str, Any]) -> bool:
    return bool(
        event.get("bot_id")
        or event.get("subtype") == "bot_message"
        or event.get("user") is None
        or event.get("user") == context.get("bot_user_id")
    )


def incoming(
    event: dict[str, Any],
    context: dict[str, Any],
    *,
    thread_ts: str | None,
    key: str,
    viewing: str | None = None,
) -> Incoming:
    return Incoming(
        team=str(context.get("team_id") or event.get("team")),
        channel=event["channel"],
        user=event["user"],
        text=unlink(event.get("text", ""), bot_user=context.get("bot_user_id")),
        ts=event["ts"],
        thread_ts=thread_ts,
        thread_key=key,
        viewing=viewing,
    )
