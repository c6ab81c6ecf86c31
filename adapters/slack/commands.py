"""`/setget` on Slack: the command's text goes to the chat layer's table; its reply comes back
ephemeral (only the person who asked sees it), a form opens as a modal, and a file goes to
the person's DM with the bot."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import buy_modal, config_modal
from adapters.slack.directory import SlackDirectory
from adapters.slack.errors import slack_error
from adapters.slack.render import mrkdwn
from core.chat import Attachment, BuyForm, ChatLayer, ConfigForm, Reply, Tone

logger = logging.getLogger(__name__)


class SlackCommands:
    def __init__(self, *, layer: ChatLayer) -> None:
        self._layer = layer

    async def on_command(
        self, command: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        text = command.get("text", "")
        reply = await self._layer.commands.run(
            team=command["team_id"],
            channel=command["channel_id"],
            user=command["user_id"],
            text=text,
            directory=SlackDirectory(client),
        )
        name = text.strip().partition(" ")[0] or "help"

        async def say(reply: Reply) -> None:
            await respond(text=mrkdwn(reply), response_type="ephemeral")

        if reply.form is not None:
            try:
                await client.views_open(
                    trigger_id=command.get("trigger_id", ""),
                    view=_modal(reply.form, channel=command["channel_id"]),
                )
            except SlackApiError as exc:  # e.g. a form opened after its trigger expired
                logger.warning("slack: /setget %s failed: %s", name, slack_error(exc))
                await say(
                    Reply(f"Slack refused `/setget {name}` just now; try again.", Tone.WARNING)
                )
                return
        else:
            await say(reply)
        for note in reply.notes:
            await say(note)
        for file in reply.files:
            if not await _send_file(client, command["user_id"], file):
                await say(
                    Reply(
                        f"Slack refused the file {file.filename}; the figures above stand.",
                        Tone.WARNING,
                    )
                )


def _modal(form: BuyForm | ConfigForm, *, channel: str) -> dict[str, Any]:
    if isinstance(form, BuyForm):
        return buy_modal(form.sizes, channel=channel)
    return config_modal(channel=channel, own=form.own)


async def _send_file(client: AsyncWebClient, user: str, file: Attachment) -> bool:
    """A file only the person asked for: to their DM with the bot."""
    try:
        opened = await client.conversations_open(users=user)
        await client.files_upload_v2(
            channel=opened["channel"]["id"],
            file=file.data,
            filename=file.filename,
            title=file.title,
        )
    except SlackApiError as exc:
        logger.warning("slack: upload of %s failed: %s", file.filename, slack_error(exc))
        return False
    return True
