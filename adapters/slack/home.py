"""The App Home tab as the credit dashboard: every member sees the pool and their own use; an
admin sees what `/setget usage` shows (by member, by type, feedback, the chart of usage by
day) with buttons to buy credits, pick the alerts channel and export the audit log.

The figures are the chat layer's (`Commands.home`); this lays them out and publishes them
(`views.publish`) when the tab is opened, after an admin action, and after an alert that
moved the pool (`refresh`). The chart is an image block over a file uploaded to the admin's
DM with the app (an image block can only show a file its viewer may see); the same chart is
uploaded once, and if Slack refuses it the tab is published without it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from cachetools import LRUCache
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import Block, buy_modal, context, section
from adapters.slack.directory import SlackDirectory
from adapters.slack.errors import slack_error
from adapters.slack.mrkdwn import SECTION_LIMIT
from adapters.slack.render import mrkdwn
from core.chat import Attachment, BuyForm, ChatLayer, Reply, Tone, tell
from core.chat.home import HomeView
from core.workspaces import Workspace

logger = logging.getLogger(__name__)

HOME_BUY = "setget_home_buy"
HOME_ALERTS = "setget_home_alerts"
HOME_AUDIT = "setget_home_audit"
HOME_ACTIONS = (HOME_BUY, HOME_ALERTS, HOME_AUDIT)
ClientFor = Callable[[str], Awaitable[AsyncWebClient | None]]  # a team's client, if installed


class SlackHome:
    def __init__(self, *, layer: ChatLayer, charts: MutableMapping[str, str] | None = None) -> None:
        self._layer = layer
        # uploaded charts by (team, user, picture): an unchanged chart is not uploaded again
        self._charts: MutableMapping[str, str] = charts if charts is not None else LRUCache(5_000)

    async def on_opened(
        self, event: dict[str, Any], context: dict[str, Any], client: AsyncWebClient
    ) -> None:
        if event.get("tab", "home") != "home":
            return  # the Messages tab: nothing to draw
        team = str(context.get("team_id") or event.get("view", {}).get("team_id", ""))
        await self.publish(client, team=team, user=event["user"])

    async def publish(
        self, client: AsyncWebClient, *, team: str, user: str, notice: Reply | None = None
    ) -> None:
        """Draw `user`'s Home tab anew; `notice` (what an action did) is shown on top."""
        home = await self._layer.commands.home(
            team=team, user=user, directory=SlackDirectory(client)
        )
        chart = await self._chart(client, team, user, home.chart) if home.chart else None
        try:
            await client.views_publish(user_id=user, view=home_view(home, chart, notice))
        except SlackApiError as exc:
            if chart is None:
                raise
            logger.info("slack: the Home tab refused its chart (%s)", slack_error(exc))
            await client.views_publish(user_id=user, view=home_view(home, None, notice))

    async def refresh(self, client: AsyncWebClient, workspace: Workspace, team: str) -> None:
        """After an alert that moved the pool: the team's admins' tabs show it at once
        (members see theirs anew whenever they open it)."""
        people = self._layer.people
        for user in await people.admins(workspace, team, SlackDirectory(client)):
            await self.publish(client, team=team, user=user)

    async def on_action(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        team, user = body["team"]["id"], body["user"]["id"]
        action_id = action["action_id"]
        try:
            if action_id == HOME_BUY:
                notice = await self._buy(client, team, user, body.get("trigger_id", ""))
            elif action_id == HOME_ALERTS:
                notice = await self._alerts_channel(client, team, user, action)
            else:
                notice = await self._export(client, team, user)
        except Exception as exc:  # the catch-all: said on the tab, never silence
            notice = tell(exc, doing="handling the button")
        await self.publish(client, team=team, user=user, notice=notice)

    async def _run(
        self, client: AsyncWebClient, team: str, user: str, text: str, *, channel: str
    ) -> Reply:
        return await self._layer.commands.run(
            team=team, channel=channel, user=user, text=text, directory=SlackDirectory(client)
        )

    async def _buy(
        self, client: AsyncWebClient, team: str, user: str, trigger: str
    ) -> Reply | None:
        reply = await self._run(client, team, user, "buy", channel="")
        if not isinstance(reply.form, BuyForm):
            return reply  # refused: not an admin, or a plan without packs
        try:
            await client.views_open(
                trigger_id=trigger, view=buy_modal(reply.form.sizes, channel="")
            )
        except SlackApiError as exc:
            logger.warning("slack: the buy modal did not open: %s", slack_error(exc))
            return Reply(
                "Slack refused to open the purchase form just now; try again.", Tone.WARNING
            )
        return None

    async def _alerts_channel(
        self, client: AsyncWebClient, team: str, user: str, action: dict[str, Any]
    ) -> Reply:
        channel = str(action.get("selected_conversation") or "")
        text = "alerts-channel" if channel else "alerts-channel off"
        return await self._run(client, team, user, text, channel=channel)

    async def _export(self, client: AsyncWebClient, team: str, user: str) -> Reply:
        """`/setget audit`: the summary and the JSON-lines file, to the admin's DM."""
        reply = await self._run(client, team, user, "audit", channel="")
        if not reply.files:
            return reply  # refused, or nothing to export
        dm = await _dm(client, user)
        await client.chat_postMessage(channel=dm, text=mrkdwn(reply))
        for file in reply.files:
            await _upload(client, dm, file)
        return Reply("The audit log is in your messages with me.", Tone.SUCCESS)

    async def _chart(
        self, client: AsyncWebClient, team: str, user: str, chart: Attachment
    ) -> str | None:
        """The id of the chart's file, uploaded to the admin's DM unless it already was."""
        key = f"{team}:{user}:{hashlib.sha256(chart.data).hexdigest()}"
        found = self._charts.get(key)
        if found is not None:
            return found
        try:
            file_id = await _upload(client, await _dm(client, user), chart)
        except SlackApiError as exc:
            logger.info("slack: the Home chart was not uploaded: %s", slack_error(exc))
            return None
        if file_id:
            self._charts[key] = file_id
        return file_id


async def _dm(client: AsyncWebClient, user: str) -> str:
    return str((await client.conversations_open(users=user))["channel"]["id"])


async def _upload(client: AsyncWebClient, channel: str, file: Attachment) -> str | None:
    uploaded = await client.files_upload_v2(
        channel=channel, file=file.data, filename=file.filename, title=file.title
    )
    found = uploaded.get("file") or {}
    return str(found["id"]) if isinstance(found, dict) and found.get("id") else None


def home_view(home: HomeView, chart: str | None, notice: Reply | None) -> dict[str, Any]:
    name = home.workspace.name if home.workspace else "SetGet AI"
    blocks: list[Block] = [_header(f"AI credits — {name}")]
    if notice is not None:
        blocks += [section(mrkdwn(notice)), {"type": "divider"}]
    blocks += _sections(mrkdwn(home.pool))
    if home.mine is not None:
        blocks += _sections(mrkdwn(home.mine))
    if home.admin and home.dashboard is not None:
        blocks += [{"type": "divider"}, _header("Dashboard"), *_sections(mrkdwn(home.dashboard))]
        if chart is not None:
            blocks.append(_image(chart, home.chart))
        blocks += _admin_actions(home)
    blocks.append(
        context("Mention me in a channel, or write in the Messages tab, to ask about your work.")
    )
    return {"type": "home", "blocks": blocks[:100]}


def _admin_actions(home: HomeView) -> list[Block]:
    picker: Block = {
        "type": "conversations_select",
        "action_id": HOME_ALERTS,
        "placeholder": {"type": "plain_text", "text": "Alerts channel"},
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
    }
    if home.alerts_channel:
        picker["initial_conversation"] = home.alerts_channel
    buttons: list[Block] = []
    if home.can_buy:
        buttons.append(_button("Buy credits", HOME_BUY, primary=True))
    buttons += [picker, _button("Export audit", HOME_AUDIT)]
    where = "in the channel picked here" if home.alerts_channel else "to admins by DM"
    return [
        {"type": "actions", "block_id": "home-admin", "elements": buttons},
        context(f"Usage alerts (75 %, 90 %, 100 %, renewals, packs) go {where}."),
    ]


def _button(text: str, action_id: str, *, primary: bool = False) -> Block:
    button: Block = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text},
    }
    if primary:
        button["style"] = "primary"
    return button


def _image(file_id: str, chart: Attachment | None) -> Block:
    title = chart.title if chart else "AI credits used by day"
    return {
        "type": "image",
        "slack_file": {"id": file_id},
        "alt_text": f"{title}: this cycle's credits by day",
        "title": {"type": "plain_text", "text": title},
    }


def _header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": text[:150]}}


def _sections(text: str) -> list[Block]:
    """`text` in sections of at most Slack's section length, split between lines."""
    pieces, current = [], ""
    for line in text.split("\n"):
        if current and len(current) + 1 + len(line) > SECTION_LIMIT:
            pieces.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line[:SECTION_LIMIT]
    return [section(p) for p in [*pieces, current] if p]


def register_home(app: AsyncApp, home: SlackHome) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The Home tab's listeners; returns the events and the action ids they handle."""
    app.event("app_home_opened")(home.on_opened)
    for action_id in HOME_ACTIONS:
        app.action(action_id)(home.on_action)
    return ("app_home_opened",), HOME_ACTIONS
