"""A Bolt listener for buttons that acknowledges at once and never leaves a person in silence:
what its handler raises becomes one ephemeral line to whoever clicked (`tell`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.render import mrkdwn
from core.chat import tell

OnClick = Callable[[dict[str, Any], dict[str, Any], AsyncWebClient, AsyncRespond], Awaitable[None]]
Listener = Callable[..., Awaitable[None]]


def button_listener(on_click: OnClick, *, doing: str) -> Listener:
    """Bolt passes the listener's arguments by name: `ack`, `body`, `action`, `client`,
    `respond`; `doing` completes "… went wrong while {doing}"."""

    async def on_button(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        try:
            await on_click(body, action, client, respond)
        except Exception as exc:  # the catch-all: a person is told, never left in silence
            text = mrkdwn(tell(exc, doing=doing))
            await respond(text=text, response_type="ephemeral", replace_original=False)

    return on_button
