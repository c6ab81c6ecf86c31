"""Neutral replies in Slack's markup: a tone's emoji, CommonMark as mrkdwn, mentions as
Slack's own `<#C…>` and `<@U…>` (anything else that looks like one is escaped)."""

from __future__ import annotations

from adapters.slack.mrkdwn import to_mrkdwn
from core.chat.replies import Reply, Tone, resolve_refs

_EMOJI = {
    Tone.INFO: "",
    Tone.SUCCESS: ":white_check_mark: ",
    Tone.WARNING: ":warning: ",
    Tone.REFUSAL: ":no_entry: ",
}


def mrkdwn(reply: Reply) -> str:
    text = resolve_refs(
        to_mrkdwn(reply.text), channel=lambda c: f"<#{c}>", user=lambda u: f"<@{u}>"
    )
    return _EMOJI[reply.tone] + text
