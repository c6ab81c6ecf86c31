"""Confirm and Reject buttons on a proposed action: the click goes to the chat layer; a
refusal is shown only to the person who clicked, and the decided message shows who decided
and the outcome, its buttons gone."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import CONFIRM, Block, context, proposal_summary
from adapters.slack.directory import SlackDirectory
from adapters.slack.render import mrkdwn
from core.chat import ChatLayer, Click
from core.chat.replies import user_ref


class SlackDecisions:
    def __init__(self, *, layer: ChatLayer) -> None:
        self._layer = layer

    async def on_button(
        self,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        team, user = body["team"]["id"], body["user"]["id"]
        channel, ts = body["channel"]["id"], body["message"]["ts"]
        click = Click(team, user, str(action.get("value", "")), action["action_id"] == CONFIRM)
        outcome = await self._layer.decisions.decide(
            click, directory=SlackDirectory(client), by=user_ref(user)
        )
        if outcome.private is not None:
            await respond(
                text=mrkdwn(outcome.private), response_type="ephemeral", replace_original=False
            )
        if outcome.closed is not None:  # decided elsewhere or expired: the buttons go
            await _update(client, channel, ts, _without_buttons(body, outcome.closed))
        elif outcome.decided is not None and outcome.action is not None:
            blocks = [*proposal_summary(outcome.action), context(mrkdwn(outcome.decided))]
            await _update(client, channel, ts, blocks)


def _without_buttons(body: dict[str, Any], reason: str) -> list[Block]:
    kept = [b for b in body["message"].get("blocks", []) if b.get("type") != "actions"]
    return [*kept, context(f"_{reason}_")]


async def _update(client: AsyncWebClient, channel: str, ts: str, blocks: list[Block]) -> None:
    text = blocks[-1]["elements"][0]["text"] if blocks else "Proposed action"
    await client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
