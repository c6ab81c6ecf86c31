"""The assistant panel (Slack's Agents & AI Apps): Bolt's `AsyncAssistant` events become the
chat layer's calls.

- `assistant_thread_started`: the layer's greeting, posted with Bolt's `say` (which keeps
  the thread's context in the message's metadata), and its suggested prompts.
- `assistant_thread_context_changed`: Bolt's default listener stores the channel the person
  now views in that same metadata (Bolt's default thread-context store: no table of ours,
  and every replica and restart reads the same context from Slack).
- A message in the panel: answered exactly like a mention (claimed once, charged once, the
  footer, proposals, refusals), scoped by the viewed channel's project; the thread's title
  is its first question.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.get_thread_context.async_get_thread_context import (
    AsyncGetThreadContext,
)
from slack_bolt.context.say.async_say import AsyncSay
from slack_bolt.context.set_suggested_prompts.async_set_suggested_prompts import (
    AsyncSetSuggestedPrompts,
)
from slack_bolt.context.set_title.async_set_title import AsyncSetTitle
from slack_bolt.middleware.assistant.async_assistant import AsyncAssistant
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import answer_blocks
from adapters.slack.errors import slack_error
from adapters.slack.incoming import incoming, not_a_question
from adapters.slack.messages import SlackConversations
from adapters.slack.render import mrkdwn
from core.chat import ChatLayer, tell
from core.chat.suggestions import Suggestions, thread_title
from core.workspaces import Platform

logger = logging.getLogger(__name__)

PROMPTS_TITLE = "Try asking"


class SlackPanel:
    def __init__(
        self, *, layer: ChatLayer, conversations: SlackConversations, suggestions: Suggestions
    ) -> None:
        self._layer = layer
        self._conversations = conversations
        self._suggestions = suggestions

    def assistant(self) -> AsyncAssistant:
        """Bolt's middleware with this panel's listeners (context changes: Bolt's default)."""
        assistant = AsyncAssistant()
        assistant.thread_started(self.on_thread_started)
        assistant.user_message(self.on_user_message)
        return assistant

    async def on_thread_started(
        self,
        payload: dict[str, Any],
        context: AsyncBoltContext,
        say: AsyncSay,
        set_suggested_prompts: AsyncSetSuggestedPrompts,
    ) -> None:
        thread = payload.get("assistant_thread", {})
        viewing = thread.get("context", {}).get("channel_id")
        team = str(context.team_id or thread.get("context", {}).get("team_id") or "")
        try:
            welcome = await self._suggestions.welcome(Platform.SLACK, team, viewing=viewing)
        except Exception as exc:  # the catch-all: the panel says so, never stays blank
            await say(text=mrkdwn(tell(exc, doing="opening the assistant")))
            return
        text = mrkdwn(welcome.greeting)
        await say(text=text, blocks=answer_blocks(text, footer=None))
        if welcome.prompts:
            prompts = [{"title": p.title, "message": p.message} for p in welcome.prompts]
            await _quietly(set_suggested_prompts(prompts=prompts, title=PROMPTS_TITLE))

    async def on_user_message(
        self,
        payload: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        get_thread_context: AsyncGetThreadContext,
        set_title: AsyncSetTitle,
    ) -> None:
        """A question in the panel: the title first (its first question), then the answer."""
        if not_a_question(payload, context):
            return
        channel, thread = payload["channel"], payload["thread_ts"]
        viewed = await _viewed_channel(get_thread_context)
        message = incoming(
            payload, context, thread_ts=thread, key=f"{channel}:{thread}", viewing=viewed
        )
        answering = self._layer.answering
        if not await answering.continues_thread(Platform.SLACK, message.team, message.thread_key):
            await _quietly(set_title(thread_title(message.text)))
        await self._conversations.answer(message, client)


async def _viewed_channel(get_thread_context: AsyncGetThreadContext) -> str | None:
    """The channel the person views, from the thread's stored context (None if unknown)."""
    try:
        found = await get_thread_context()
    except SlackApiError as exc:
        logger.info("slack: the panel's context was not read: %s", slack_error(exc))
        return None
    return found.channel_id if found is not None else None


async def _quietly(call: Any) -> None:
    """A title or prompts Slack refuses are a lost nicety, never a failed conversation."""
    try:
        await call
    except SlackApiError as exc:
        logger.info("slack: the panel refused a call: %s", slack_error(exc))
