"""A Slack answer streamed by edits: the chat layer's `EditedStream` on a Slack thread."""

from __future__ import annotations

import time
from collections.abc import Callable

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.surface import PLACEHOLDER, SlackSurface
from core.chat.streaming import EditedStream

__all__ = ["PLACEHOLDER", "StreamedReply"]


class StreamedReply(EditedStream):
    def __init__(
        self,
        *,
        client: AsyncWebClient,
        channel: str,
        thread_ts: str | None,
        interval: float = 1.0,
        now: Callable[[], float] = time.monotonic,
        ts: str | None = None,
    ) -> None:
        """`ts`: a placeholder posted before (by an attempt that crashed) to answer in."""
        surface = SlackSurface(
            client=client, channel=channel, thread_ts=thread_ts, edit_interval=interval
        )
        super().__init__(surface, now=now, message=ts)
