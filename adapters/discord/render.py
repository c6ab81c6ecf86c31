"""Neutral replies as Discord messages: a tone's emoji, CommonMark as it is (Discord reads
Markdown), mentions as Discord's `<#id>` and `<@id>`. Nobody is ever pinged by an answer:
every send passes `NO_PINGS`."""

from __future__ import annotations

import discord

from core.chat.replies import Reply, Tone, resolve_refs

MESSAGE_LIMIT = 2000  # characters of one Discord message
NO_PINGS = discord.AllowedMentions.none()
_EMOJI = {Tone.INFO: "", Tone.SUCCESS: "✅ ", Tone.WARNING: "⚠️ ", Tone.REFUSAL: "⛔ "}


def markdown(reply: Reply) -> str:
    text = resolve_refs(reply.text, channel=lambda c: f"<#{c}>", user=lambda u: f"<@{u}>")
    return _EMOJI[reply.tone] + text


def with_footer(text: str, footer: str | None) -> str:
    """Discord has no context blocks: the footer is a small line under the text."""
    return f"{text}\n-# {footer}" if footer else text
