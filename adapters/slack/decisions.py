"""Confirm and Reject buttons on a proposed action: the click goes to the chat layer; a
refusal is shown only to the person who clicked, and the decided message shows who decided
and the outcome, its buttons gone. Only the proposal's own blocks change: a proposal that
ends a streamed answer leaves the answer, its footer and any other proposal as they were.
A click on a proposal already decided leaves its message alone; when Slack cannot show a
decision, the person who decided is told it privately (the action ran all the same)."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import CONFIRM, Block, context, proposal_ids, proposal_summary
from adapters.slack.directory import SlackDirectory
from adapters.slack.errors import slack_error
from adapters.slack.render import mrkdwn
from core.chat import ChatLayer, Click
from core.chat.replies import user_ref

logger = logging.getLogger(__name__)


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
        message = body["message"]
        shown: list[Block] = message.get("blocks", [])
        if outcome.closed is not None:  # expired undecided: the buttons go
            reason = f"_{outcome.closed}_"
            blocks = _without_buttons(shown, click.action_ref, reason)
            await _update(client, channel, ts, blocks, text=_text(message, shown, reason))
        elif outcome.decided is not None and outcome.action is not None:
            decided = mrkdwn(outcome.decided)
            ids = proposal_ids(outcome.action.id)
            replacement = [
                *proposal_summary(outcome.action),
                {**context(decided), "block_id": ids[1]},
            ]
            blocks = _replaced(shown, set(ids), replacement) or replacement
            text = _text(message, shown, decided)
            if not await _update(client, channel, ts, blocks, text=text):
                await respond(text=decided, response_type="ephemeral", replace_original=False)


def _text(message: dict[str, Any], shown: list[Block], news: str) -> str:
    """The message's text after the update: an answer that ends with the proposal keeps its
    own (a streamed answer's text is the answer itself); a proposal posted alone says what
    became of it."""
    within_answer = any(not str(b.get("block_id", "")).startswith("proposal-") for b in shown)
    return str(message.get("text") or news) if within_answer else news


def _replaced(shown: list[Block], ids: set[str], replacement: list[Block]) -> list[Block] | None:
    """`shown` with the blocks of `ids` replaced, in their place; None when it has none of
    them (a message posted before proposals carried block ids: it is the proposal alone)."""
    if not any(b.get("block_id") in ids for b in shown):
        return None
    out: list[Block] = []
    placed = False
    for block in shown:
        if block.get("block_id") not in ids:
            out.append(block)
        elif not placed:
            out.extend(replacement)
            placed = True
    return out


def _without_buttons(shown: list[Block], value: str, reason: str) -> list[Block]:
    """This proposal's buttons replaced by why they are gone (every button, on a message
    whose blocks carry no ids)."""
    line = context(reason)
    if value.isdigit():
        replaced = _replaced(shown, {proposal_ids(int(value))[2]}, [line])
        if replaced is not None:
            return replaced
    return [*(b for b in shown if b.get("type") != "actions"), line]


async def _update(
    client: AsyncWebClient, channel: str, ts: str, blocks: list[Block], *, text: str
) -> bool:
    """False when Slack did not take the edit (it failed, or the connection dropped): the
    message still shows the proposal as it was."""
    try:
        await client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
    except SlackApiError as exc:
        logger.warning("slack: a proposal's message was not updated: %s", slack_error(exc))
        return False
    except (aiohttp.ClientError, TimeoutError) as exc:
        logger.warning("slack: a proposal's message was not updated: %s", type(exc).__name__)
        return False
    return True
