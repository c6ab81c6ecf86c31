"""Confirm and Reject buttons on a proposed action. Their state lives in the database, so
buttons keep working after a restart and on any replica; a refusal is shown only to the
person who clicked."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import CONFIRM, Block, context, decided_blocks
from adapters.slack.errors import sentence
from adapters.slack.messages import not_linked
from adapters.slack.people import SlackPeople
from adapters.slack.services import SlackServices
from core.assistant.actions import ActionClosed
from core.errors import SetGetError

logger = logging.getLogger(__name__)


class SlackDecisions:
    def __init__(self, *, services: SlackServices, people: SlackPeople) -> None:
        self._services = services
        self._people = people

    async def on_button(
        self,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        team, user = body["team"]["id"], body["user"]["id"]
        channel, ts = body["channel"]["id"], body["message"]["ts"]
        workspace = await self._people.workspace(team)
        if workspace is None:
            await _refuse(respond, not_linked(team))
            return
        try:
            action_id = int(action["value"])
        except (KeyError, ValueError):
            await _refuse(respond, "This button carries no action I know.")
            return
        member = await self._people.member(workspace, user, client)
        try:
            async with self._services.chat(workspace) as chat:
                if action["action_id"] == CONFIRM:
                    decision = await chat.desk.confirm(workspace.id, action_id, member)
                    blocks = decided_blocks(decision.action, by=user, decision=decision)
                else:
                    decided = await chat.desk.reject(workspace.id, action_id, member)
                    blocks = decided_blocks(decided, by=user, decision=None)
        except ActionClosed as exc:
            # Decided elsewhere or expired: say so, and take the buttons away.
            await _refuse(respond, f"{exc}.")
            await _update(client, channel, ts, _without_buttons(body, str(exc)))
            return
        except SetGetError as exc:
            await _refuse(respond, sentence(exc))
            return
        await _update(client, channel, ts, blocks)


def _without_buttons(body: dict[str, Any], reason: str) -> list[Block]:
    kept = [b for b in body["message"].get("blocks", []) if b.get("type") != "actions"]
    return [*kept, context(f"_{reason}_")]


async def _refuse(respond: AsyncRespond, text: str) -> None:
    await respond(text=f":no_entry: {text}", response_type="ephemeral", replace_original=False)


async def _update(client: AsyncWebClient, channel: str, ts: str, blocks: list[Block]) -> None:
    text = blocks[-1]["elements"][0]["text"] if blocks else "Proposed action"
    await client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
