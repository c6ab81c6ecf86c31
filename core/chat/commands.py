"""`/setget`: one table of sub-commands that Slack, Discord and the console all serve.

Each entry has a name, its usage, a summary, whether it is for admins, and a handler that
returns a neutral `Reply`; `help` is generated from the table. Commands never cost credits.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from core.assistant.audit_export import as_jsonl
from core.chat import reports
from core.chat.feedback import AnswerFeedback
from core.chat.home import HomeView
from core.chat.people import Directory, People
from core.chat.replies import Attachment, BuyForm, ConfigForm, Reply, Tone, channel_ref
from core.chat.services import ChatServices
from core.chat.telling import sentence, tell
from core.chat.wording import not_linked, packs_refusal
from core.errors import SetGetError
from core.workspaces import Member, Platform, Role, Workspace

AUDIT_DAYS = 30
PREFIX = "/setget"


@dataclass(frozen=True)
class CommandRequest:
    workspace: Workspace
    member: Member
    platform: Platform
    team: str
    channel: str
    args: str

    @property
    def admin(self) -> bool:
        return self.member.role is Role.ADMIN


@dataclass(frozen=True)
class Invocation:
    team: str
    channel: str
    user: str
    name: str
    args: str


Handler = Callable[["Commands", CommandRequest], Awaitable[Reply]]


@dataclass(frozen=True)
class Command:
    name: str
    usage: str  # what follows `/setget ` in help, e.g. `project KEY`
    summary: str
    admin_only: bool
    handler: Handler
    argument: str | None = None  # the one option a platform may show (Discord), if any
    # the form the command answers with (to an admin), if any: a platform that shows it as a
    # modal opens it as the interaction's first answer, so it does not defer that command
    form: type[BuyForm] | type[ConfigForm] | None = None


class Commands:
    def __init__(self, *, services: ChatServices, people: People) -> None:
        self._services = services
        self._people = people
        self._feedback = AnswerFeedback(services=services, people=people)

    async def run(
        self, *, team: str, channel: str, user: str, text: str, directory: Directory
    ) -> Reply:
        """Run `/setget TEXT` for `user`; every failure becomes a reply, never silence."""
        name, _, args = text.strip().partition(" ")
        try:
            return await self._run(
                Invocation(team, channel, user, name.lower(), args.strip()), directory
            )
        except Exception as exc:
            return tell(exc, doing=f"running {PREFIX} {name or 'help'}")

    async def _run(self, call: Invocation, directory: Directory) -> Reply:
        platform, team, name = directory.platform, call.team, call.name
        workspace = await self._people.workspace(platform, team)
        if workspace is None:
            return not_linked(platform, team)
        command = COMMANDS.get(name or "help")
        if command is None:
            return Reply(f"I don't know `{PREFIX} {name}`. Try `{PREFIX} help`.")
        member = await self._people.member(workspace, team, call.user, directory)
        request = CommandRequest(workspace, member, platform, team, call.channel, call.args)
        if command.admin_only and not request.admin:
            return Reply(f"`{PREFIX} {command.name}` is for workspace admins.", Tone.REFUSAL)
        return await command.handler(self, request)

    async def home(self, *, team: str, user: str, directory: Directory) -> HomeView:
        """The figures of `balance` and `usage` for `user`'s own page (an admin's with the
        whole dashboard); like every command it costs nothing, and a failure is said there."""
        try:
            return await self._home(team, user, directory)
        except Exception as exc:
            return HomeView(pool=tell(exc, doing="drawing the dashboard"))

    async def _home(self, team: str, user: str, directory: Directory) -> HomeView:
        workspace = await self._people.workspace(directory.platform, team)
        if workspace is None:
            return HomeView(pool=not_linked(directory.platform, team))
        member = await self._people.member(workspace, team, user, directory)
        status = await self._services.pool.status(workspace)
        report = await self._services.dashboard.report(workspace)
        pool = Reply(reports.balance_text(status, forecast=report.forecast))
        mine = Reply(reports.own_usage_text(report, member_id=member.id))
        if member.role is not Role.ADMIN:
            return HomeView(pool=pool, workspace=workspace, mine=mine)
        share = await self._feedback.share(workspace, report.cycle.start)
        settings = self._services.channel_settings
        return HomeView(
            pool=pool,
            workspace=workspace,
            mine=mine,
            admin=True,
            dashboard=Reply(reports.usage_text(report, feedback=share, chart_note=False)),
            chart=Attachment("setget-usage.png", self._services.usage_chart(report), USAGE_TITLE),
            alerts_channel=await settings.alerts_channel(directory.platform, team),
            can_buy=workspace.metered and packs_refusal(workspace.plan) is None,
        )

    async def help(self, cmd: CommandRequest) -> Reply:
        return Reply(help_text(platform=cmd.platform, admin=cmd.admin))

    async def balance(self, cmd: CommandRequest) -> Reply:
        status = await self._services.pool.status(cmd.workspace)
        forecast = await self._services.dashboard.forecast(status)
        return Reply(reports.balance_text(status, forecast=forecast))

    async def plan(self, cmd: CommandRequest) -> Reply:
        return Reply(reports.plan_text(await self._services.pool.status(cmd.workspace)))

    async def usage(self, cmd: CommandRequest) -> Reply:
        report = await self._services.dashboard.report(cmd.workspace)
        if not cmd.admin:
            return Reply(reports.own_usage_text(report, member_id=cmd.member.id))
        chart = Attachment("setget-usage.png", self._services.usage_chart(report), USAGE_TITLE)
        share = await self._feedback.share(cmd.workspace, report.cycle.start)
        return Reply(reports.usage_text(report, feedback=share), files=(chart,))

    async def buy(self, cmd: CommandRequest) -> Reply:
        refusal = packs_refusal(cmd.workspace.plan)
        if refusal is not None:
            return refusal
        return Reply("Pick a pack size.", form=BuyForm(tuple(self._services.pack_sizes)))

    async def alerts_channel(self, cmd: CommandRequest) -> Reply:
        off = cmd.args.lower() == "off"
        await self._services.channel_settings.set_alerts_channel(
            cmd.platform, cmd.team, None if off else cmd.channel
        )
        if off:
            return Reply(
                f"Usage alerts for {cmd.workspace.name} now go to the admins by direct message."
            )
        return Reply(
            f"Usage alerts for {cmd.workspace.name} now go to {channel_ref(cmd.channel)} "
            "(75 %, 90 %, 100 %, forecasts, renewals and pack purchases)."
        )

    async def project(self, cmd: CommandRequest) -> Reply:
        channels = self._services.channels
        if not cmd.args:
            bound = await channels.project_for(cmd.workspace.id, cmd.platform, cmd.channel)
            return Reply(
                f"This channel is bound to {bound}."
                if bound
                else f"This channel is not bound to a project. Bind it with `{PREFIX} project KEY`."
            )
        key = await channels.bind(cmd.workspace, cmd.platform, cmd.channel, cmd.args, by=cmd.member)
        return Reply(f"Questions in {channel_ref(cmd.channel)} are now about project {key}.")

    async def config(self, cmd: CommandRequest) -> Reply:
        if cmd.workspace.metered:
            return Reply(
                "This is a cloud workspace: the deployment's model answers it. "
                f"`{PREFIX} config` sets the model of a self-hosted workspace.",
                Tone.REFUSAL,
            )
        try:
            own = await self._services.llm_settings.load(cmd.workspace.id)
            notes: tuple[Reply, ...] = ()
        except SetGetError as exc:  # the stored key cannot be opened: let the admin enter anew
            own = None
            notes = (Reply(f"{sentence(exc)} Enter the settings and key again.", Tone.WARNING),)
        return Reply("The model settings.", form=ConfigForm(own), notes=notes)

    async def audit(self, cmd: CommandRequest) -> Reply:
        since = self._services.clock.now() - timedelta(days=AUDIT_DAYS)
        records = await self._services.audit.entries(cmd.workspace.id, since=since)
        members = {
            m.id: m.display_name
            for m in await self._services.workspaces.list_members(cmd.workspace.id)
        }
        feedback = await self._feedback.since(cmd.workspace, since.date())
        text = reports.audit_text(records, members=members, days=AUDIT_DAYS, feedback=feedback)
        if not records:
            return Reply(text)
        jsonl = as_jsonl(records, feedback=feedback).encode()
        log = Attachment("setget-audit.jsonl", jsonl, AUDIT_TITLE, keep=True)
        return Reply(text, files=(log,))


USAGE_TITLE = "AI credits used by day"
AUDIT_TITLE = f"AI audit log, {AUDIT_DAYS} days"
_INTRO = {
    Platform.CONSOLE: "type a question at the prompt to ask about your work items.",
}
_ASK = "mention me in a channel or DM me to ask about your work items."

COMMANDS: dict[str, Command] = {
    c.name: c
    for c in (
        Command("help", "help", "this list", False, Commands.help),
        Command(
            "balance",
            "balance",
            "credits left, used this month, packs and the renewal date",
            False,
            Commands.balance,
        ),
        Command(
            "usage",
            "usage",
            "the usage dashboard (members see their own figures)",
            False,
            Commands.usage,
        ),
        Command("plan", "plan", "the workspace's plan and what it includes", False, Commands.plan),
        Command(
            "project",
            "project KEY",
            "bind this channel to a project (no KEY: show the binding)",
            False,
            Commands.project,
            argument="key",
        ),
        Command("buy", "buy", "buy a credit pack", True, Commands.buy, form=BuyForm),
        Command(
            "alerts-channel",
            "alerts-channel [off]",
            "send usage alerts to this channel (off: to admins by DM)",
            True,
            Commands.alerts_channel,
            argument="off",
        ),
        Command(
            "config",
            "config",
            "the model of a self-hosted workspace",
            True,
            Commands.config,
            form=ConfigForm,
        ),
        Command(
            "audit", "audit", "recent AI interactions, and the log as a file", True, Commands.audit
        ),
    )
}


def help_text(*, platform: Platform, admin: bool) -> str:
    lines = [f"**SetGet AI** — {_INTRO.get(platform, _ASK)}"]
    for c in COMMANDS.values():
        if admin or not c.admin_only:
            lines.append(
                f"• `{PREFIX} {c.usage}` — {c.summary}" + (" _(admins)_" if c.admin_only else "")
            )
    return "\n".join(lines)
