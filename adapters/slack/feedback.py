"""Slack's feedback buttons on an answer: the click goes to the chat layer, which checks the
answer belongs to the clicking team's workspace and keeps one verdict per person; what the
person is told comes back ephemeral, only to them."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import FEEDBACK
from adapters.slack.directory import SlackDirectory
from adapters.slack.listeners import button_listener
from adapters.slack.render import mrkdwn
from core.chat import ChatLayer
from core.chat.feedback import FeedbackClick


class SlackFeedback:
    def __init__(self, *, layer: ChatLayer) -> None:
        self._layer = layer

    async def on_click(
        self,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        click = FeedbackClick(body["team"]["id"], body["user"]["id"], str(action.get("value", "")))
        told = await self._layer.feedback.give(click, directory=SlackDirectory(client))
        await respond(text=mrkdwn(told), response_type="ephemeral", replace_original=False)


def register_feedback(app: AsyncApp, *, layer: ChatLayer) -> tuple[str, ...]:
    """The feedback buttons' listener; returns the action ids it handles."""
    feedback = SlackFeedback(layer=layer)

    on_feedback = button_listener(feedback.on_click, doing="recording your feedback")
    app.action(FEEDBACK)(on_feedback)
    return (FEEDBACK,)
