"""Modal submissions: buying a credit pack (pick a size, then confirm) and a self-hosted
workspace's model settings; the chat layer decides, the modal shows field errors or the
next step, and what the admin is told comes as an ephemeral message (else a DM)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import buy_confirm_modal, form_values
from adapters.slack.directory import SlackDirectory
from adapters.slack.errors import slack_error
from adapters.slack.render import mrkdwn
from core.chat import ChatLayer, Reply

logger = logging.getLogger(__name__)


class SlackViews:
    def __init__(self, *, layer: ChatLayer) -> None:
        self._layer = layer

    async def on_buy_size(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        size = form_values(view).get("size", "")
        step = await self._layer.forms.buy_size(
            team=body["team"]["id"],
            user=body["user"]["id"],
            size=size,
            directory=SlackDirectory(client),
        )
        if step.errors or step.confirm is None:
            await ack(response_action="errors", errors=step.errors)
            return
        channel = view.get("private_metadata", "")
        modal = buy_confirm_modal(int(size), text=mrkdwn(step.confirm), channel=channel)
        await ack(response_action="update", view=modal)

    async def on_buy_confirm(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        channel, _, size = view.get("private_metadata", "").partition("|")
        await ack()  # the confirm modal has no input to hang an error on: say it instead
        user = body["user"]["id"]
        told = await self._layer.forms.buy_confirm(
            team=body["team"]["id"],
            user=user,
            size=size,
            directory=SlackDirectory(client),
            purchase=str(view.get("id") or "") or None,  # a double submit buys once
        )
        await _tell(client, channel, user, told)

    async def on_config(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        user = body["user"]["id"]
        step = await self._layer.forms.save_config(
            team=body["team"]["id"],
            user=user,
            values=form_values(view),
            directory=SlackDirectory(client),
        )
        if step.errors:
            await ack(response_action="errors", errors=step.errors)
            return
        await ack()
        if step.done is not None:
            await _tell(client, view.get("private_metadata", ""), user, step.done)


async def _tell(client: AsyncWebClient, channel: str, user: str, reply: Reply) -> None:
    """To the admin: ephemeral in the channel the command came from, else by DM."""
    text = mrkdwn(reply)
    if channel:
        try:
            await client.chat_postEphemeral(channel=channel, user=user, text=text)
            return
        except SlackApiError as exc:
            logger.info("slack: ephemeral reply refused (%s); sending a DM", slack_error(exc))
    opened = await client.conversations_open(users=user)
    await client.chat_postMessage(channel=opened["channel"]["id"], text=text)
