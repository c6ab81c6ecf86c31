"""Errors as a person reads them: a core error as one sentence, a Slack API error's code."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError


def sentence(exc: Exception) -> str:
    """`workspace 'acme' is out of AI credits` -> `Workspace 'acme' is out of AI credits.`"""
    text = str(exc)
    end = "" if text.endswith((".", "?", "!")) else "."
    return f"{text[:1].upper()}{text[1:]}{end}"


def slack_error(exc: SlackApiError) -> str:
    """The error code Slack answered with (`channel_not_found`, `ratelimited`, …)."""
    return str(exc.response.get("error", "")) if exc.response else ""
