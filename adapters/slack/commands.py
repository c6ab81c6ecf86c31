"""`/setget`: help, balance, usage, plan, buy, alerts-channel, project, config, audit.

Every reply is ephemeral (only the person who asked sees it); admin commands refuse members
with a clear ephemeral line. Admins are Slack workspace admins and owners, plus the members
the operator made admins (`setget-bot workspace admin add`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import reports
from adapters.slack.blocks import buy_modal, config_modal
from adapters.slack.errors import sentence
from adapters.slack.messages import not_linked
from adapters.slack.people import SlackPeople
from adapters.slack.services import SlackServices
from core.assistant.audit_export import as_jsonl
from core.errors import SetGetError
from core.plans import PLAN_TERMS
from core.workspaces import Member, Platform, Role, Workspace

logger = logging.getLogger(__name__)

AUDIT_DAYS = 30


@dataclass(frozen=True)
class SlashCommand:
    workspace: Workspace
    member: Member
    team: str
    channel: str
    user: str
    args: str
    trigger_id: str
    client: AsyncWebClient
    respond: AsyncRespond

    @property
    def admin(self) -> bool:
        return self.member.role is Role.ADMIN

    async def say(self, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        await self.respond(text=text, blocks=blocks, response_type="ephemeral")


Handler = Callable[["SlackCommands", SlashCommand], Awaitable[None]]


class SlackCommands:
    def __init__(self, *, services: SlackServices, people: SlackPeople) -> None:
        self._services = services
        self._people = people

    async def on_command(
        self, command: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        team = command["team_id"]
        workspace = await self._services.workspaces.workspace_for(Platform.SLACK, team)
        if workspace is None:
            await respond(text=not_linked(team), response_type="ephemeral")
            return
        name, _, args = command.get("text", "").strip().partition(" ")
        found = COMMANDS.get(name.lower() or "help")
        if found is None:
            await respond(
                text=f"I don't know `/setget {name}`. Try `/setget help`.",
                response_type="ephemeral",
            )
            return
        handler, admin_only = found
        member = await self._people.member(workspace, command["user_id"], client)
        request = SlashCommand(
            workspace=workspace,
            member=member,
            team=team,
            channel=command["channel_id"],
            user=command["user_id"],
            args=args.strip(),
            trigger_id=command.get("trigger_id", ""),
            client=client,
            respond=respond,
        )
        if admin_only and not request.admin:
            await request.say(f":no_entry: `/setget {name}` is for workspace admins.")
            return
        try:
            await handler(self, request)
        except SetGetError as exc:
            await request.say(f":warning: {sentence(exc)}")
        except SlackApiError as exc:  # e.g. a form opened after its trigger expired
            logger.warning("slack: /setget %s failed: %s", name, exc.response.get("error"))
            await request.say(f":warning: Slack refused `/setget {name}` just now; try again.")

    async def help(self, cmd: SlashCommand) -> None:
        await cmd.say(reports.help_text(admin=cmd.admin))

    async def balance(self, cmd: SlashCommand) -> None:
        status = await self._services.pool.status(cmd.workspace)
        await cmd.say(reports.balance_text(status))

    async def plan(self, cmd: SlashCommand) -> None:
        status = await self._services.pool.status(cmd.workspace)
        await cmd.say(reports.plan_text(status))

    async def usage(self, cmd: SlashCommand) -> None:
        report = await self._services.dashboard.report(cmd.workspace)
        if not cmd.admin:
            await cmd.say(reports.own_usage_text(report, member_id=cmd.member.id))
            return
        await cmd.say(reports.usage_text(report))
        chart = self._services.usage_chart(report)
        await self._upload(cmd, chart, "setget-usage.png", "AI credits used by day")

    async def buy(self, cmd: SlashCommand) -> None:
        if not PLAN_TERMS[cmd.workspace.plan].can_buy_packs:
            await cmd.say(
                f":no_entry: The {cmd.workspace.plan.value} plan cannot buy credit packs; "
                "upgrading the plan gives more credits."
            )
            return
        await cmd.client.views_open(
            trigger_id=cmd.trigger_id,
            view=buy_modal(self._services.pack_sizes, channel=cmd.channel),
        )

    async def alerts_channel(self, cmd: SlashCommand) -> None:
        off = cmd.args.lower() == "off"
        await self._services.channel_settings.set_alerts_channel(
            Platform.SLACK, cmd.team, None if off else cmd.channel
        )
        if off:
            await cmd.say(
                f"Usage alerts for {cmd.workspace.name} now go to the admins by direct message."
            )
            return
        await cmd.say(
            f"Usage alerts for {cmd.workspace.name} now go to <#{cmd.channel}> "
            "(75 %, 90 %, 100 %, renewals and pack purchases)."
        )

    async def project(self, cmd: SlashCommand) -> None:
        if not cmd.args:
            bound = await self._services.channels.project_for(Platform.SLACK, cmd.channel)
            await cmd.say(
                f"This channel is bound to {bound}."
                if bound
                else "This channel is not bound to a project. Bind it with `/setget project KEY`."
            )
            return
        key = await self._services.channels.bind(
            cmd.workspace, Platform.SLACK, cmd.channel, cmd.args
        )
        await cmd.say(f"Questions in <#{cmd.channel}> are now about project {key}.")

    async def config(self, cmd: SlashCommand) -> None:
        if cmd.workspace.metered:
            await cmd.say(
                ":no_entry: This is a cloud workspace: the deployment's model answers it. "
                "`/setget config` sets the model of a self-hosted workspace."
            )
            return
        try:
            own = await self._services.llm_settings.load(cmd.workspace.id)
            unreadable = None
        except SetGetError as exc:  # the stored key cannot be opened: let the admin enter anew
            own, unreadable = None, exc
        await cmd.client.views_open(
            trigger_id=cmd.trigger_id,
            view=config_modal(channel=cmd.channel, own=own),
        )
        if unreadable is not None:
            await cmd.say(f":warning: {sentence(unreadable)} Enter the settings and key again.")

    async def audit(self, cmd: SlashCommand) -> None:
        since = self._services.clock.now() - timedelta(days=AUDIT_DAYS)
        records = await self._services.audit.entries(cmd.workspace.id, since=since)
        members = {
            m.id: m.display_name
            for m in await self._services.workspaces.list_members(cmd.workspace.id)
        }
        await cmd.say(reports.audit_text(records, members=members, days=AUDIT_DAYS))
        if records:
            data = as_jsonl(records).encode()
            await self._upload(cmd, data, "setget-audit.jsonl", f"AI audit log, {AUDIT_DAYS} days")

    async def _upload(self, cmd: SlashCommand, data: bytes, filename: str, title: str) -> None:
        """A file only the admin asked for: to their DM with the bot."""
        try:
            opened = await cmd.client.conversations_open(users=cmd.user)
            await cmd.client.files_upload_v2(
                channel=opened["channel"]["id"], file=data, filename=filename, title=title
            )
        except SlackApiError as exc:
            logger.warning("slack: upload of %s failed: %s", filename, exc.response.get("error"))
            await cmd.say(f":warning: Slack refused the file {filename}; the figures above stand.")


COMMANDS: dict[str, tuple[Handler, bool]] = {
    "help": (SlackCommands.help, False),
    "balance": (SlackCommands.balance, False),
    "usage": (SlackCommands.usage, False),
    "plan": (SlackCommands.plan, False),
    "buy": (SlackCommands.buy, True),
    "alerts-channel": (SlackCommands.alerts_channel, True),
    "project": (SlackCommands.project, False),
    "config": (SlackCommands.config, True),
    "audit": (SlackCommands.audit, True),
}
