"""Model text to Slack mrkdwn, and long answers split to fit Slack's message limits."""

from __future__ import annotations

import re

from core.chat.streaming import split as split_text

SECTION_LIMIT = 3000  # characters of one section block's text

_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*$", re.M)


def escape(text: str) -> str:
    """Slack's three control characters, so text can never ping @channel or forge a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_mrkdwn(markdown: str) -> str:
    """Common Markdown (bold, headings, links) as Slack mrkdwn; everything else as written."""
    text = escape(markdown)
    text = _LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1)}>", text)
    text = _BOLD.sub(lambda m: f"*{m.group(1) or m.group(2)}*", text)
    return _HEADING.sub(lambda m: f"*{m.group(1)}*", text)


def split(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Pieces of at most `limit` characters, cut at line ends (else spaces) where possible."""
    return split_text(text, limit)
