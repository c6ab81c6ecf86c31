"""A Slack thread (or DM) as the chat layer's surface: Block Kit messages in mrkdwn,
ephemeral messages for one person, proposals with Confirm and Reject, the assistant status
while the model works, and Slack's own text streaming in threads."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import answer_blocks, proposal_blocks
from adapters.slack.errors import slack_error
from adapters.slack.mrkdwn import SECTION_LIMIT
from adapters.slack.render import mrkdwn
from adapters.slack.text_streaming import SlackTextStream, StreamingMemory
from core.assistant.actions import ProposedAction
from core.chat.replies import Reply
from core.chat.surface import AnswerStream, SurfaceRefused
from core.chat.wording import summary_for_people

logger = logging.getLogger(__name__)

PLACEHOLDER = ":hourglass_flowing_sand: _Thinking…_"


class SlackSurface:
    def __init__(
        self,
        *,
        client: AsyncWebClient,
        channel: str,
        thread_ts: str | None,
        edit_interval: float = 1.0,
        team: str = "",
        user: str = "",
        memory: StreamingMemory | None = None,
        feedback: str | None = None,
    ) -> None:
        """`team` and `user`: who the answer is for (Slack needs them to stream into a
        channel); `memory`: what Slack refused lately, shared by the process's surfaces
        (without one, nothing streams natively); `feedback`: the key of the message being
        answered, carried by the answer's feedback buttons (none without it)."""
        self.client = client
        self.channel = channel
        self._channel = channel
        self._thread_ts = thread_ts
        self._interval = edit_interval
        self._team, self._user = team, user
        self._memory = memory
        self.feedback = feedback

    text_limit = SECTION_LIMIT
    placeholder = PLACEHOLDER

    @property
    def edit_interval(self) -> float:
        return self._interval

    def render(self, reply: Reply) -> str:
        return mrkdwn(reply)

    async def post(self, text: str, *, footer: str | None = None) -> str:
        try:
            posted = await self.client.chat_postMessage(
                channel=self._channel,
                thread_ts=self._thread_ts,
                text=text,
                blocks=answer_blocks(text, footer=footer, feedback=self.feedback),
            )
        except SlackApiError as exc:
            raise _refused(exc) from exc
        return str(posted["ts"])

    async def edit(self, message: str, text: str, *, footer: str | None = None) -> None:
        try:
            await self.client.chat_update(
                channel=self._channel,
                ts=message,
                text=text,
                blocks=answer_blocks(text, footer=footer, feedback=self.feedback),
            )
        except SlackApiError as exc:
            raise _refused(exc) from exc

    async def delete(self, message: str) -> None:
        try:
            await self.client.chat_delete(channel=self._channel, ts=message)
        except SlackApiError as exc:
            raise _refused(exc) from exc

    async def tell(self, user: str, reply: Reply) -> None:
        """Ephemeral to the person in the thread; in the thread itself if Slack refuses."""
        text = mrkdwn(reply)
        try:
            await self.client.chat_postEphemeral(
                channel=self._channel, user=user, thread_ts=self._thread_ts, text=text
            )
        except SlackApiError:
            await self.client.chat_postMessage(
                channel=self._channel, thread_ts=self._thread_ts, text=text
            )

    async def offer(self, action: ProposedAction, *, requester: str) -> str:
        posted = await self.client.chat_postMessage(
            channel=self._channel,
            thread_ts=self._thread_ts,
            text=f"Proposed action #{action.id}: {summary_for_people(action.draft)}",
            blocks=proposal_blocks(action, requester=requester),
        )
        return str(posted["ts"])

    async def status(self, text: str | None) -> None:
        """The assistant status under the thread ("Counting open items in WEB…"); "" clears
        it. Slack shows it in assistant threads and, for AI apps, in channel threads; where
        it refuses, the thread is left without one for a while."""
        thread, memory = self._thread_ts, self._memory
        if thread is None or (
            memory is not None and not memory.shows_status(self._channel, thread)
        ):
            return
        try:
            await self.client.assistant_threads_setStatus(
                channel_id=self._channel, thread_ts=thread, status=text or ""
            )
        except SlackApiError as exc:
            code = slack_error(exc)
            logger.info("slack: no status in this thread (%s)", code)
            if memory is not None:
                memory.refused_status(self._channel, thread, code)

    def native_stream(self, resume: str | None) -> AnswerStream | None:
        """Slack's text streaming, in a thread of a team that did not refuse it lately. An
        answer that an earlier attempt began (`resume`) is finished by edits of its message."""
        memory, thread = self._memory, self._thread_ts
        if memory is None or thread is None or resume is not None:
            return None
        if not memory.streams(self._team):
            return None
        return SlackTextStream(
            self,
            team=self._team,
            user=self._user,
            thread_ts=thread,
            memory=memory,
            interval=self._interval,
        )


def _refused(exc: SlackApiError) -> SurfaceRefused:
    code = slack_error(exc)
    return SurfaceRefused(f"Slack refused the message: {code}", code=code)
