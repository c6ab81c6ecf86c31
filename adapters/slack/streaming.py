"""An answer streamed into a Slack thread: a placeholder at once, edits at most about once a
second while the model writes, then the final text split to Slack's limits with the footer."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import answer_blocks
from adapters.slack.mrkdwn import SECTION_LIMIT, split, to_mrkdwn

logger = logging.getLogger(__name__)

PLACEHOLDER = ":hourglass_flowing_sand: _Thinking…_"


class StreamedReply:
    def __init__(
        self,
        *,
        client: AsyncWebClient,
        channel: str,
        thread_ts: str | None,
        interval: float = 1.0,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._channel = channel
        self._thread_ts = thread_ts
        self._interval = interval
        self._now = now
        self._text = ""
        self._ts: str | None = None
        self._last_edit = 0.0
        self._edit: asyncio.Task[None] | None = None
        self.edits = 0

    @property
    def ts(self) -> str | None:
        return self._ts

    async def start(self) -> None:
        """Show progress at once: the placeholder the answer will replace."""
        posted = await self._client.chat_postMessage(
            channel=self._channel, thread_ts=self._thread_ts, text=PLACEHOLDER
        )
        self._ts = str(posted["ts"])
        self._last_edit = self._now()

    async def on_text(self, delta: str) -> None:
        """Collect streamed text; edit the placeholder when the last edit is old enough."""
        self._text += delta
        if self._edit is not None and not self._edit.done():
            return
        if self._now() - self._last_edit < self._interval:
            return
        self._last_edit = self._now()
        shown = to_mrkdwn(self._text)
        if len(shown) > SECTION_LIMIT:
            shown = split(shown)[0] + " …"
        self._edit = asyncio.create_task(self._update(shown, footer=None, quiet=True))

    async def finish(self, text: str, *, footer: str) -> list[str]:
        """The whole answer: the placeholder holds the first piece, later pieces follow in the
        thread, the last one with the usage footer. Returns every message's ts."""
        await self.settled()
        pieces = split(to_mrkdwn(text))
        last = len(pieces) - 1
        await self._update(pieces[0], footer=footer if last == 0 else None, quiet=False)
        return [self._ts or "", *await self._post(pieces[1:], footer=footer)]

    async def post_instead(self, text: str, *, footer: str) -> list[str]:
        """The whole answer as new messages in the thread (when the placeholder cannot be
        edited)."""
        return await self._post(split(to_mrkdwn(text)), footer=footer)

    async def _post(self, pieces: list[str], *, footer: str) -> list[str]:
        sent = []
        for i, piece in enumerate(pieces):
            posted = await self._client.chat_postMessage(
                channel=self._channel,
                thread_ts=self._thread_ts,
                text=piece,
                blocks=answer_blocks(piece, footer=footer if i == len(pieces) - 1 else None),
            )
            sent.append(str(posted["ts"]))
        return sent

    async def fail(self, message: str) -> None:
        """Replace the placeholder with a clear message (no answer, nothing charged)."""
        await self.settled()
        await self._update(message, footer=None, quiet=False)

    async def remove(self) -> None:
        await self.settled()
        if self._ts is not None:
            await self._client.chat_delete(channel=self._channel, ts=self._ts)

    async def settled(self) -> None:
        """Wait for the progress edit in flight, if any."""
        if self._edit is not None:
            await self._edit

    async def _update(self, text: str, *, footer: str | None, quiet: bool) -> None:
        if self._ts is None:
            return
        try:
            await self._client.chat_update(
                channel=self._channel,
                ts=self._ts,
                text=text,
                blocks=answer_blocks(text, footer=footer),
            )
            self.edits += 1
        except SlackApiError as exc:
            if not quiet:
                raise
            # A progress edit that fails is skipped: the final edit carries the whole text.
            logger.warning("slack: progress edit failed: %s", exc.response.get("error"))
