"""Slack's own text streaming (`chat.startStream` / `appendStream` / `stopStream`): the
answer appears as the model writes it, the usage footer and the proposals' buttons come in
the final blocks.

Where Slack refuses to stream (`not_allowed`, `method_not_supported_for_channel_type`, an
older client or plan), the start raises `StreamRefused` and the chat layer streams by edits;
`StreamingMemory` remembers the refusal for the team for a while, so its next answers go
straight to the edits. A stream that breaks half-way (an append refused, the stream expired)
is finished by `chat.update` of the same message, else a new message: the whole answer is
delivered once (and it was charged once, by the layer).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from cachetools import TTLCache
from slack_sdk.errors import SlackApiError

from adapters.slack.blocks import Block, context, feedback_block, proposal_blocks
from adapters.slack.errors import slack_error
from core.assistant.actions import ProposedAction
from core.chat.replies import Reply
from core.chat.streaming import EditedStream
from core.chat.surface import StreamRefused

if TYPE_CHECKING:
    from adapters.slack.surface import SlackSurface

logger = logging.getLogger(__name__)

# Answers of chat.startStream that mean "not here, not for this app": remembered for the
# team. Other failures (rate limits, Slack's own errors) fall back for one answer only.
REFUSALS = frozenset(
    {
        "not_allowed",
        "not_allowed_token_type",
        "method_not_supported_for_channel_type",
        "invalid_arguments",
        "unknown_method",
        "missing_scope",
        "feature_not_enabled",
        "team_not_allowed",
    }
)
_MENTION = re.compile(r"<(?=[!@#])")  # `<!channel>`, `<@U…>`, `<#C…>` would ping or link
MAX_REMEMBERED = 10_000


class StreamingMemory:
    """What Slack refused lately: native streaming per team, the status per thread."""

    def __init__(
        self,
        *,
        enabled: bool = True,
        ttl: float = 3600.0,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.enabled = enabled
        self._teams: TTLCache[str, str] = TTLCache(MAX_REMEMBERED, ttl, timer=timer)
        self._threads: TTLCache[tuple[str, str], str] = TTLCache(MAX_REMEMBERED, ttl, timer=timer)

    def streams(self, team: str) -> bool:
        return self.enabled and team not in self._teams

    def refused_streaming(self, team: str, code: str) -> None:
        self._teams[team] = code

    def shows_status(self, channel: str, thread_ts: str) -> bool:
        return (channel, thread_ts) not in self._threads

    def refused_status(self, channel: str, thread_ts: str, code: str) -> None:
        self._threads[(channel, thread_ts)] = code


def safe_markdown(text: str) -> str:
    """Streamed markdown that can never ping `@channel` or a person, nor forge a link."""
    return _MENTION.sub("<\u2060", text)


class SlackTextStream:
    """One answer streamed into a Slack thread (a `ProposingStream`)."""

    def __init__(
        self,
        surface: SlackSurface,
        *,
        team: str,
        user: str,
        thread_ts: str,
        memory: StreamingMemory,
        interval: float,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._surface = surface
        self.client = surface.client
        self._channel = surface.channel
        self._team, self._user, self._thread_ts = team, user, thread_ts
        self._memory = memory
        self._interval = interval
        self._now = now
        self.message: str | None = None
        self._streamed = ""  # what Slack holds (raw model text)
        self._pending = ""  # written by the model, not sent yet
        self._last = 0.0
        self.broken = False

    async def start(self) -> None:
        try:
            started = await self.client.chat_startStream(
                channel=self._channel,
                thread_ts=self._thread_ts,
                recipient_team_id=self._team,
                recipient_user_id=self._user,
            )
        except SlackApiError as exc:
            code = slack_error(exc)
            if code in REFUSALS:
                self._memory.refused_streaming(self._team, code)
                logger.info("slack: team %s does not stream (%s); edits from now", self._team, code)
            raise StreamRefused(f"Slack refused to stream: {code}", code=code) from exc
        self.message = str(started["ts"])
        self._last = self._now()

    async def on_text(self, delta: str) -> None:
        """Send what the model wrote, at most once per interval (the rest waits for the
        next piece, or for the stop)."""
        self._pending += delta
        if self.broken or self.message is None:
            return
        if self._now() - self._last < self._interval:
            return
        chunk, self._pending = _held_back(self._pending)
        if chunk:
            self._last = self._now()
            await self._send(chunk)

    async def _send(self, chunk: str) -> None:
        try:
            await self.client.chat_appendStream(
                channel=self._channel, ts=self.message or "", markdown_text=safe_markdown(chunk)
            )
        except Exception as exc:  # refused, expired, unreachable: an edit delivers it all
            logger.warning("slack: the stream broke (%s); finishing by an edit", _why(exc))
            self.broken = True
            return
        self._streamed += chunk

    async def finish(self, text: str, *, footer: str) -> list[str]:
        return await self.finish_proposing(text, footer=footer, proposals=(), requester="")

    async def finish_proposing(
        self,
        text: str,
        *,
        footer: str,
        proposals: Sequence[ProposedAction],
        requester: str,
    ) -> list[str]:
        """The rest of the answer with the footer and the proposals' buttons in the stop;
        a broken stream is finished by an edit (or a new message), proposals offered apart."""
        shown = self._streamed.strip()
        if not self.broken and self.message is not None and text.startswith(shown):
            feedback = self._surface.feedback
            blocks: list[Block] = [feedback_block(feedback)] if feedback else []
            blocks.append(context(footer))
            for action in proposals:
                blocks.extend(proposal_blocks(action, requester=requester))
            rest = text[len(shown) :]
            try:
                await self.client.chat_stopStream(
                    channel=self._channel,
                    ts=self.message,
                    markdown_text=safe_markdown(rest) if rest else None,
                    blocks=blocks,
                )
                return [self.message]
            except Exception as exc:  # the edit below shows the whole answer instead
                logger.warning("slack: stopping the stream failed (%s)", _why(exc))
        await self._stop_quietly()
        shown_ids = await EditedStream(self._surface, message=self.message).finish(
            text, footer=footer
        )
        for action in proposals:
            await self._surface.offer(action, requester=requester)
        return shown_ids

    async def fail(self, reply: Reply) -> None:
        await self._stop_quietly()
        await EditedStream(self._surface, message=self.message).fail(reply)

    async def remove(self) -> None:
        await self._stop_quietly()
        if self.message is not None:
            await self._surface.delete(self.message)

    async def _stop_quietly(self) -> None:
        """End the stream so the message can be edited (it may have ended already)."""
        if self.message is None:
            return
        try:
            await self.client.chat_stopStream(channel=self._channel, ts=self.message)
        except Exception as exc:
            logger.info("slack: the broken stream did not stop: %s", _why(exc))
        self.broken = True


def _held_back(pending: str) -> tuple[str, str]:
    """What can be sent now, and a trailing `<` kept for the next piece (it may open a
    mention that `safe_markdown` must see whole)."""
    if pending.endswith("<"):
        return pending[:-1], "<"
    return pending, ""


def _why(exc: Exception) -> str:
    return slack_error(exc) if isinstance(exc, SlackApiError) else type(exc).__name__
