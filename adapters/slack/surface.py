"""A Slack thread (or DM) as the chat layer's surface: Block Kit messages in mrkdwn,
ephemeral messages for one person, proposals with Confirm and Reject."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import answer_blocks, proposal_blocks
from adapters.slack.errors import slack_error
from adapters.slack.mrkdwn import SECTION_LIMIT
from adapters.slack.render import mrkdwn
from core.assistant.actions import ProposedAction
from core.chat.replies import Reply
from core.chat.surface import AnswerStream, SurfaceRefused

PLACEHOLDER = ":hourglass_flowing_sand: _Thinking…_"


class SlackSurface:
    def __init__(
        self,
        *,
        client: AsyncWebClient,
        channel: str,
        thread_ts: str | None,
        edit_interval: float = 1.0,
    ) -> None:
        self.client = client
        self._channel = channel
        self._thread_ts = thread_ts
        self._interval = edit_interval

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
                blocks=answer_blocks(text, footer=footer),
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
                blocks=answer_blocks(text, footer=footer),
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
            text=f"Proposed action #{action.id}: {action.draft.summary}",
            blocks=proposal_blocks(action, requester=requester),
        )
        return str(posted["ts"])

    async def status(self, text: str | None) -> None:
        return None  # the assistant status (`assistant.threads.setStatus`) comes with AI apps

    def native_stream(self, resume: str | None) -> AnswerStream | None:
        return None


def _refused(exc: SlackApiError) -> SurfaceRefused:
    code = slack_error(exc)
    return SurfaceRefused(f"Slack refused the message: {code}", code=code)
