"""Mentions, thread follow-ups and DMs: one Slack message in, one streamed answer out.

A message is answered once however often Slack delivers it: its (team, channel, ts) is
claimed in the database before anything is posted, so a retry (`X-Slack-Retry-Num`), the
`app_mention` and `message` events of the same message, and replicas all find it taken.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import proposal_blocks
from adapters.slack.errors import sentence, slack_error
from adapters.slack.people import SlackPeople
from adapters.slack.services import SlackServices
from adapters.slack.streaming import StreamedReply
from core.assistant.conversation import AskAI
from core.errors import MemberCapReached, OutOfCredits, SetGetError
from core.workspaces import Platform

logger = logging.getLogger(__name__)

_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_CHANNEL = re.compile(r"<#[CG][A-Z0-9]+\|([^>]*)>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")
SOMETHING_WRONG = (
    ":warning: Sorry, something went wrong on our side while answering. Please try again."
)


def unlink(text: str, *, bot_user: str | None) -> str:
    """Slack's encoded message text as plain text; mentions of the bot itself removed."""
    if bot_user:
        text = re.sub(rf"<@{re.escape(bot_user)}(?:\|[^>]*)?>\s*", "", text)
    text = _USER.sub(r"@\1", text)
    text = _CHANNEL.sub(r"#\1", text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


def not_linked(team: str) -> str:
    return (
        "This Slack workspace is not linked to a SetGet workspace yet. An admin can link it "
        f"with `setget-bot workspace link NAME --slack-team {team}`."
    )


def out_of_credits(exc: OutOfCredits | MemberCapReached) -> str:
    text = f":no_entry: {sentence(exc)}"
    if isinstance(exc, OutOfCredits) and exc.can_buy_packs:
        text += " Admins can buy a credit pack with `/setget buy`."
    return text + " This thread stays readable."


@dataclass(frozen=True)
class Incoming:
    team: str
    channel: str
    user: str
    text: str
    ts: str
    thread_ts: str | None  # the thread to answer in; None answers in the channel (a DM)
    thread_key: str


class SlackConversations:
    def __init__(
        self, *, services: SlackServices, people: SlackPeople, stream_interval: float = 1.0
    ) -> None:
        self._services = services
        self._people = people
        self._interval = stream_interval

    async def on_mention(
        self, event: dict[str, Any], context: dict[str, Any], client: AsyncWebClient
    ) -> None:
        if _from_a_bot(event, context):
            return
        root = event.get("thread_ts") or event["ts"]
        await self.answer(
            _incoming(event, context, thread_ts=root, key=f"{event['channel']}:{root}"), client
        )

    async def on_message(
        self, event: dict[str, Any], context: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """DMs, and replies in a thread the bot already answers (no mention needed)."""
        if _from_a_bot(event, context) or event.get("subtype"):
            return
        channel, thread = event["channel"], event.get("thread_ts")
        if event.get("channel_type") == "im":
            key = f"{channel}:{thread}" if thread else channel
            await self.answer(_incoming(event, context, thread_ts=thread, key=key), client)
            return
        bot = context.get("bot_user_id")
        if not thread or (bot and f"<@{bot}" in event.get("text", "")):
            return  # a channel message outside a thread, or a mention (app_mention has it)
        workspace = await self._people.workspace(str(context.get("team_id")))
        key = f"{channel}:{thread}"
        if workspace is None:
            return
        if await self._services.threads.find_thread(workspace.id, Platform.SLACK, key) is None:
            return  # a thread among people, not with the bot
        await self.answer(_incoming(event, context, thread_ts=thread, key=key), client)

    async def answer(self, message: Incoming, client: AsyncWebClient) -> None:
        services = self._services
        claim = f"{message.team}:{message.channel}:{message.ts}"
        if not await services.claims.claim(Platform.SLACK, claim, services.clock.now()):
            return
        reply = StreamedReply(
            client=client,
            channel=message.channel,
            thread_ts=message.thread_ts,
            interval=self._interval,
        )
        # Show progress while the workspace and the channel's project are read.
        workspace, project, _ = await asyncio.gather(
            self._people.workspace(message.team),
            services.channels.project_for(Platform.SLACK, message.channel),
            reply.start(),
        )
        if workspace is None:
            await reply.fail(not_linked(message.team))
            return
        member = await self._people.member(workspace, message.user, client)
        request = AskAI(
            workspace=workspace,
            member=member,
            platform=Platform.SLACK,
            thread_key=message.thread_key,
            event_id=f"slack:{claim}",
            text=message.text,
            project=project,
        )
        try:
            async with services.chat(workspace) as chat:
                answer = await chat.assistant.ask(request, on_text=reply.on_text)
        except (OutOfCredits, MemberCapReached) as exc:
            await reply.remove()
            await _tell_privately(client, message, out_of_credits(exc))
            return
        except SetGetError as exc:
            await reply.fail(f":warning: {exc}")
            return
        except Exception:
            logger.exception("slack: answering a message failed")
            await reply.fail(SOMETHING_WRONG)
            return
        if answer.duplicate:
            await reply.remove()
            return
        try:
            await reply.finish(answer.text, footer=answer.footer)
        except SlackApiError as exc:
            # Slack refused to edit the placeholder even after retries: the answer is paid
            # for, so it goes to the thread as a new message instead.
            logger.warning(
                "slack: the final edit failed (%s); posting the answer", slack_error(exc)
            )
            await reply.post_instead(answer.text, footer=answer.footer)
        for action in answer.proposals:
            await client.chat_postMessage(
                channel=message.channel,
                thread_ts=message.thread_ts,
                text=f"Proposed action #{action.id}: {action.draft.summary}",
                blocks=proposal_blocks(action, requester=message.user),
            )


def _from_a_bot(event: dict[str, Any], context: dict[str, Any]) -> bool:
    return bool(
        event.get("bot_id")
        or event.get("subtype") == "bot_message"
        or event.get("user") is None
        or event.get("user") == context.get("bot_user_id")
    )


def _incoming(
    event: dict[str, Any], context: dict[str, Any], *, thread_ts: str | None, key: str
) -> Incoming:
    return Incoming(
        team=str(context.get("team_id") or event.get("team")),
        channel=event["channel"],
        user=event["user"],
        text=unlink(event.get("text", ""), bot_user=context.get("bot_user_id")),
        ts=event["ts"],
        thread_ts=thread_ts,
        thread_key=key,
    )


async def _tell_privately(client: AsyncWebClient, message: Incoming, text: str) -> None:
    """Ephemeral to the person in the thread; in the thread itself if Slack refuses."""
    try:
        await client.chat_postEphemeral(
            channel=message.channel, user=message.user, thread_ts=message.thread_ts, text=text
        )
    except SlackApiError:
        await client.chat_postMessage(
            channel=message.channel, thread_ts=message.thread_ts, text=text
        )
