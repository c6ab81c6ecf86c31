"""Slack's own word for a failure: the error code of a Web API answer."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError


def slack_error(exc: SlackApiError) -> str:
    """The error code Slack answered with (`channel_not_found`, `ratelimited`, …)."""
    return str(exc.response.get("error", "")) if exc.response else ""
