"""`setget-bot workspace ...`: create, list, plans, links, admins, member caps."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli import render
from bot.cli.arguments import NUMERIC, Json, WorkspaceName, whole_number
from bot.cli.runner import checked, parse_date, run
from core.errors import InvalidInput
from core.plans import Plan
from core.workspaces import Mode, Platform

if TYPE_CHECKING:
    from bot.app import App

app = typer.Typer(help="Workspaces: plans, linked Slack teams and Discord guilds, admins.")
admin_app = typer.Typer(help="Workspace admins.", no_args_is_help=True)
app.add_typer(admin_app, name="admin")

Allocation = Annotated[
    int | None,
    typer.Option(
        "--allocation", parser=whole_number, help="Monthly credits (required for enterprise)."
    ),
]
PlanName = Annotated[
    str,
    typer.Argument(metavar="PLAN", help="free | pro | business | enterprise", show_default=False),
]


@app.command("create")
def create(
    name: Annotated[
        str,
        typer.Argument(
            metavar="NAME",
            help="The new workspace's name: 1-63 letters, digits, '-', '_' or '.'; "
            "unique whatever its case.",
            show_default=False,
        ),
    ],
    plan: Annotated[str, typer.Option("--plan", help="free | pro | business | enterprise")],
    allocation: Allocation = None,
    anchor: Annotated[
        str | None,
        typer.Option(help="Billing anchor date YYYY-MM-DD (default: today).", metavar="DATE"),
    ] = None,
    mode: Annotated[
        str | None, typer.Option(help="cloud | self-hosted (default: SETGET_MODE).")
    ] = None,
) -> None:
    """Create a workspace with its credit pool."""
    plan_, anchor_ = checked(lambda: (Plan.parse(plan), parse_date(anchor, option="--anchor")))
    mode_ = checked(lambda: Mode.parse(mode) if mode else None)

    async def action(a: App) -> None:
        w = await a.admin.create(
            name, plan=plan_, allocation=allocation, anchor=anchor_, mode=mode_ or a.settings.mode
        )
        print(
            f"created workspace {w.name!r}: {w.plan.value}, {w.allocation:,} credits a month, "
            f"anchor {w.anchor.isoformat()}, {w.mode.value}"
        )

    run(action)


@app.command("list")
def list_(json: Json = False) -> None:
    """List workspaces."""

    async def action(a: App) -> None:
        items = await a.admin.list()
        if json:
            render.emit_json([render.workspace_json(w) for w in items])
        else:
            render.show_workspaces(items)

    run(action)


@app.command("set-plan")
def set_plan(name: WorkspaceName, plan: PlanName, allocation: Allocation = None) -> None:
    """Change plan. An upgrade tops up the current cycle; a downgrade starts at renewal."""
    plan_ = checked(lambda: Plan.parse(plan))

    async def action(a: App) -> None:
        change = await a.admin.set_plan(name, plan_, allocation=allocation)
        w = change.workspace
        extra = (
            f"; {change.topup:,} credits added to this cycle"
            if change.topup
            else "; the new allocation starts at the next renewal"
        )
        print(f"{w.name!r} is now on {w.plan.value} ({w.allocation:,} credits a month){extra}")

    run(action)


def _one_id(
    slack: str | None, discord: str | None, *, options: tuple[str, str]
) -> tuple[Platform, str]:
    if (slack is None) == (discord is None):
        raise InvalidInput(f"give exactly one of {options[0]} or {options[1]}")
    return (Platform.SLACK, slack) if slack is not None else (Platform.DISCORD, str(discord))


@app.command("link")
def link(
    name: WorkspaceName,
    slack_team: Annotated[
        str | None, typer.Option("--slack-team", help="A Slack team id (T…).", metavar="ID")
    ] = None,
    discord_guild: Annotated[
        str | None, typer.Option("--discord-guild", help="A Discord server id.", metavar="ID")
    ] = None,
) -> None:
    """Link a Slack team or Discord guild to a workspace (each belongs to one workspace)."""
    platform, external = checked(
        lambda: _one_id(slack_team, discord_guild, options=("--slack-team", "--discord-guild"))
    )

    async def action(a: App) -> None:
        await a.admin.link(name, platform, external)
        print(f"linked {platform.value} {external} to workspace {name!r}")

    run(action)


@admin_app.command("add")
def admin_add(
    name: WorkspaceName,
    slack_user: Annotated[
        str | None, typer.Option("--slack-user", help="A Slack user id (U…).", metavar="ID")
    ] = None,
    discord_user: Annotated[
        str | None, typer.Option("--discord-user", help="A Discord user id.", metavar="ID")
    ] = None,
) -> None:
    """Make a Slack or Discord user an admin of the workspace."""
    platform, external = checked(
        lambda: _one_id(slack_user, discord_user, options=("--slack-user", "--discord-user"))
    )

    async def action(a: App) -> None:
        member = await a.admin.add_admin(name, platform, external)
        print(f"{platform.value} user {member.external_id} is an admin of {name!r}")

    run(action)


def _cap(text: str) -> int | None:
    if text.strip().lower() == "none":
        return None
    try:
        value = whole_number(text)
    except typer.BadParameter:
        raise InvalidInput(f"a cap is a whole number of credits or `none`, not {text!r}") from None
    if value < 0:
        raise InvalidInput(f"a cap is 0 or more credits (or `none` for no cap), not {value}")
    return value


@app.command("member-cap", context_settings=NUMERIC)
def member_cap(
    name: WorkspaceName,
    member: Annotated[
        str,
        typer.Argument(
            metavar="MEMBER",
            help="slack:U…, discord:…, console:NAME, or a name only one member has.",
            show_default=False,
        ),
    ],
    cap: Annotated[
        str,
        typer.Argument(
            metavar="N|none",
            help="Credits a month the member may use (0 or more), or `none` for no cap.",
            show_default=False,
        ),
    ],
) -> None:
    """Cap a member's monthly credits; the pool stays shared by everyone."""
    cap_ = checked(lambda: _cap(cap))

    async def action(a: App) -> None:
        m = await a.admin.set_member_cap(name, member, cap_)
        what = "no cap" if m.monthly_cap is None else f"a cap of {m.monthly_cap:,} credits a month"
        print(f"{m.display_name} ({m.platform.value}:{m.external_id}) in {name!r} now has {what}")

    run(action)
